#include "apps/mf/synthetic.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <vector>

#include "apps/mf/data_source.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gaia::mf {
namespace {

SyntheticOptions Small() {
  SyntheticOptions o;
  o.users = 600;
  o.items = 300;
  o.ratings = 30000;
  o.rank = 4;
  o.noise = 0.1;
  o.seed = 11;
  return o;
}

TEST(SyntheticSpec, ParsesAndFormats) {
  absl::StatusOr<SyntheticOptions> o = ParseSyntheticSpec(
      "synthetic:users=2000,items=1000,ratings=100000,rank=8,noise=0.1,seed=7,"
      "dc=1,dcs=2,zipf=1.1,user_zipf=0");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->users, 2000u);
  EXPECT_EQ(o->items, 1000u);
  EXPECT_EQ(o->ratings, 100000u);
  EXPECT_EQ(o->rank, 8u);
  EXPECT_DOUBLE_EQ(o->noise, 0.1);
  EXPECT_DOUBLE_EQ(o->zipf, 1.1);
  EXPECT_DOUBLE_EQ(o->user_zipf, 0.0);
  EXPECT_EQ(o->seed, 7u);
  EXPECT_EQ(o->dc, 1u);
  EXPECT_EQ(o->dcs, 2u);
  absl::StatusOr<SyntheticOptions> again = ParseSyntheticSpec(FormatSyntheticSpec(*o));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(FormatSyntheticSpec(*again), FormatSyntheticSpec(*o));
  ASSERT_TRUE(ParseSyntheticSpec("synthetic").ok());
  EXPECT_EQ(ParseSyntheticSpec("synthetic")->users, SyntheticOptions{}.users);
}

