#include "apps/mf/synthetic.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <unordered_set>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "apps/mf/random.h"

namespace gaia::mf {
namespace {

// Salts keep the per-entity random streams of different kinds apart.
constexpr uint64_t kUserSalt = 0x75736572;   // "user"
constexpr uint64_t kItemSalt = 0x6974656D;   // "item"
constexpr uint64_t kPermSalt = 0x7065726D;   // "perm"
constexpr uint64_t kHeldOutSalt = 0x74657374;  // "test"

absl::Status Bad(absl::string_view key, absl::string_view value,
                 absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("synthetic spec: ", key, "=", value, ": ", why));
}

template <typename T>
absl::Status ParseUint(absl::string_view key, absl::string_view value, T* out) {
  uint64_t v = 0;
  if (value.empty() || value[0] == '-' || value[0] == '+' ||
      !absl::SimpleAtoi(value, &v) || v > std::numeric_limits<T>::max()) {
    return Bad(key, value, "expected a non-negative integer");
  }
  *out = static_cast<T>(v);
  return absl::OkStatus();
}

absl::Status ParseReal(absl::string_view key, absl::string_view value, double* out) {
  if (!absl::SimpleAtod(value, out) || !std::isfinite(*out)) {
    return Bad(key, value, "expected a number");
  }
  return absl::OkStatus();
}

absl::Status Validate(const SyntheticOptions& o) {
  auto fail = [](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("synthetic spec: ", what));
  };
  if (o.users == 0 || o.users - 1 > kMaxUserId) {
    return fail(absl::StrCat("users must be in [1, ", uint64_t{kMaxUserId} + 1, "]"));
  }
  if (o.items == 0 || o.items - 1 > kMaxItemId) {
    return fail(absl::StrCat("items must be in [1, ", uint64_t{kMaxItemId} + 1, "]"));
  }
  if (o.ratings == 0 || o.ratings > (uint64_t{1} << 34)) {
    return fail("ratings must be in [1, 2^34]");
  }
  if (o.rank == 0 || o.rank > 4096) return fail("rank must be in [1, 4096]");
  if (!(o.noise >= 0 && o.noise <= 100)) return fail("noise must be in [0, 100]");
  if (!(o.mean >= 0 && o.mean <= 100)) return fail("mean must be in [0, 100]");
  if (!(o.zipf >= 0 && o.zipf <= 5)) return fail("zipf must be in [0, 5]");
  if (!(o.user_zipf >= 0 && o.user_zipf <= 5)) {
    return fail("user_zipf must be in [0, 5]");
  }
  if (o.dcs == 0 || o.dcs > o.users) return fail("dcs must be in [1, users]");
  if (o.dc >= o.dcs) return fail("dc must be in [0, dcs)");
  if (!(o.heldout >= 0 && o.heldout <= 1)) return fail("heldout must be in [0, 1]");
  return absl::OkStatus();
}

void FillFactor(RandomStream* rng, const SyntheticOptions& o, float* out) {
  // Entry stddev rank^-1/4 makes a dot product of two centred factors
  // unit-variance; entry mean sqrt(mean / rank) gives it mean `mean`.
  const double scale = std::pow(static_cast<double>(o.rank), -0.25);
  const double centre = std::sqrt(o.mean / static_cast<double>(o.rank));
  for (uint32_t c = 0; c < o.rank; ++c) {
    out[c] = static_cast<float>(centre + rng->Normal() * scale);
  }
}

}  // namespace

