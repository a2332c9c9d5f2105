# The programs: the distributed worker gaia_cnn and the single-process
# reference gaia_cnn_serial, on top of the model, data and collective
# libraries.
if(TARGET gaia_cnn_model AND TARGET gaia_cnn_data)
  add_library(gaia_cnn_app STATIC param_rows.cc train_flags.cc update_check.cc)
  target_include_directories(gaia_cnn_app PUBLIC $<BUILD_INTERFACE:${GAIA_SOURCE_ROOT}>)
  target_link_libraries(gaia_cnn_app
    PUBLIC gaia_cnn_model gaia_cnn_data gaia::app_common absl::status absl::strings)
  # --device=cuda: the GPU path when it was built (defines GAIA_HAVE_CUDA_MODEL).
  if(TARGET gaia_cnn_cuda)
    target_link_libraries(gaia_cnn_app PUBLIC gaia_cnn_cuda)
  endif()

  add_executable(gaia_cnn_serial serial_main.cc)
  target_link_libraries(gaia_cnn_serial PRIVATE gaia_cnn_app nlohmann_json::nlohmann_json)
  if(TARGET gaia::app_worker AND TARGET gaia_cnn_collective)
    add_executable(gaia_cnn main.cc)
    target_link_libraries(gaia_cnn PRIVATE gaia_cnn_app gaia_cnn_collective gaia::app_worker)
  endif()
endif()
