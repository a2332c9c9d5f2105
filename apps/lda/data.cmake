# The corpora: spec parsing and splitting, UCI bag-of-words, plain text
# (tokenizer, stop words, vocabulary pruning), the named npm corpora (Brown,
# SpamAssassin) and the synthetic planted corpus. No RPC. See docs/APP_LDA.md.
add_library(gaia_lda_data STATIC
  data_source.cc
  doc_split.cc
  load_stats.cc
  mail_text.cc
  named_corpora.cc
  spec_options.cc
  stop_words.cc
  synthetic.cc
  text_corpus.cc
  text_lines.cc
  uci_loader.cc
  vocab_builder.cc
)
add_library(gaia::lda_data ALIAS gaia_lda_data)
target_include_directories(gaia_lda_data PUBLIC $<BUILD_INTERFACE:${GAIA_SOURCE_ROOT}>)
target_link_libraries(gaia_lda_data
  PUBLIC absl::status absl::statusor absl::strings absl::str_format absl::flat_hash_map
         absl::flat_hash_set)
