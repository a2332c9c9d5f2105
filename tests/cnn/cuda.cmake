# Tests of gaia_cnn_cuda (apps/cnn/cuda.cmake): the GPU path against the CPU
# Model. Without a visible GPU the comparisons skip with a message; the
# no-device and bad-spec behaviour is checked everywhere.
if(TARGET gaia_cnn_cuda)
  gaia_add_test(cnn_cuda_model_test SOURCES cuda_model_test.cc
    LIBS gaia::cnn_cuda gaia::cnn_model TIMEOUT 600 LABELS gpu)
endif()
