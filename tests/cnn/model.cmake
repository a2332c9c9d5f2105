# Tests of gaia_cnn_model (apps/cnn/model.cmake): gradient checks of every
# layer and of whole networks, the parameter layout, SGD, the thread pool.
gaia_add_test(cnn_layer_test SOURCES layer_test.cc LIBS gaia::cnn_model TIMEOUT 120)
gaia_add_test(cnn_model_test SOURCES model_test.cc LIBS gaia::cnn_model TIMEOUT 300)
gaia_add_test(cnn_sgd_test SOURCES sgd_test.cc LIBS gaia::cnn_model TIMEOUT 60)
gaia_add_test(cnn_thread_pool_test SOURCES thread_pool_test.cc LIBS gaia::cnn_model TIMEOUT 60)
