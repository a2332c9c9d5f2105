# gaia_cnn_model: tensors, layers, the networks by name, SGD; CPU only (Eigen),
# no Gaia dependency. See apps/cnn/model.h.
add_library(gaia_cnn_model STATIC
  graph.cc
  layers/batch_norm.cc
  layers/conv2d.cc
  layers/elementwise.cc
  layers/group_norm.cc
  layers/im2col.cc
  layers/linear.cc
  layers/loss.cc
  layers/pool.cc
  model.cc
  model_zoo.cc
  sgd.cc
  thread_pool.cc
)
add_library(gaia::cnn_model ALIAS gaia_cnn_model)
target_include_directories(gaia_cnn_model PUBLIC $<BUILD_INTERFACE:${GAIA_SOURCE_ROOT}>)
target_link_libraries(gaia_cnn_model
  PUBLIC absl::status absl::statusor absl::strings Threads::Threads
  PRIVATE Eigen3::Eigen)

# -O3 even in RelWithDebInfo: GCC vectorizes the elementwise loops only there.
target_compile_options(gaia_cnn_model PRIVATE $<$<NOT:$<CONFIG:Debug>>:-O3>)

# The GEMMs and reductions are most of a training step; compiling them for
# the build machine's vector unit (AVX2/AVX-512 where present) is worth about
# 2-3x. Turn off for a binary that must run on older CPUs.
option(GAIA_CNN_NATIVE "Compile gaia_cnn_model with -march=native" ON)
if(GAIA_CNN_NATIVE)
  include(CheckCXXCompilerFlag)
  check_cxx_compiler_flag(-march=native GAIA_CNN_HAS_MARCH_NATIVE)
  if(GAIA_CNN_HAS_MARCH_NATIVE)
    target_compile_options(gaia_cnn_model PRIVATE -march=native)
    # GCC 12's AVX-512 intrinsics headers trip -W(maybe-)uninitialized on
    # _mm512_undefined_* inside Eigen (GCC bug 105593, fixed in GCC 13).
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
      target_compile_options(gaia_cnn_model PRIVATE -Wno-maybe-uninitialized -Wno-uninitialized)
    endif()
  endif()
endif()
