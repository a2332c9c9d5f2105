# lda_kernel_bench: the GPU LDA sampler on a synthetic NYTimes-shaped corpus
# (lda_kernel_bench.cc, docs/APP_LDA_GPU.md). Included by bench/gpu's
# standalone CMakeLists.txt; needs only CUDA, CMake and the C++ standard
# library (the sampler's core, apps/lda/cuda/core.cmake, needs no absl).
# Expects the CUDA language enabled; finds CUDA::cudart itself.
get_filename_component(_gaia_lda_bench_root ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)
if(NOT DEFINED GAIA_SOURCE_ROOT)
  set(GAIA_SOURCE_ROOT ${_gaia_lda_bench_root})
endif()
if(NOT TARGET CUDA::cudart)
  find_package(CUDAToolkit REQUIRED)
endif()
# bench/gpu/run.sh picks the architectures for every benchmark at once.
if(DEFINED GAIA_GPU_BENCH_ARCHITECTURES)
  set(GAIA_LDA_CUDA_ARCHITECTURES "${GAIA_GPU_BENCH_ARCHITECTURES}" CACHE STRING
      "CUDA architectures of apps/lda's GPU sampler")
endif()
include(${_gaia_lda_bench_root}/apps/lda/cuda/core.cmake)

add_executable(lda_kernel_bench ${CMAKE_CURRENT_LIST_DIR}/lda_kernel_bench.cc)
target_compile_features(lda_kernel_bench PRIVATE cxx_std_17)
target_link_libraries(lda_kernel_bench PRIVATE gaia_lda_cuda_core)
