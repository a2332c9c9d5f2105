#include "apps/lda/lda_model.h"

#include <math.h>  // lgamma_r

#include <algorithm>
#include <array>
#include <cstddef>

namespace gaia::lda {
namespace {

// lgamma without the global `signgam` write of std::lgamma (a data race when
// workers score in several threads). Every argument here is > 0.
double LogGamma(double x) {
  int sign = 0;
  return ::lgamma_r(x, &sign);
}

// lgamma(n + prior) - lgamma(prior) for count n: small counts (most of a
// sparse table's nonzeros) from a table filled once per call.
class CountTerm {
 public:
  explicit CountTerm(double prior) : prior_(prior), base_(LogGamma(prior)) {
    for (size_t n = 0; n < table_.size(); ++n) {
      table_[n] = LogGamma(static_cast<double>(n) + prior) - base_;
    }
  }
  double operator()(int64_t n) const {
    if (n <= 0) return 0;  // zero costs nothing; below zero is scored as zero
    if (n < static_cast<int64_t>(table_.size())) return table_[static_cast<size_t>(n)];
    return LogGamma(static_cast<double>(n) + prior_) - base_;
  }

 private:
  double prior_;
  double base_;
  std::array<double, 64> table_;
};

}  // namespace

double TotalsLogLikelihood(std::span<const int64_t> totals, const LdaParams& params) {
  const double vb = static_cast<double>(params.vocab_size) * params.beta;
  const double lg_vb = LogGamma(vb);
  double sum = 0;
  for (int64_t n : totals) {
    sum += lg_vb - LogGamma(static_cast<double>(std::max<int64_t>(n, 0)) + vb);
  }
  return sum;
}

double WordRowsLogLikelihood(std::span<const int32_t> rows, const LdaParams& params) {
  const CountTerm term(params.beta);
  double sum = 0;
  for (int32_t n : rows) {
    if (n > 0) sum += term(n);
  }
  return sum;
}

double DocLogLikelihood(std::span<const int32_t> nonzero_doc_topic_counts, uint32_t doc_length,
                        const LdaParams& params) {
  const double ka = static_cast<double>(params.topics) * params.alpha;
  const double lg_a = LogGamma(params.alpha);
  double sum = LogGamma(ka) - LogGamma(static_cast<double>(doc_length) + ka);
  for (int32_t n : nonzero_doc_topic_counts) {
    if (n > 0) sum += LogGamma(static_cast<double>(n) + params.alpha) - lg_a;
  }
  return sum;
}

}  // namespace gaia::lda
