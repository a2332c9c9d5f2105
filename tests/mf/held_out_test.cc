#include "apps/mf/held_out.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "apps/mf/data_source.h"
#include "apps/mf/random.h"
#include "apps/mf/synthetic.h"
#include "gtest/gtest.h"

namespace gaia::mf {
namespace {

SgdOptions Sgd() {
  SgdOptions o;
  o.rank = 2;
  return o;
}

TEST(HeldOut, ScoresKnownUsersAndReadsItemsTheyDidNotTrainOn) {
  // Users 1 and 2 train here; user 3 does not (cold start).
  const std::vector<Rating> train = {{1, 10, 1.0f}, {2, 10, 2.0f}, {2, 20, 0.5f}};
  LocalSgd sgd = *LocalSgd::Create(train, Sgd());
  const std::vector<Rating> test = {{1, 20, 3.0f}, {2, 30, 1.0f}, {3, 10, 4.0f},
                                    {1, 40, 0.0f}, {2, 30, 2.0f}};
  HeldOutSet set = HeldOutSet::Create(test, sgd);
  EXPECT_EQ(set.num_ratings(), 4u);
  EXPECT_EQ(set.skipped(), 1u);
  EXPECT_EQ(set.extra_items(), (std::vector<uint64_t>{30, 40}));

  // Rows: items 10, 20 (trained), then 30, 40 (extra).
  const std::vector<float> rows = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f};
  auto predict = [&](uint32_t user, size_t row) {
    std::span<const float> l = sgd.UserRow(user);
    return l[0] * rows[row * 2] + l[1] * rows[row * 2 + 1];
  };
  const double want = std::pow(3.0 - predict(1, 1), 2) + std::pow(1.0 - predict(2, 2), 2) +
                      std::pow(0.0 - predict(1, 3), 2) + std::pow(2.0 - predict(2, 2), 2);
  HeldOutSet::Error error = set.Evaluate(sgd, rows);
  EXPECT_EQ(error.count, 4u);
  EXPECT_NEAR(error.squared_error, want, 1e-5);
  EXPECT_NEAR(Rmse(error), std::sqrt(want / 4), 1e-6);
  EXPECT_EQ(Rmse(HeldOutSet::Error{}), 0.0);
}

// Each worker scores the test ratings of its own users: the sums over
// workers equal one process scoring everything.
TEST(HeldOut, SumsOverWorkersEqualTheWhole) {
  SyntheticOptions problem;
  problem.users = 300;
  problem.items = 80;
  problem.ratings = 6000;
  problem.rank = 2;
  const std::string spec = FormatSyntheticSpec(problem);
  problem.heldout = 0.2;
  const std::string test_spec = FormatSyntheticSpec(problem);
  const std::vector<Rating> all = *LoadData(spec, 0, 1);
  const std::vector<Rating> all_test = *LoadData(test_spec, 0, 1);
  LocalSgd whole = *LocalSgd::Create(all, Sgd());
  HeldOutSet whole_set = HeldOutSet::Create(all_test, whole);
  std::vector<float> r((whole.items().size() + whole_set.extra_items().size()) * 2);
  RandomStream rng(9);
  for (float& v : r) v = static_cast<float>(rng.Normal());
  const HeldOutSet::Error want = whole_set.Evaluate(whole, r);
  EXPECT_EQ(want.count, all_test.size());

  std::vector<uint64_t> whole_rows = whole.items();
  whole_rows.insert(whole_rows.end(), whole_set.extra_items().begin(),
                    whole_set.extra_items().end());
  HeldOutSet::Error sum;
  for (uint32_t p = 0; p < 3; ++p) {
    LocalSgd part = *LocalSgd::Create(*LoadData(spec, p, 3), Sgd());
    HeldOutSet set = HeldOutSet::Create(*LoadData(test_spec, p, 3), part);
    std::vector<uint64_t> rows = part.items();
    rows.insert(rows.end(), set.extra_items().begin(), set.extra_items().end());
    std::vector<float> mine;
    for (uint64_t item : rows) {
      const size_t j = std::find(whole_rows.begin(), whole_rows.end(), item) -
                       whole_rows.begin();
      mine.insert(mine.end(), r.begin() + j * 2, r.begin() + j * 2 + 2);
    }
    const HeldOutSet::Error e = set.Evaluate(part, mine);
    sum.squared_error += e.squared_error;
    sum.count += e.count;
  }
  EXPECT_EQ(sum.count, want.count);
  EXPECT_NEAR(sum.squared_error, want.squared_error, 1e-9 * want.squared_error);
}

TEST(SyntheticHeldOut, OtherItemsOfTheSameUsersAndTrainingUnchanged) {
  SyntheticOptions o;
  o.users = 200;
  o.items = 100;
  o.ratings = 5000;
  o.rank = 4;
  o.noise = 0;
  const std::vector<Rating> train = SyntheticGenerator::Create(o)->Generate();
  SyntheticOptions h = o;
  h.heldout = 0.1;
  absl::StatusOr<SyntheticOptions> parsed = ParseSyntheticSpec(FormatSyntheticSpec(h));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_DOUBLE_EQ(parsed->heldout, 0.1);
  EXPECT_EQ(FormatSyntheticSpec(o).find("heldout"), std::string::npos);
  const SyntheticGenerator gen = *SyntheticGenerator::Create(h);
  const std::vector<Rating> test = gen.Generate();
  EXPECT_NEAR(static_cast<double>(test.size()), 0.1 * train.size(), 0.02 * train.size());
  std::set<std::pair<uint32_t, uint32_t>> trained;
  for (const Rating& r : train) trained.insert({r.user, r.item});
  for (const Rating& r : test) {
    EXPECT_FALSE(trained.contains({r.user, r.item})) << r.user << "," << r.item;
    // Noise 0: the planted model's value.
    const std::vector<float> p = gen.UserFactor(r.user);
    std::span<const float> q = gen.ItemFactor(r.item);
    double dot = 0;
    for (int c = 0; c < 4; ++c) dot += p[c] * q[c];
    EXPECT_NEAR(r.value, dot, 1e-5);
  }
  // Adding the key does not change the training data of the spec without it.
  EXPECT_EQ(SyntheticGenerator::Create(o)->Generate(), train);
  h.heldout = 1.5;
  EXPECT_FALSE(ParseSyntheticSpec(FormatSyntheticSpec(h)).ok());
}

}  // namespace
}  // namespace gaia::mf