absl::StatusOr<SyntheticOptions> ParseSyntheticSpec(absl::string_view spec) {
  SyntheticOptions o;
  absl::string_view rest = spec;
  if (!absl::ConsumePrefix(&rest, "synthetic")) {
    return absl::InvalidArgumentError(
        absl::StrCat("synthetic spec '", spec, "' must start with 'synthetic'"));
  }
  if (rest.empty()) return o;
  if (!absl::ConsumePrefix(&rest, ":")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "synthetic spec '", spec, "': expected ':' after 'synthetic'"));
  }
  for (absl::string_view item : absl::StrSplit(rest, ',', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(item, absl::MaxSplits('=', 1));
    const absl::string_view key = kv.first;
    const absl::string_view value = kv.second;
    absl::Status s;
    if (key == "users") s = ParseUint(key, value, &o.users);
    else if (key == "items") s = ParseUint(key, value, &o.items);
    else if (key == "ratings") s = ParseUint(key, value, &o.ratings);
    else if (key == "rank") s = ParseUint(key, value, &o.rank);
    else if (key == "noise") s = ParseReal(key, value, &o.noise);
    else if (key == "mean") s = ParseReal(key, value, &o.mean);
    else if (key == "zipf") s = ParseReal(key, value, &o.zipf);
    else if (key == "user_zipf") s = ParseReal(key, value, &o.user_zipf);
    else if (key == "seed") s = ParseUint(key, value, &o.seed);
    else if (key == "dc") s = ParseUint(key, value, &o.dc);
    else if (key == "dcs") s = ParseUint(key, value, &o.dcs);
    else if (key == "heldout") s = ParseReal(key, value, &o.heldout);
    else {
      s = absl::InvalidArgumentError(absl::StrCat(
          "synthetic spec: unknown key '", key,
          "' (known: users, items, ratings, rank, noise, mean, zipf, user_zipf, "
          "seed, dc, dcs, heldout)"));
    }
    if (!s.ok()) return s;
  }
  if (absl::Status s = Validate(o); !s.ok()) return s;
  return o;
}

std::string FormatSyntheticSpec(const SyntheticOptions& o) {
  return absl::StrCat("synthetic:users=", o.users, ",items=", o.items,
                      ",ratings=", o.ratings, ",rank=", o.rank, ",noise=", o.noise,
                      ",zipf=", o.zipf, ",user_zipf=", o.user_zipf,
                      ",seed=", o.seed, ",dc=", o.dc, ",dcs=", o.dcs,
                      o.heldout > 0 ? absl::StrCat(",heldout=", o.heldout) : "",
                      o.mean > 0 ? absl::StrCat(",mean=", o.mean) : "");
}

absl::StatusOr<SyntheticGenerator> SyntheticGenerator::Create(
    const SyntheticOptions& options) {
  if (absl::Status s = Validate(options); !s.ok()) return s;
  SyntheticGenerator g(options);
  const uint32_t k = options.rank;
  g.item_factors_.resize(static_cast<size_t>(options.items) * k);
  for (uint32_t i = 0; i < options.items; ++i) {
    RandomStream rng(options.seed, kItemSalt, i);
    FillFactor(&rng, options, &g.item_factors_[static_cast<size_t>(i) * k]);
  }
  // Popularity rank -> item: a seeded Fisher-Yates shuffle, so popular items
  // are spread over the id space (and over R's shards).
  g.item_by_rank_.resize(options.items);
  std::iota(g.item_by_rank_.begin(), g.item_by_rank_.end(), 0u);
  RandomStream perm(options.seed, kPermSalt, 0);
  for (uint32_t i = options.items; i > 1; --i) {
    std::swap(g.item_by_rank_[i - 1], g.item_by_rank_[perm.Below(i)]);
  }
  g.item_cdf_.resize(options.items);
  double sum = 0;
  for (uint32_t r = 0; r < options.items; ++r) {
    sum += std::pow(static_cast<double>(r + 1), -options.zipf);
    g.item_cdf_[r] = sum;
  }
  for (double& c : g.item_cdf_) c /= sum;
  g.item_cdf_.back() = 1.0;
  for (uint32_t p = 1; p <= options.users; ++p) {
    g.user_weight_sum_ += std::pow(static_cast<double>(p), -options.user_zipf);
  }
  return g;
}

uint32_t SyntheticGenerator::first_user() const {
  return static_cast<uint32_t>(uint64_t{options_.dc} * options_.users / options_.dcs);
}

uint32_t SyntheticGenerator::end_user() const {
  return static_cast<uint32_t>((uint64_t{options_.dc} + 1) * options_.users /
                               options_.dcs);
}

