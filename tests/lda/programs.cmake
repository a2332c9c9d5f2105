# The LDA programs' own pieces, and the programs end to end.
if(TARGET gaia_lda_app)
  gaia_add_test(lda_app_parts_test
    SOURCES table_counts_test.cc serial_train_test.cc
    LIBS gaia_lda_app TIMEOUT 120)
endif()

# gaia_lda against real in-process shards, and the serial program's CLI.
if(TARGET gaia_lda AND TARGET gaia_lda_serial AND TARGET gaia_lda_eval AND TARGET gaia_server)
  gaia_add_test(lda_app_test
    SOURCES lda_app_test.cc
    LIBS gaia_server gaia_common gaia_testing nlohmann_json::nlohmann_json
    TIMEOUT 180)
  add_dependencies(lda_app_test gaia_lda gaia_lda_serial gaia_lda_eval)
endif()