TEST(SyntheticSpec, RejectsBadSpecs) {
  for (const char* bad :
       {"synthetic:users=0", "synthetic:users=-5", "synthetic:rank=x", "synthetic:dc=2,dcs=2",
        "synthetic:noise=nan", "synthetic:zipf=-1", "synthetic:color=red", "synthetic;users=3",
        "synthetic:items=999999999", "synthetic:users", "synthetic:mean=-1",
        "synthetic:mean=inf"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(ParseSyntheticSpec(bad).ok());
  }
}

TEST(SyntheticGenerator, DeterministicAndPerUserIndependent) {
  absl::StatusOr<SyntheticGenerator> a = SyntheticGenerator::Create(Small());
  absl::StatusOr<SyntheticGenerator> b = SyntheticGenerator::Create(Small());
  ASSERT_TRUE(a.ok() && b.ok());
  const std::vector<Rating> all = a->Generate();
  EXPECT_EQ(all, b->Generate());
  // Approximate: heavy users are capped at items/2 distinct items.
  EXPECT_NEAR(static_cast<double>(all.size()), 30000.0, 4500.0);
  // Part 0 of 2 equals filtering the full set (generation is per user).
  std::vector<Rating> filtered;
  for (const Rating& r : all) {
    if (PartOf(r.user, 2) == 0) filtered.push_back(r);
  }
  EXPECT_EQ(a->Generate(0, 2), filtered);
  // A different seed gives different data.
  SyntheticOptions other = Small();
  other.seed = 12;
  EXPECT_NE(SyntheticGenerator::Create(other)->Generate(), all);
}

TEST(SyntheticGenerator, ValuesFollowThePlantedModel) {
  SyntheticOptions o = Small();
  o.noise = 0.0;
  absl::StatusOr<SyntheticGenerator> g = SyntheticGenerator::Create(o);
  ASSERT_TRUE(g.ok());
  double sum_sq = 0;
  const std::vector<Rating> all = g->Generate();
  std::set<std::pair<uint32_t, uint32_t>> seen;
  for (const Rating& r : all) {
    EXPECT_TRUE(seen.insert({r.user, r.item}).second) << "duplicate rating";
    const std::vector<float> p = g->UserFactor(r.user);
    std::span<const float> q = g->ItemFactor(r.item);
    double dot = 0;
    for (uint32_t c = 0; c < o.rank; ++c) dot += p[c] * q[c];
    EXPECT_NEAR(r.value, dot, 1e-4);
    sum_sq += static_cast<double>(r.value) * r.value;
  }
  // Unit-variance ratings: O(1), as documented.
  EXPECT_NEAR(sum_sq / static_cast<double>(all.size()), 1.0, 0.35);
}

TEST(SyntheticGenerator, MeanCentresTheRatingsAndOnlyShiftsTheFactors) {
  SyntheticOptions o = Small();
  o.noise = 0.0;
  o.mean = 3.6;
  absl::StatusOr<SyntheticGenerator> g = SyntheticGenerator::Create(o);
  absl::StatusOr<SyntheticGenerator> centred = SyntheticGenerator::Create(Small());
  ASSERT_TRUE(g.ok() && centred.ok());
  const std::vector<Rating> all = g->Generate();
  double sum = 0;
  for (const Rating& r : all) sum += r.value;
  EXPECT_NEAR(sum / static_cast<double>(all.size()), 3.6, 0.25);
  // Same draws, shifted by sqrt(mean / rank): the spec without mean is
  // unchanged, and the round trip keeps the mean.
  const float shift = static_cast<float>(std::sqrt(3.6 / o.rank));
  for (uint32_t item : {0u, 7u}) {
    for (uint32_t c = 0; c < o.rank; ++c) {
      EXPECT_NEAR(g->ItemFactor(item)[c], centred->ItemFactor(item)[c] + shift, 1e-5);
    }
  }
  EXPECT_EQ(FormatSyntheticSpec(Small()).find("mean"), std::string::npos);
  absl::StatusOr<SyntheticOptions> again = ParseSyntheticSpec(FormatSyntheticSpec(o));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_DOUBLE_EQ(again->mean, 3.6);
}

TEST(SyntheticGenerator, DcsHoldDisjointUsersWhoseUnionIsTheWhole) {
  SyntheticOptions whole = Small();
  const std::vector<Rating> all = SyntheticGenerator::Create(whole)->Generate();
  std::vector<Rating> joined;
  std::set<uint32_t> users[3];
  for (uint32_t dc = 0; dc < 3; ++dc) {
    SyntheticOptions o = whole;
    o.dc = dc;
    o.dcs = 3;
    const std::vector<Rating> mine = SyntheticGenerator::Create(o)->Generate();
    for (const Rating& r : mine) users[dc].insert(r.user);
    joined.insert(joined.end(), mine.begin(), mine.end());
  }
  EXPECT_EQ(joined, all);  // DCs are contiguous user ranges, in order
  for (uint32_t a = 0; a < 3; ++a) {
    EXPECT_FALSE(users[a].empty());
    for (uint32_t b = a + 1; b < 3; ++b) {
      for (uint32_t u : users[a]) EXPECT_EQ(users[b].count(u), 0u);
    }
  }
}

TEST(SyntheticGenerator, PowerLawPopularity) {
  SyntheticOptions o = Small();
  o.zipf = 1.0;
  o.user_zipf = 1.0;
  const std::vector<Rating> all = SyntheticGenerator::Create(o)->Generate();
  std::map<uint32_t, int> per_item, per_user;
  for (const Rating& r : all) {
    ++per_item[r.item];
    ++per_user[r.user];
  }
  auto max_and_median = [](const std::map<uint32_t, int>& counts, uint32_t n) {
    std::vector<int> v(n, 0);
    size_t i = 0;
    for (const auto& [id, c] : counts) v[i++] = c;
    std::sort(v.begin(), v.end());
    return std::make_pair(v.back(), v[n / 2]);
  };
  auto [item_max, item_median] = max_and_median(per_item, o.items);
  EXPECT_GT(item_max, 10 * std::max(item_median, 1)) << item_max << " vs " << item_median;
  auto [user_max, user_median] = max_and_median(per_user, o.users);
  EXPECT_GT(user_max, 10 * std::max(user_median, 1)) << user_max << " vs " << user_median;
  // Uniform popularity is flat by comparison.
  o.zipf = 0.0;
  o.user_zipf = 0.0;
  per_item.clear();
  for (const Rating& r : SyntheticGenerator::Create(o)->Generate()) ++per_item[r.item];
  auto [flat_max, flat_median] = max_and_median(per_item, o.items);
  EXPECT_LT(flat_max, 2 * flat_median);
}

TEST(SyntheticGenerator, EmptyDataSpecIsTheDefaultSet) {
  SyntheticOptions o;
  o.ratings = 20000;  // keep the test fast: same defaults, fewer ratings
  absl::StatusOr<std::vector<Rating>> via_spec =
      LoadData(FormatSyntheticSpec(o), 1, 4);
  ASSERT_TRUE(via_spec.ok());
  EXPECT_EQ(*via_spec, SyntheticGenerator::Create(o)->Generate(1, 4));
  absl::StatusOr<std::vector<Rating>> empty = LoadData("", 3, 4);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, SyntheticGenerator::Create(SyntheticOptions{})->Generate(3, 4));
}

}  // namespace
}  // namespace gaia::mf
