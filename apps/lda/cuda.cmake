# apps/lda's GPU sampler (docs/APP_LDA_GPU.md):
#   gaia_lda_gpu_host  the host-side layout and count conversions, and the
#                      kernel's CPU reference (reference_sweep.h); no CUDA,
#                      always built (its CPU tests run everywhere)
#   gaia_lda_cuda_core the kernels and device state (cuda/core.cmake)
#   gaia_lda_cuda      CudaSampler, the TopicSampler for --device=cuda;
#                      defines GAIA_HAVE_LDA_CUDA=1 for whoever links it
# The CUDA targets are built only with GAIA_WITH_CUDA.
add_library(gaia_lda_gpu_host STATIC
  ${CMAKE_CURRENT_LIST_DIR}/cuda/host_layout.cc
  ${CMAKE_CURRENT_LIST_DIR}/cuda/reference_sweep.cc
)
target_include_directories(gaia_lda_gpu_host PUBLIC $<BUILD_INTERFACE:${GAIA_SOURCE_ROOT}>)
target_link_libraries(gaia_lda_gpu_host PUBLIC absl::status absl::statusor absl::strings)

if(GAIA_WITH_CUDA)
  find_package(CUDAToolkit QUIET)
  if(NOT CUDAToolkit_FOUND OR NOT TARGET gaia::gpu)
    message(STATUS "gaia: LDA GPU sampler off (no CUDA toolkit or no GPU layer, apps/common/gpu)")
  else()
    include(${CMAKE_CURRENT_LIST_DIR}/cuda/core.cmake)
    add_library(gaia_lda_cuda STATIC ${CMAKE_CURRENT_LIST_DIR}/cuda/cuda_sampler.cc)
    target_include_directories(gaia_lda_cuda PUBLIC $<BUILD_INTERFACE:${GAIA_SOURCE_ROOT}>)
    target_link_libraries(gaia_lda_cuda
      PUBLIC gaia_lda_sampler gaia_lda_gpu_host gaia_lda_cuda_core absl::status absl::statusor
      PRIVATE gaia::gpu absl::strings)
    target_compile_definitions(gaia_lda_cuda PUBLIC GAIA_HAVE_LDA_CUDA=1)
    message(STATUS "gaia: LDA GPU sampler on")
  endif()
endif()
