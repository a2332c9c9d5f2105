# Tests of gaia_cnn_model (apps/cnn/model.cmake).
gaia_add_test(cnn_layer_test SOURCES layer_test.cc LIBS gaia::cnn_model TIMEOUT 120)
