// Overlay (src/mirror/overlay.h, DESIGN.md §4.2.6): who sends what to whom.
#include "src/mirror/overlay.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace gaia::mirror {
namespace {

std::vector<uint32_t> Sorted(std::vector<uint32_t> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// (dc, relayed) pairs, sorted, for comparing ForwardTargets.
std::vector<std::pair<uint32_t, bool>> Pairs(const std::vector<Overlay::Forward>& forwards) {
  std::vector<std::pair<uint32_t, bool>> out;
  for (const Overlay::Forward& f : forwards) out.emplace_back(f.dc, f.relayed);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Overlay, WithoutGroupsEveryDcSendsToEveryOther) {
  const Overlay overlay(std::vector<uint32_t>(4, 0), {{0}});
  ASSERT_EQ(overlay.num_dcs(), 4u);
  for (uint32_t self = 0; self < 4; ++self) {
    std::vector<uint32_t> others;
    for (uint32_t d = 0; d < 4; ++d) {
      if (d != self) others.push_back(d);
    }
    EXPECT_EQ(Sorted(overlay.OwnTargets(self)), others) << "dc " << self;
    EXPECT_EQ(overlay.OutLinks(self), others) << "dc " << self;
    for (uint32_t from = 0; from < 4; ++from) {
      if (from == self) continue;
      EXPECT_TRUE(overlay.ForwardTargets(self, from, false).empty());
      EXPECT_TRUE(overlay.ForwardTargets(self, from, true).empty());
    }
  }
}

// Groups {A=0, B=1} and {C=2, D=3}; B is the hub towards {C, D}, C the hub
// towards {A, B}.
TEST(Overlay, TwoGroupsWithHubs) {
  const Overlay overlay({0, 0, 1, 1}, {{0, 1}, {2, 2}});
  // Own updates: to the own group, and from a hub to the other group's hub.
  EXPECT_EQ(Sorted(overlay.OwnTargets(0)), (std::vector<uint32_t>{1}));
  EXPECT_EQ(Sorted(overlay.OwnTargets(1)), (std::vector<uint32_t>{0, 2}));
  EXPECT_EQ(Sorted(overlay.OwnTargets(2)), (std::vector<uint32_t>{1, 3}));
  EXPECT_EQ(Sorted(overlay.OwnTargets(3)), (std::vector<uint32_t>{2}));

  using P = std::vector<std::pair<uint32_t, bool>>;
  // B forwards A's updates to C, unmarked (C must re-broadcast them).
  EXPECT_EQ(Pairs(overlay.ForwardTargets(1, 0, false)), (P{{2, false}}));
  // C re-broadcasts what B sent in its group, marked relayed.
  EXPECT_EQ(Pairs(overlay.ForwardTargets(2, 1, false)), (P{{3, true}}));
  EXPECT_EQ(Pairs(overlay.ForwardTargets(1, 2, false)), (P{{0, true}}));
  EXPECT_EQ(Pairs(overlay.ForwardTargets(2, 3, false)), (P{{1, false}}));
  // Relayed updates stop; non-hubs forward nothing from their group.
  EXPECT_TRUE(overlay.ForwardTargets(0, 1, true).empty());
  EXPECT_TRUE(overlay.ForwardTargets(3, 2, true).empty());
  EXPECT_TRUE(overlay.ForwardTargets(1, 0, true).empty());
  EXPECT_TRUE(overlay.ForwardTargets(0, 1, false).empty());
  EXPECT_TRUE(overlay.ForwardTargets(3, 2, false).empty());

  // Non-hubs never talk to the other group.
  EXPECT_EQ(overlay.OutLinks(0), (std::vector<uint32_t>{1}));
  EXPECT_EQ(overlay.OutLinks(3), (std::vector<uint32_t>{2}));
  EXPECT_EQ(overlay.OutLinks(1), (std::vector<uint32_t>{0, 2}));
  EXPECT_EQ(overlay.OutLinks(2), (std::vector<uint32_t>{1, 3}));
}

// Propagates one update of `origin` through the overlay; returns how many
// times each DC received it (at most `limit` messages in all).
std::vector<int> Deliveries(const Overlay& overlay, uint32_t origin, size_t limit) {
  struct Message {
    uint32_t to, from;
    bool relayed;
  };
  std::vector<int> received(overlay.num_dcs(), 0);
  std::deque<Message> queue;
  for (uint32_t dc : overlay.OwnTargets(origin)) queue.push_back({dc, origin, false});
  size_t handled = 0;
  while (!queue.empty()) {
    if (++handled > limit) {
      ADD_FAILURE() << "update of dc " << origin << " circulates forever";
      break;
    }
    const Message m = queue.front();
    queue.pop_front();
    EXPECT_LT(m.to, overlay.num_dcs());
    if (m.to >= overlay.num_dcs()) continue;
    EXPECT_NE(m.to, m.from) << "a DC sent to itself";
    received[m.to] += 1;
    // Every message travels a link the DC actually opens.
    const std::vector<uint32_t> links = overlay.OutLinks(m.from);
    EXPECT_TRUE(std::binary_search(links.begin(), links.end(), m.to))
        << m.from << "->" << m.to << " is not among OutLinks";
    for (const Overlay::Forward& f : overlay.ForwardTargets(m.to, m.from, m.relayed)) {
      queue.push_back({f.dc, m.to, f.relayed});
    }
  }
  return received;
}

TEST(Overlay, RandomLayoutsDeliverEveryUpdateExactlyOnce) {
  std::mt19937 rng(20240601);
  for (int trial = 0; trial < 200; ++trial) {
    const uint32_t num_dcs = std::uniform_int_distribution<uint32_t>(3, 11)(rng);
    const uint32_t num_groups =
        std::uniform_int_distribution<uint32_t>(2, std::min<uint32_t>(4, num_dcs))(rng);
    // Every group gets at least one DC: shuffle the DCs, deal the first
    // num_groups one per group and the rest at random.
    std::vector<uint32_t> order(num_dcs);
    for (uint32_t d = 0; d < num_dcs; ++d) order[d] = d;
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<uint32_t> group_of(num_dcs);
    std::vector<std::vector<uint32_t>> members(num_groups);
    for (uint32_t i = 0; i < num_dcs; ++i) {
      const uint32_t g =
          i < num_groups ? i : std::uniform_int_distribution<uint32_t>(0, num_groups - 1)(rng);
      group_of[order[i]] = g;
      members[g].push_back(order[i]);
    }
    std::vector<std::vector<uint32_t>> hub(num_groups, std::vector<uint32_t>(num_groups));
    std::string layout;
    for (uint32_t g = 0; g < num_groups; ++g) {
      for (uint32_t h = 0; h < num_groups; ++h) {
        const auto pick =
            std::uniform_int_distribution<size_t>(0, members[g].size() - 1)(rng);
        hub[g][h] = members[g][pick];
        layout += " hub(" + std::to_string(g) + "->" + std::to_string(h) +
                  ")=" + std::to_string(hub[g][h]);
      }
    }
    for (uint32_t d = 0; d < num_dcs; ++d) {
      layout += " dc" + std::to_string(d) + ":g" + std::to_string(group_of[d]);
    }
    const Overlay overlay(group_of, hub);
    for (uint32_t origin = 0; origin < num_dcs; ++origin) {
      const std::vector<int> received = Deliveries(overlay, origin, 4 * num_dcs * num_dcs);
      for (uint32_t d = 0; d < num_dcs; ++d) {
        EXPECT_EQ(received[d], d == origin ? 0 : 1)
            << "trial " << trial << ": update of dc " << origin << " at dc " << d << ";"
            << layout;
      }
      if (::testing::Test::HasFailure()) return;  // one layout's report is enough
    }
  }
}

}  // namespace
}  // namespace gaia::mirror
