# gaia_mf_cuda_kernels: the MF SGD kernels (sgd_kernels.h), CUDA runtime + std
# only, so bench/gpu/CMakeLists.txt includes this file on a machine with only
# CUDA and CMake. REQUIRES: the CUDA language enabled, the gaia_gpu_core
# target (apps/common/gpu/core.cmake) and GAIA_GPU_SOURCE_ROOT (the repository root).
if(NOT TARGET gaia_mf_cuda_kernels)
  # Real code for Turing, Ampere (sm_86/89 run sm_80 code) and Hopper, and
  # PTX that newer GPUs compile at load time.
  set(GAIA_MF_CUDA_ARCHITECTURES "75-real;80-real;90" CACHE STRING
      "CUDA architectures of apps/mf's GPU kernels")
  add_library(gaia_mf_cuda_kernels STATIC
    ${CMAKE_CURRENT_LIST_DIR}/sgd_kernels.cu
    ${CMAKE_CURRENT_LIST_DIR}/sgd_kernels.h
    ${CMAKE_CURRENT_LIST_DIR}/visit_order.h
  )
  target_include_directories(gaia_mf_cuda_kernels PUBLIC
    $<BUILD_INTERFACE:${GAIA_GPU_SOURCE_ROOT}>)
  target_link_libraries(gaia_mf_cuda_kernels PUBLIC gaia_gpu_core)
  # nvcc rejects host flags added project-wide (-Wall, -fsanitize=...), so
  # this target's options are replaced.
  set_target_properties(gaia_mf_cuda_kernels PROPERTIES
    CUDA_ARCHITECTURES "${GAIA_MF_CUDA_ARCHITECTURES}"
    CUDA_STANDARD 17
    CUDA_STANDARD_REQUIRED ON
    POSITION_INDEPENDENT_CODE ON
    COMPILE_OPTIONS "-Xcompiler=-Wall,-Wextra")
endif()
