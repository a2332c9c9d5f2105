// Ratings and how they are split over workers.
//
// A rating is one known entry X[user][item] of the matrix being factorized
// (thesis §5.4.2). Users own the local factor matrix L: every rating of a user
// lives on exactly one worker, chosen by PartOf(), so that worker alone
// updates the user's row of L and no L row ever crosses the network.
#ifndef GAIA_APPS_MF_RATING_H_
#define GAIA_APPS_MF_RATING_H_

#include <cstdint>

namespace gaia::mf {

struct Rating {
  uint32_t user = 0;
  uint32_t item = 0;  // row of the R table
  float value = 0.0f;

  friend bool operator==(const Rating&, const Rating&) = default;
};

// Ids above these are rejected by the loaders: they bound memory (an item id
// is a row of the dense R table; a user id indexes the local L map).
inline constexpr uint32_t kMaxUserId = (1u << 30) - 1;
inline constexpr uint32_t kMaxItemId = (1u << 26) - 1;

// splitmix64 finalizer: a fixed bijection on uint64 with good avalanche.
// (Apps do not include src/; this is the app's own copy.)
constexpr uint64_t MixBits(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// The data part in [0, parts) that owns `user`. Stable: it never changes for
// a given (user, parts), in any process, so every worker of a DC agrees on
// who owns which user without talking. REQUIRES: parts > 0.
constexpr uint32_t PartOf(uint32_t user, uint32_t parts) {
  return static_cast<uint32_t>(MixBits(0x6D665F7061727473ull ^ user) % parts);
}

}  // namespace gaia::mf

#endif  // GAIA_APPS_MF_RATING_H_
