# gaia_cnn_cuda: apps/cnn's networks on one GPU, cuDNN + cuBLAS + own kernels
# (apps/cnn/cuda/cuda_model.h, docs/APP_CNN_GPU.md). Built only with
# GAIA_WITH_CUDA and when cuDNN is found; defines GAIA_HAVE_CUDA_MODEL=1 for
# whoever links it. Also builds cnn_cuda_check, the one-run GPU check.
if(GAIA_WITH_CUDA)
  find_package(CUDAToolkit QUIET)
  set(_gaia_cudnn_hints $ENV{CUDNN_ROOT})
  if(CUDAToolkit_FOUND)
    list(APPEND _gaia_cudnn_hints ${CUDAToolkit_INCLUDE_DIRS} ${CUDAToolkit_LIBRARY_DIR}
         ${CUDAToolkit_LIBRARY_ROOT})
  endif()
  find_path(GAIA_CUDNN_INCLUDE_DIR cudnn.h HINTS ${_gaia_cudnn_hints} PATH_SUFFIXES include)
  find_library(GAIA_CUDNN_LIBRARY cudnn HINTS ${_gaia_cudnn_hints} PATH_SUFFIXES lib lib64)
  if(NOT CUDAToolkit_FOUND)
    message(STATUS "gaia: CNN GPU path off (find_package(CUDAToolkit) failed)")
  elseif(NOT TARGET CUDA::cublas)
    message(STATUS "gaia: CNN GPU path off (cuBLAS not found in the CUDA toolkit)")
  elseif(NOT GAIA_CUDNN_INCLUDE_DIR OR NOT GAIA_CUDNN_LIBRARY)
    message(STATUS "gaia: CNN GPU path off (cudnn.h or libcudnn not found; "
                   "set CUDNN_ROOT to its install prefix)")
  else()
    message(STATUS "gaia: CNN GPU path on (cuDNN ${GAIA_CUDNN_LIBRARY})")
    # Real code for Turing and Ampere (sm_86/89 run sm_80 code), Hopper, and
    # PTX that newer GPUs compile at load time.
    set(GAIA_CNN_CUDA_ARCHITECTURES "75-real;80-real;90" CACHE STRING
        "CUDA architectures of apps/cnn's GPU kernels")

    # The kernels alone: nvcc rejects the host flags added project-wide
    # (-Wall, -fsanitize=...), so this target's options are replaced.
    add_library(gaia_cnn_cuda_kernels OBJECT ${CMAKE_CURRENT_LIST_DIR}/cuda/kernels.cu)
    target_include_directories(gaia_cnn_cuda_kernels PRIVATE ${GAIA_SOURCE_ROOT})
    set_target_properties(gaia_cnn_cuda_kernels PROPERTIES
      CUDA_ARCHITECTURES "${GAIA_CNN_CUDA_ARCHITECTURES}"
      CUDA_STANDARD 17
      CUDA_STANDARD_REQUIRED ON
      POSITION_INDEPENDENT_CODE ON
      COMPILE_OPTIONS "-Xcompiler=-Wall,-Wextra")

    add_library(gaia_cnn_cuda STATIC
      ${CMAKE_CURRENT_LIST_DIR}/cuda/cuda_conv.cc
      ${CMAKE_CURRENT_LIST_DIR}/cuda/cuda_layers.cc
      ${CMAKE_CURRENT_LIST_DIR}/cuda/cuda_model.cc
      ${CMAKE_CURRENT_LIST_DIR}/cuda/cuda_status.cc
      ${CMAKE_CURRENT_LIST_DIR}/cuda/gpu_net.cc
      $<TARGET_OBJECTS:gaia_cnn_cuda_kernels>
    )
    add_library(gaia::cnn_cuda ALIAS gaia_cnn_cuda)
    target_include_directories(gaia_cnn_cuda PUBLIC $<BUILD_INTERFACE:${GAIA_SOURCE_ROOT}>)
    target_include_directories(gaia_cnn_cuda SYSTEM PRIVATE ${GAIA_CUDNN_INCLUDE_DIR})
    # cuda_model.h includes no CUDA header: the toolkit stays private.
    target_link_libraries(gaia_cnn_cuda
      PUBLIC gaia_cnn_model absl::status absl::statusor
      PRIVATE absl::strings CUDA::cudart CUDA::cublas ${GAIA_CUDNN_LIBRARY})
    target_compile_definitions(gaia_cnn_cuda PUBLIC GAIA_HAVE_CUDA_MODEL=1)

    add_executable(cnn_cuda_check ${CMAKE_CURRENT_LIST_DIR}/cuda/cnn_cuda_check.cc)
    target_link_libraries(cnn_cuda_check PRIVATE gaia_cnn_cuda absl::strings CUDA::cudart)
  endif()
endif()
