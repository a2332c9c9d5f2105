// Walker's alias method (Walker 1977; Vose 1991's O(n) construction): after
// an O(n) build, one draw from a discrete distribution over n outcomes costs
// one random number and one table entry, whatever n is.
//
//   std::vector<AliasEntry> table(weights.size());
//   AliasBuilder builder;
//   builder.Build(weights, topics, table);    // topics[i] has weight weights[i]
//   uint32_t k = DrawAlias(table, rng.NextU64());
//
// The table holds outcome ids (topics), not slot numbers, so a draw reads
// exactly one 12-byte entry. Each slot's threshold is a 32-bit fixed-point
// probability, compared against the fractional bits left over from picking
// the slot: one 64-bit random number per draw.
#ifndef GAIA_APPS_LDA_ALIAS_TABLE_H_
#define GAIA_APPS_LDA_ALIAS_TABLE_H_

#include <cstdint>
#include <span>
#include <vector>

namespace gaia::lda {

struct AliasEntry {
  uint32_t threshold;  // keep `topic` when the slot's fraction is below this (of 2^32)
  uint32_t topic;      // the slot's own outcome
  uint32_t alias;      // the outcome that fills the rest of the slot
};

// Draws from a table built by AliasBuilder, with 64 random bits `bits`:
// the high 32 pick the slot (multiply-shift), and the low 32 bits of that
// product are the (uniform) position inside the slot. REQUIRES: !table.empty().
inline uint32_t DrawAlias(const AliasEntry* table, uint32_t size, uint64_t bits) {
  const uint64_t x = (bits >> 32) * static_cast<uint64_t>(size);
  const AliasEntry& e = table[x >> 32];
  return static_cast<uint32_t>(x) < e.threshold ? e.topic : e.alias;
}

// A probability in [0, 1] as a threshold out of 2^32 (1 saturates to
// 2^32 - 1: a 2^-32 error, far below any sampling error).
uint32_t ProbabilityToThreshold(double p);

// Builds alias tables; reuses its scratch between builds (one per thread).
class AliasBuilder {
 public:
  // Fills out[i] for the distribution P(ids[i]) ∝ weights[i].
  // REQUIRES: weights.size() == ids.size() == out.size() > 0; weights >= 0
  // with a positive sum.
  void Build(std::span<const double> weights, std::span<const uint32_t> ids,
             std::span<AliasEntry> out);

 private:
  std::vector<double> scaled_;   // weight * n / sum: 1 is one full slot
  std::vector<uint32_t> small_;  // slots with scaled < 1
  std::vector<uint32_t> large_;  // slots with scaled >= 1
};

}  // namespace gaia::lda

#endif  // GAIA_APPS_LDA_ALIAS_TABLE_H_
