# The GPU layer's core: CUDA runtime + the C++ standard library, nothing else,
# so bench/gpu/CMakeLists.txt includes this file on a machine that has only
# CUDA and CMake. REQUIRES: find_package(CUDAToolkit) done and
# GAIA_GPU_SOURCE_ROOT set to the repository root (sources include
# "apps/common/gpu/...").
if(NOT TARGET gaia_gpu_core)
  add_library(gaia_gpu_core STATIC
    ${CMAKE_CURRENT_LIST_DIR}/cuda_result.cc
    ${CMAKE_CURRENT_LIST_DIR}/device.cc
    ${CMAKE_CURRENT_LIST_DIR}/stream.cc
    ${CMAKE_CURRENT_LIST_DIR}/buffers.h
    ${CMAKE_CURRENT_LIST_DIR}/cuda_result.h
    ${CMAKE_CURRENT_LIST_DIR}/device.h
    ${CMAKE_CURRENT_LIST_DIR}/stream.h
  )
  add_library(gaia::gpu_core ALIAS gaia_gpu_core)
  target_include_directories(gaia_gpu_core PUBLIC $<BUILD_INTERFACE:${GAIA_GPU_SOURCE_ROOT}>)
  target_compile_features(gaia_gpu_core PUBLIC cxx_std_17)
  set_target_properties(gaia_gpu_core PROPERTIES POSITION_INDEPENDENT_CODE ON)
  # The static runtime: a CUDA build of gaia_mf or gaia_lda also starts on a
  # host without the CUDA toolkit (another host of a multi-host job), where
  # --device=cuda then reports no GPU instead of a missing library.
  target_link_libraries(gaia_gpu_core PUBLIC CUDA::cudart_static)
endif()
