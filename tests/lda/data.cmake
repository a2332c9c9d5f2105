# apps/lda corpora: loaders, splits, synthetic planted corpus (no RPC).
gaia_add_test(lda_uci_loader_test SOURCES uci_loader_test.cc
              LIBS gaia::lda_data gaia_testing TIMEOUT 60)
gaia_add_test(lda_text_corpus_test SOURCES text_corpus_test.cc
              LIBS gaia::lda_data gaia_testing TIMEOUT 60)
gaia_add_test(lda_data_source_test SOURCES data_source_test.cc
              LIBS gaia::lda_data gaia_testing TIMEOUT 60)
gaia_add_test(lda_synthetic_test SOURCES synthetic_test.cc
              LIBS gaia::lda_data TIMEOUT 60)
# Loads the real corpora that scripts/setup.sh installs; fails (with the
# install command) when they are missing.
gaia_add_test(lda_named_corpora_test SOURCES named_corpora_test.cc
              LIBS gaia::lda_data gaia_testing TIMEOUT 120)
# Seeded random corruptions of valid UCI and text files.
gaia_add_test(lda_data_fuzz_test SOURCES data_fuzz_test.cc
              LIBS gaia::lda_data gaia_testing TIMEOUT 120)
