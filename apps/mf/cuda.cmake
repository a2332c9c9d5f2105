# apps/mf on one CUDA GPU (--device=cuda; docs/APP_MF.md, docs/GPU.md). Built
# only when the GPU layer is (GAIA_WITH_CUDA):
#   gaia_mf_cuda_kernels  the batch-Hogwild SGD kernels (cuda/kernels.cmake)
#   gaia_mf_cuda          DeviceSgd, the SgdEngine that runs them
# and gaia_mf_flags learns of it (GAIA_HAVE_MF_CUDA=1), so both programs take
# --device=cuda.
if(TARGET gaia_gpu)
  set(GAIA_GPU_SOURCE_ROOT ${GAIA_SOURCE_ROOT})
  include(${CMAKE_CURRENT_LIST_DIR}/cuda/kernels.cmake)

  add_library(gaia_mf_cuda STATIC
    ${CMAKE_CURRENT_LIST_DIR}/cuda/device_sgd.cc
    ${CMAKE_CURRENT_LIST_DIR}/cuda/device_sgd.h
  )
  add_library(gaia::mf_cuda ALIAS gaia_mf_cuda)
  target_link_libraries(gaia_mf_cuda
    PUBLIC gaia_mf_core
    PRIVATE gaia_mf_cuda_kernels gaia::gpu absl::strings)

  target_link_libraries(gaia_mf_flags PRIVATE gaia_mf_cuda gaia::gpu)
  target_compile_definitions(gaia_mf_flags PRIVATE GAIA_HAVE_MF_CUDA=1)
endif()
