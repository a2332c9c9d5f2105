# Tests of the DC collective (apps/cnn/collective.cmake).
gaia_add_test(cnn_collective_ring_test SOURCES collective_ring_test.cc
  LIBS gaia::cnn_collective gaia_testing TIMEOUT 300)
gaia_add_test(cnn_collective_process_test SOURCES collective_process_test.cc
  LIBS gaia::cnn_collective gaia_testing TIMEOUT 300)
if(TARGET gaia_cnn_nccl)
  # Skips itself (GTEST_SKIP) where no GPU is visible.
  gaia_add_test(cnn_collective_nccl_test SOURCES collective_nccl_test.cc
    LIBS gaia::cnn_collective gaia::cnn_nccl gaia_testing TIMEOUT 300)
endif()
