# apps/mf's --device path. The first two run everywhere (no GPU needed): the
# shared per-rating step and visit order, the engines and the --device error
# paths. mf_cuda_sgd_test compares the GPU pass with the CPU's and skips, with
# the reason, where no GPU is visible.
gaia_add_test(mf_sgd_update_test SOURCES sgd_update_test.cc LIBS gaia::mf_core TIMEOUT 60)

gaia_add_test(mf_engine_test SOURCES engine_test.cc
  LIBS gaia_mf_flags gaia::mf_core gaia_testing TIMEOUT 120)
add_dependencies(mf_engine_test gaia_mf_serial)
if(TARGET gaia_mf)
  add_dependencies(mf_engine_test gaia_mf)
  target_compile_definitions(mf_engine_test PRIVATE GAIA_TEST_HAVE_WORKER_PROGRAM=1)
endif()
if(TARGET gaia_gpu)
  target_link_libraries(mf_engine_test PRIVATE gaia::gpu)
  target_compile_definitions(mf_engine_test PRIVATE GAIA_TEST_HAVE_GPU_LAYER=1)
endif()

if(TARGET gaia_mf_cuda)
  gaia_add_test(mf_cuda_sgd_test SOURCES cuda_sgd_test.cc
    LIBS gaia::mf_cuda gaia::mf_core gaia::gpu TIMEOUT 300 LABELS gpu)
endif()
