# gaia_lda_sampler: the LDA log-likelihood and the samplers (exact and
# alias Metropolis-Hastings). See apps/lda/sampler.h and docs/APP_LDA.md.
add_library(gaia_lda_sampler STATIC
  alias_table.cc
  exact_sampler.cc
  lda_model.cc
  mh_sampler.cc
  sampler.cc
  word_proposal.cc
)
add_library(gaia::lda_sampler ALIAS gaia_lda_sampler)
target_include_directories(gaia_lda_sampler PUBLIC $<BUILD_INTERFACE:${GAIA_SOURCE_ROOT}>)
target_link_libraries(gaia_lda_sampler
  PUBLIC absl::status absl::statusor absl::strings Threads::Threads)
