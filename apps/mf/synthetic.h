// Seeded synthetic ratings from a planted low-rank model.
//
//   absl::StatusOr<SyntheticOptions> o = ParseSyntheticSpec(
//       "synthetic:users=2000,items=1000,ratings=100000,rank=8,dc=0,dcs=2");
//   absl::StatusOr<SyntheticGenerator> g = SyntheticGenerator::Create(*o);
//   std::vector<Rating> mine = g->Generate(/*part=*/1, /*parts=*/4);
//
// Model: user u has factor p_u and item i has factor q_i, every entry drawn
// from N(m, k^-1/2) (stddev k^-1/4 for rank k) with m = sqrt(mean / k), so
// p_u·q_i has mean `mean` and, at mean 0, unit variance. A rating is
// p_u·q_i + N(0, noise^2). A positive mean is the shape of star ratings
// (Netflix's average about 3.6): factors centred away from zero.
//
// Popularity: item i is drawn with probability proportional to
// rank(i)^-zipf, where rank() is a seeded permutation of the items; user u
// rates about ratings * w_u / sum(w) distinct items (at most items/2, so
// the total can fall short of `ratings`), w_u = pos(u)^-user_zipf
// for a hashed position pos(u) in [1, users].
//
// Locality: everything about user u (its factor, count, items, noise) comes
// from a per-user random stream seeded by (seed, u), so a worker generates
// exactly its own users' ratings and gets the same ratings as filtering the
// full set. Item factors depend only on (seed, i).
//
// DC split: users are global ids [0, users). DC `dc` of `dcs` holds the
// contiguous range [dc*users/dcs, (dc+1)*users/dcs); inside a DC, data part p
// of P keeps the users with PartOf(u, P) == p. The union over all DCs is the
// spec without dc/dcs.
//
// Thread-safe after Create() (const methods only).
#ifndef GAIA_APPS_MF_SYNTHETIC_H_
#define GAIA_APPS_MF_SYNTHETIC_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "apps/mf/rating.h"

namespace gaia::mf {

struct SyntheticOptions {
  uint32_t users = 4000;        // global user count, over all DCs
  uint32_t items = 1000;        // R table rows needed: items
  uint64_t ratings = 800000;    // total over all users (approximate)
  uint32_t rank = 16;           // rank of the planted model
  double noise = 0.3;           // stddev of the Gaussian rating noise
  double mean = 0;              // mean rating of the planted model, >= 0
  double zipf = 0.3;            // item popularity exponent (0 = uniform)
  double user_zipf = 0.5;       // per-user rating-count exponent (0 = equal)
  uint64_t seed = 7;
  uint32_t dc = 0;              // this DC's index in [0, dcs)
  uint32_t dcs = 1;             // number of DCs the users are split over
  // > 0: generate held-out ratings instead of the training ratings: for each
  // user about heldout x (its training count) ratings of items it did not
  // rate in training, from the same planted model (own noise stream). The
  // training ratings of the spec without `heldout` are unchanged by it.
  double heldout = 0;
};

// Parses "synthetic" or "synthetic:key=value,..." with keys users, items,
// ratings, rank, noise, mean, zipf, user_zipf, seed, dc, dcs, heldout (any subset,
// any order). Unknown keys, bad numbers and out-of-range values are errors.
absl::StatusOr<SyntheticOptions> ParseSyntheticSpec(absl::string_view spec);

// The canonical spec string for `options` (every key, fixed order; heldout
// only when > 0).
std::string FormatSyntheticSpec(const SyntheticOptions& options);

class SyntheticGenerator {
 public:
  // Validates the options; precomputes item factors and popularity tables
  // (O(items * rank + users) time and memory).
  static absl::StatusOr<SyntheticGenerator> Create(const SyntheticOptions& options);

  const SyntheticOptions& options() const { return options_; }

  // This DC's users: [first_user(), end_user()).
  uint32_t first_user() const;
  uint32_t end_user() const;

  // The ratings of users of this DC with PartOf(u, parts) == part, by user.
  // REQUIRES: part < parts.
  std::vector<Rating> Generate(uint32_t part = 0, uint32_t parts = 1) const;

  // Appends user u's ratings (any u in [0, users)), independent of the DC
  // (its held-out ratings when options().heldout > 0).
  void AppendUserRatings(uint32_t user, std::vector<Rating>* out) const;

  // The planted factors (rank floats), for tests and diagnostics.
  std::vector<float> UserFactor(uint32_t user) const;
  std::span<const float> ItemFactor(uint32_t item) const;

 private:
  explicit SyntheticGenerator(const SyntheticOptions& options) : options_(options) {}

  SyntheticOptions options_;
  std::vector<float> item_factors_;     // items x rank
  std::vector<double> item_cdf_;        // by popularity rank, last = 1
  std::vector<uint32_t> item_by_rank_;  // popularity rank -> item id
  double user_weight_sum_ = 0;          // sum over positions of pos^-user_zipf
};

}  // namespace gaia::mf

#endif  // GAIA_APPS_MF_SYNTHETIC_H_
