// The per-rating step shared by the CPU pass and the GPU kernel
// (apps/mf/sgd_update.h), and the GPU pass's visit order
// (apps/mf/cuda/visit_order.h, plain C++): both run here, without a GPU.
#include "apps/mf/sgd_update.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "apps/mf/cuda/visit_order.h"
#include "apps/mf/rating.h"
#include "apps/mf/sgd.h"
#include "gtest/gtest.h"

namespace gaia::mf {
namespace {

TEST(SgdUpdate, StepMovesBothFactorsFromTheirOldValues) {
  const FactorPair next = SgdStep(/*l=*/0.5f, /*r=*/-0.25f, /*error=*/2.0f, /*step=*/0.1f,
                                  /*lambda=*/0.2f);
  EXPECT_FLOAT_EQ(next.l, 0.5f + 0.1f * (2.0f * -0.25f - 0.2f * 0.5f));
  EXPECT_FLOAT_EQ(next.r, -0.25f + 0.1f * (2.0f * 0.5f - 0.2f * -0.25f));
  EXPECT_FLOAT_EQ(RatingError(3.0f, 1.25f), 1.75f);
}

TEST(SgdUpdate, RowUpdateReturnsTheErrorBeforeTheStepAndAppliesItToEveryComponent) {
  std::vector<float> l = {1.0f, 2.0f, -1.0f};
  std::vector<float> r = {0.5f, 0.25f, 1.0f};
  const float dot = 1.0f * 0.5f + 2.0f * 0.25f + -1.0f * 1.0f;  // 0
  const float error = SgdUpdateRows(l.data(), r.data(), 3, /*value=*/4.0f, 0.05f, 0.1f);
  EXPECT_FLOAT_EQ(error, 4.0f - dot);
  const std::vector<float> l0 = {1.0f, 2.0f, -1.0f}, r0 = {0.5f, 0.25f, 1.0f};
  for (int c = 0; c < 3; ++c) {
    const FactorPair want = SgdStep(l0[c], r0[c], error, 0.05f, 0.1f);
    EXPECT_EQ(l[c], want.l) << c;
    EXPECT_EQ(r[c], want.r) << c;
  }
}

TEST(SgdUpdate, RepeatedStepsOnOneRatingDriveItsErrorDown) {
  std::vector<float> l = {0.1f, 0.2f, 0.3f, 0.4f}, r = {0.3f, 0.1f, 0.2f, 0.1f};
  float first = SgdUpdateRows(l.data(), r.data(), 4, 3.0f, 0.05f, 0.0f);
  float last = first;
  for (int i = 0; i < 200; ++i) last = SgdUpdateRows(l.data(), r.data(), 4, 3.0f, 0.05f, 0.0f);
  EXPECT_GT(first, 2.5f);
  EXPECT_LT(std::abs(last), 1e-3f);
}

TEST(SgdUpdate, LocalSgdsPassIsThisStepInItsShuffledOrder) {
  // One rating: the pass's only step is SgdUpdateRows on the initial rows.
  const std::vector<Rating> one = {{7, 3, 2.5f}};
  SgdOptions o;
  o.rank = 5;
  o.lr_decay = 0;
  o.step_rule = StepRule::kSum;
  LocalSgd sgd = *LocalSgd::Create(one, o);
  std::vector<float> l(sgd.UserRow(7).begin(), sgd.UserRow(7).end());
  std::vector<float> r = {0.1f, -0.2f, 0.3f, 0.05f, 0.0f}, delta(5);
  std::vector<float> r_want = r;
  SgdUpdateRows(l.data(), r_want.data(), 5, 2.5f, static_cast<float>(o.learning_rate),
                static_cast<float>(o.lambda));
  sgd.RunClock(0, r, delta);
  for (int c = 0; c < 5; ++c) {
    EXPECT_EQ(r[c], r_want[c]) << c;
    EXPECT_EQ(sgd.UserRow(7)[c], l[c]) << c;
  }
}

TEST(VisitOrder, EveryClocksOrderVisitsEachRatingExactlyOnce) {
  for (uint64_t count : {1ull, 2ull, 12ull, 97ull, 1000ull, 4096ull, 30030ull}) {
    for (int64_t clock = 0; clock < 4; ++clock) {
      const cuda::VisitOrder order = cuda::ChooseVisitOrder(count, 11, clock);
      std::vector<bool> seen(count, false);
      for (uint64_t n = 0; n < count; ++n) {
        const uint64_t i = cuda::VisitedAt(order, count, n);
        ASSERT_LT(i, count);
        ASSERT_FALSE(seen[i]) << "count " << count << " clock " << clock << " n " << n;
        seen[i] = true;
      }
    }
  }
}

TEST(VisitOrder, ChangesFromClockToClockAndIsTheSameForTheSameSeed) {
  const uint64_t count = 100003;
  int distinct = 0;
  for (int64_t clock = 1; clock < 20; ++clock) {
    const cuda::VisitOrder a = cuda::ChooseVisitOrder(count, 3, clock);
    const cuda::VisitOrder b = cuda::ChooseVisitOrder(count, 3, clock - 1);
    if (a.a != b.a || a.b != b.b) ++distinct;
    const cuda::VisitOrder again = cuda::ChooseVisitOrder(count, 3, clock);
    EXPECT_EQ(a.a, again.a);
    EXPECT_EQ(a.b, again.b);
  }
  EXPECT_EQ(distinct, 19);
  // A stride of 1 would visit the ratings in storage order; it is rare.
  EXPECT_NE(cuda::ChooseVisitOrder(count, 3, 0).a, 1u);
}

TEST(VisitOrder, AMinibatchPrefixIsSpreadOverTheRatings) {
  const uint64_t count = 10000;
  const cuda::VisitOrder order = cuda::ChooseVisitOrder(count, 5, 2);
  // The first tenth of the order lands in every tenth of the storage.
  std::vector<int> per_decile(10, 0);
  for (uint64_t n = 0; n < count / 10; ++n) {
    ++per_decile[cuda::VisitedAt(order, count, n) * 10 / count];
  }
  for (int d = 0; d < 10; ++d) EXPECT_GT(per_decile[d], 50) << d;
}

TEST(VisitOrder, AWarpsCursorWalksTheSamePositionsAsVisitedAt) {
  for (uint64_t count : {1ull, 7ull, 1000ull, 99991ull}) {
    const cuda::VisitOrder order = cuda::ChooseVisitOrder(count, 4, 9);
    for (uint64_t stride : {1ull, 3ull, 8448ull}) {
      for (uint64_t first = 0; first < std::min<uint64_t>(stride, 5); ++first) {
        cuda::VisitCursor cursor(order, count, first, stride);
        for (uint64_t n = first; n < count; n += stride, cursor.Next()) {
          ASSERT_EQ(cursor.index(), cuda::VisitedAt(order, count, n))
              << "count " << count << " stride " << stride << " n " << n;
        }
      }
    }
  }
}

}  // namespace
}  // namespace gaia::mf
