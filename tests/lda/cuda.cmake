# Tests of apps/lda's GPU sampler (apps/lda/cuda.cmake). The per-token math
# and the host layout run on every machine; the device tests (label gpu)
# skip, saying so, where no GPU is visible.
if(TARGET gaia_lda_gpu_host)
  gaia_add_test(lda_gpu_math_test
    SOURCES cuda_sampling_math_test.cc cuda_host_layout_test.cc cuda_reference_sweep_test.cc
    LIBS gaia_lda_gpu_host gaia::lda_sampler TIMEOUT 120)
endif()
if(TARGET gaia_lda_app)
  gaia_add_test(lda_topic_sampler_test SOURCES topic_sampler_test.cc LIBS gaia_lda_app
    TIMEOUT 120)
endif()
if(TARGET gaia_lda_cuda)
  gaia_add_test(lda_cuda_sampler_test SOURCES cuda_sampler_test.cc
    LIBS gaia_lda_cuda TIMEOUT 600 LABELS gpu)
endif()
