# gaia_lda_cuda_core: the GPU sampler's kernels and device state
# (apps/lda/cuda/gpu_lda_core.h) on the GPU layer's core (apps/common/gpu/core.cmake),
# needing only the CUDA runtime and the C++ standard library. Included by
# apps/lda/cuda.cmake and by the standalone GPU benchmark (bench/gpu/lda.cmake).
# Needs: the CUDA language enabled, CUDA::cudart_static (find_package(CUDAToolkit)),
# GAIA_SOURCE_ROOT.
if(NOT TARGET gaia_lda_cuda_core)
  if(NOT TARGET gaia_gpu_core)
    set(GAIA_GPU_SOURCE_ROOT ${GAIA_SOURCE_ROOT})
    include(${GAIA_SOURCE_ROOT}/apps/common/gpu/core.cmake)
  endif()
  set(_gaia_lda_cuda_dir ${CMAKE_CURRENT_LIST_DIR})
  # Turing, Ampere (sm_86/89 run sm_80 code) and Hopper, plus PTX for newer.
  set(GAIA_LDA_CUDA_ARCHITECTURES "75-real;80-real;90" CACHE STRING
      "CUDA architectures of apps/lda's GPU sampler")

  # nvcc rejects the host flags added project-wide (-Wall, -fsanitize=...),
  # so the kernels' options are replaced, not added to.
  add_library(gaia_lda_cuda_kernels OBJECT ${_gaia_lda_cuda_dir}/sweep_kernels.cu)
  target_include_directories(gaia_lda_cuda_kernels PRIVATE ${GAIA_SOURCE_ROOT})
  target_link_libraries(gaia_lda_cuda_kernels PRIVATE CUDA::cudart_static)
  set_target_properties(gaia_lda_cuda_kernels PROPERTIES
    CUDA_ARCHITECTURES "${GAIA_LDA_CUDA_ARCHITECTURES}"
    CUDA_STANDARD 17
    CUDA_STANDARD_REQUIRED ON
    POSITION_INDEPENDENT_CODE ON
    COMPILE_OPTIONS "-Xcompiler=-Wall,-Wextra")

  add_library(gaia_lda_cuda_core STATIC
    ${_gaia_lda_cuda_dir}/gpu_lda_core.cc
    $<TARGET_OBJECTS:gaia_lda_cuda_kernels>
  )
  target_include_directories(gaia_lda_cuda_core PUBLIC $<BUILD_INTERFACE:${GAIA_SOURCE_ROOT}>)
  target_compile_features(gaia_lda_cuda_core PUBLIC cxx_std_17)
  target_link_libraries(gaia_lda_cuda_core PUBLIC gaia_gpu_core CUDA::cudart_static)
endif()
