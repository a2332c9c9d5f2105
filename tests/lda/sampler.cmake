# Tests of gaia_lda_sampler (apps/lda/sampler.cmake).
gaia_add_test(lda_model_test SOURCES lda_model_test.cc LIBS gaia::lda_sampler TIMEOUT 60)
gaia_add_test(lda_alias_table_test SOURCES alias_table_test.cc LIBS gaia::lda_sampler
  TIMEOUT 60)
gaia_add_test(lda_sampler_test SOURCES sampler_test.cc LIBS gaia::lda_sampler TIMEOUT 600)
