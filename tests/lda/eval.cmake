# apps/lda evaluation: topic matrices, held-out likelihood, NPMI, topic
# distance (in-memory corpora; all run in seconds).
gaia_add_test(lda_topic_matrix_test SOURCES topic_matrix_test.cc
              LIBS gaia::lda_eval gaia_testing TIMEOUT 60)
gaia_add_test(lda_held_out_eval_test SOURCES held_out_eval_test.cc
              LIBS gaia::lda_eval TIMEOUT 120)
gaia_add_test(lda_coherence_test SOURCES coherence_test.cc LIBS gaia::lda_eval TIMEOUT 60)
gaia_add_test(lda_topic_distance_test SOURCES topic_distance_test.cc
              LIBS gaia::lda_eval TIMEOUT 60)

# The program end to end (needs the data library, like the program).
if(TARGET gaia_lda_eval)
  gaia_add_test(lda_eval_program_test SOURCES eval_program_test.cc
                LIBS gaia::lda_eval gaia_testing nlohmann_json::nlohmann_json TIMEOUT 120)
  add_dependencies(lda_eval_program_test gaia_lda_eval)
endif()
