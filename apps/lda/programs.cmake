# The programs: the distributed worker gaia_lda and the single-process
# reference gaia_lda_serial, on top of the data and sampler libraries.
if(TARGET gaia_lda_data AND TARGET gaia_lda_sampler)
  add_library(gaia_lda_app STATIC flags.cc serial_train.cc table_counts.cc topic_sampler.cc)
  target_include_directories(gaia_lda_app PUBLIC $<BUILD_INTERFACE:${GAIA_SOURCE_ROOT}>)
  target_link_libraries(gaia_lda_app
    PUBLIC gaia_lda_data gaia_lda_sampler gaia::app_common absl::status absl::strings)
  # --device=cuda: the GPU sampler when this build has one (cuda.cmake).
  if(TARGET gaia_lda_cuda)
    target_link_libraries(gaia_lda_app PUBLIC gaia_lda_cuda)
  endif()

  if(TARGET gaia_lda_eval_core)
    add_executable(gaia_lda_serial serial_main.cc)
    target_link_libraries(gaia_lda_serial
      PRIVATE gaia_lda_app gaia_lda_eval_core nlohmann_json::nlohmann_json)
  endif()
  if(TARGET gaia::app_worker)
    add_executable(gaia_lda main.cc)
    target_link_libraries(gaia_lda PRIVATE gaia_lda_app gaia::app_worker)
  endif()
endif()
