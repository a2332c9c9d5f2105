# The LDA programs' own pieces, and the programs end to end.
if(TARGET gaia_lda_app)
  gaia_add_test(lda_app_parts_test
    SOURCES table_counts_test.cc serial_train_test.cc
    LIBS gaia_lda_app TIMEOUT 120)
endif()
