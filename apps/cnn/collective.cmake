# The sum of one DC's worker updates (docs/APP_CNN_COLLECTIVE.md):
#   gaia_cnn_collective_core  the interface (apps/cnn/collective.h), Slice, options
#   gaia_cnn_nccl             NCCL on the GPUs; only with CUDA and NCCL found;
#                             defines GAIA_HAVE_NCCL for whoever links it
#   gaia_cnn_collective       the CPU ring over Unix sockets and MakeCollective;
#                             what callers link (it brings gaia_cnn_nccl along)
add_library(gaia_cnn_collective_core STATIC collective.cc)
add_library(gaia::cnn_collective_core ALIAS gaia_cnn_collective_core)
target_include_directories(gaia_cnn_collective_core
  PUBLIC $<BUILD_INTERFACE:${GAIA_SOURCE_ROOT}>)
target_link_libraries(gaia_cnn_collective_core PUBLIC absl::status absl::statusor absl::strings)

if(GAIA_WITH_CUDA AND GAIA_WITH_NCCL)
  find_package(CUDAToolkit QUIET)
  set(_gaia_cuda_hints)
  if(CUDAToolkit_FOUND)
    # CUDA 13 installs keep libnccl in <root>/lib, not lib64.
    list(APPEND _gaia_cuda_hints ${CUDAToolkit_INCLUDE_DIRS} ${CUDAToolkit_LIBRARY_DIR}
         ${CUDAToolkit_LIBRARY_ROOT} ${CUDAToolkit_LIBRARY_ROOT}/lib
         ${CUDAToolkit_LIBRARY_ROOT}/lib64)
  endif()
  find_path(GAIA_NCCL_INCLUDE_DIR nccl.h HINTS ${_gaia_cuda_hints} PATH_SUFFIXES include)
  find_library(GAIA_NCCL_LIBRARY nccl HINTS ${_gaia_cuda_hints} PATH_SUFFIXES lib lib64)
  if(CUDAToolkit_FOUND AND GAIA_NCCL_INCLUDE_DIR AND GAIA_NCCL_LIBRARY)
    message(STATUS "gaia: NCCL collective on (${GAIA_NCCL_LIBRARY})")
    add_library(gaia_cnn_nccl STATIC nccl_collective.cc nccl_host_collective.cc nccl_status.cc)
    add_library(gaia::cnn_nccl ALIAS gaia_cnn_nccl)
    target_include_directories(gaia_cnn_nccl SYSTEM PUBLIC ${GAIA_NCCL_INCLUDE_DIR})
    target_link_libraries(gaia_cnn_nccl
      PUBLIC gaia_cnn_collective_core CUDA::cudart ${GAIA_NCCL_LIBRARY}
             absl::status absl::statusor absl::strings)
    target_compile_definitions(gaia_cnn_nccl PUBLIC GAIA_HAVE_NCCL=1)
  else()
    message(STATUS "gaia: NCCL collective off (nccl.h or libnccl not found)")
  endif()
endif()

add_library(gaia_cnn_collective STATIC
  collective_factory.cc
  collective_link.cc
  collective_rendezvous.cc
  collective_ring.cc
)
add_library(gaia::cnn_collective ALIAS gaia_cnn_collective)
target_link_libraries(gaia_cnn_collective
  PUBLIC gaia_cnn_collective_core absl::status absl::statusor absl::strings)
if(TARGET gaia_cnn_nccl)
  target_link_libraries(gaia_cnn_collective PUBLIC gaia_cnn_nccl)
endif()
