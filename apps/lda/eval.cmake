# apps/lda evaluation (docs/APP_LDA.md "Evaluation"): topic matrices and their
# exchange format, held-out likelihood by document completion, NPMI
# coherence, distance from planted topics. No RPC, no data loaders: usable by
# any program and by tests with in-memory corpora.
add_library(gaia_lda_eval_core STATIC
  coherence.cc
  held_out_eval.cc
  topic_distance.cc
  topic_matrix.cc
)
add_library(gaia::lda_eval ALIAS gaia_lda_eval_core)
target_include_directories(gaia_lda_eval_core PUBLIC $<BUILD_INTERFACE:${GAIA_SOURCE_ROOT}>)
target_link_libraries(gaia_lda_eval_core
  PUBLIC absl::status absl::statusor absl::strings
  PRIVATE absl::str_format nlohmann_json::nlohmann_json Threads::Threads)

# The program reads corpora by data spec (data_source.h), so it needs the data
# library; it is skipped (with a note) while that target does not exist yet.
if(TARGET gaia_lda_data)
  add_executable(gaia_lda_eval eval_main.cc)
  target_link_libraries(gaia_lda_eval PRIVATE
    gaia_lda_eval_core gaia_lda_data gaia::app_common nlohmann_json::nlohmann_json)
else()
  message(STATUS "gaia: gaia_lda_data not defined; skipping apps/lda gaia_lda_eval")
endif()
