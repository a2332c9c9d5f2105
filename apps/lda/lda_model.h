// The LDA model's hyperparameters and the collapsed log-likelihood used as
// the objective (thesis §5.4.2; Griffiths & Steyvers 2004, eq. 2-3):
//
//   log p(w, z) = log p(w | z) + log p(z)
//   log p(w | z) = sum_k [lgamma(V b) - lgamma(n_k + V b)]
//                + sum_w sum_k [lgamma(n_wk + b) - lgamma(b)]
//   log p(z)     = sum_d [lgamma(K a) - lgamma(N_d + K a)
//                         + sum_k (lgamma(n_dk + a) - lgamma(a))]
//
// with K topics, V words, n_wk word-topic counts, n_k topic totals, n_dk
// document-topic counts, N_d document lengths. The three sums are separate
// functions because they live in different places: n_k in one table row,
// n_wk in the word-topic table's rows (each worker scores a share of them),
// n_dk in the workers. Counts below zero (a stale view can hold them) are
// scored as zero.
#ifndef GAIA_APPS_LDA_LDA_MODEL_H_
#define GAIA_APPS_LDA_LDA_MODEL_H_

#include <cstdint>
#include <span>

namespace gaia::lda {

struct LdaParams {
  uint32_t topics = 100;     // K
  double alpha = 0.1;        // symmetric document-topic prior a
  double beta = 0.01;        // symmetric topic-word prior b
  uint32_t vocab_size = 0;   // V: the whole vocabulary (the table's rows)
};

// sum_k [lgamma(V b) - lgamma(n_k + V b)]; totals.size() == topics.
double TotalsLogLikelihood(std::span<const int64_t> totals, const LdaParams& params);

// sum over the given rows (row-major, params.topics per row) of
// sum_k [lgamma(n_wk + b) - lgamma(b)]. Zero counts cost nothing.
double WordRowsLogLikelihood(std::span<const int32_t> rows, const LdaParams& params);

// One document's term: lgamma(K a) - lgamma(N_d + K a)
// + sum_k (lgamma(n_dk + a) - lgamma(a)), from its nonzero topic counts.
double DocLogLikelihood(std::span<const int32_t> nonzero_doc_topic_counts, uint32_t doc_length,
                        const LdaParams& params);

}  // namespace gaia::lda

#endif  // GAIA_APPS_LDA_LDA_MODEL_H_
