# The CNN programs' own pieces, and the programs end to end.
if(TARGET gaia_cnn_app)
  gaia_add_test(cnn_app_parts_test
    SOURCES param_rows_test.cc update_check_test.cc
    LIBS gaia_cnn_app TIMEOUT 60)
endif()

# gaia_cnn through the real launcher, and gaia_cnn_serial's CLI.
if(TARGET gaia_cnn AND TARGET gaia_cnn_serial)
  gaia_add_test(cnn_job_test
    SOURCES cnn_job_test.cc
    LIBS gaia_testing nlohmann_json::nlohmann_json
    TIMEOUT 600
    LABELS integration)
  foreach(_program gaia gaia_cnn gaia_cnn_serial gaia-wan-relay)
    if(TARGET ${_program})
      add_dependencies(cnn_job_test ${_program})
    endif()
  endforeach()
endif()