std::vector<Rating> SyntheticGenerator::Generate(uint32_t part, uint32_t parts) const {
  std::vector<Rating> out;
  if (parts == 0 || part >= parts) return out;
  const uint32_t end = end_user();
  const uint32_t dc_users = end - first_user();
  out.reserve(options_.ratings / std::max<uint32_t>(options_.users, 1) *
              (dc_users / parts + 1));
  for (uint32_t u = first_user(); u < end; ++u) {
    if (PartOf(u, parts) == part) AppendUserRatings(u, &out);
  }
  return out;
}

void SyntheticGenerator::AppendUserRatings(uint32_t user, std::vector<Rating>* out) const {
  const uint32_t k = options_.rank;
  RandomStream rng(options_.seed, kUserSalt, user);
  std::vector<float> factor(k);
  FillFactor(&rng, options_, factor.data());

  // How many items this user rates: a power-law weight at a random position,
  // rounded stochastically so the total stays unbiased.
  const double position = 1.0 + static_cast<double>(rng.Below(options_.users));
  const double expected = static_cast<double>(options_.ratings) *
                          std::pow(position, -options_.user_zipf) / user_weight_sum_;
  uint64_t count = static_cast<uint64_t>(expected);
  if (rng.Uniform() < expected - static_cast<double>(count)) ++count;
  const uint64_t max_count = std::max<uint32_t>(1, options_.items / 2);
  count = std::clamp<uint64_t>(count, 1, max_count);

  // Distinct items by popularity; bounded tries, so a user whose count is
  // hard to reach under a steep power law just gets fewer ratings.
  std::unordered_set<uint32_t> chosen;
  chosen.reserve(count * 2);
  const bool training = options_.heldout <= 0;
  const auto draw_item = [&](RandomStream* stream) {
    const double u = stream->Uniform();
    const size_t r = static_cast<size_t>(
        std::upper_bound(item_cdf_.begin(), item_cdf_.end(), u) - item_cdf_.begin());
    return item_by_rank_[std::min(r, item_by_rank_.size() - 1)];
  };
  const auto rating = [&](uint32_t item, RandomStream* stream) {
    const float* q = &item_factors_[static_cast<size_t>(item) * k];
    double dot = 0;
    for (uint32_t c = 0; c < k; ++c) dot += static_cast<double>(factor[c]) * q[c];
    const double value = dot + options_.noise * stream->Normal();
    return Rating{user, item, static_cast<float>(value)};
  };
  const uint64_t max_tries = 20 * count + 100;
  for (uint64_t t = 0; t < max_tries && chosen.size() < count; ++t) {
    const uint32_t item = draw_item(&rng);
    if (!chosen.insert(item).second) continue;
    // The noise draw keeps `rng` in step whether or not the rating is kept.
    const Rating r = rating(item, &rng);
    if (training) out->push_back(r);
  }
  if (training) return;

  // Held-out: other items of the same user, from a stream of their own.
  RandomStream held(options_.seed, kHeldOutSalt, user);
  const double want = options_.heldout * static_cast<double>(chosen.size());
  uint64_t held_count = static_cast<uint64_t>(want);
  if (held.Uniform() < want - static_cast<double>(held_count)) ++held_count;
  held_count = std::min<uint64_t>(held_count, options_.items - chosen.size());
  std::unordered_set<uint32_t> taken = chosen;
  const uint64_t held_tries = 20 * held_count + 100;
  uint64_t added = 0;
  for (uint64_t t = 0; t < held_tries && added < held_count; ++t) {
    const uint32_t item = draw_item(&held);
    if (!taken.insert(item).second) continue;
    out->push_back(rating(item, &held));
    ++added;
  }
}

std::vector<float> SyntheticGenerator::UserFactor(uint32_t user) const {
  std::vector<float> factor(options_.rank);
  RandomStream rng(options_.seed, kUserSalt, user);
  FillFactor(&rng, options_, factor.data());
  return factor;
}

std::span<const float> SyntheticGenerator::ItemFactor(uint32_t item) const {
  return std::span<const float>(item_factors_)
      .subspan(static_cast<size_t>(item) * options_.rank, options_.rank);
}

}  // namespace gaia::mf
