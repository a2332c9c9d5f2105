// The order the GPU pass visits a worker's ratings in.
// Plain C++ (no CUDA): the CPU tests check it, the kernels (sgd_kernels.cu)
// and bench/gpu use it.
//
// Position n of clock t visits rating (a n + b) mod count, a bijection
// because gcd(a, count) = 1. A fresh (a, b) per clock from (seed, t) stands
// in for the CPU's per-clock reshuffle (the ratings are also shuffled once
// when copied to the device); a minibatch is a prefix of the order.
#ifndef GAIA_APPS_MF_CUDA_VISIT_ORDER_H_
#define GAIA_APPS_MF_CUDA_VISIT_ORDER_H_

#include <cstdint>
#include <numeric>

#include "apps/mf/sgd_update.h"  // GAIA_MF_HOST_DEVICE

namespace gaia::mf::cuda {

struct VisitOrder {
  uint64_t a = 1;
  uint64_t b = 0;
};

// splitmix64's finalizer, as MixBits in apps/mf/rating.h; repeated because
// this header is also compiled by nvcc as C++17 and rating.h needs C++20.
constexpr uint64_t VisitOrderMix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// REQUIRES: count < 2^32, so a n + b fits in 64 bits.
inline VisitOrder ChooseVisitOrder(uint64_t count, uint64_t seed, int64_t clock) {
  constexpr uint64_t kOrderSalt = 0x6F726472;  // "ordr"
  VisitOrder order;
  if (count <= 1) return order;
  const uint64_t x =
      VisitOrderMix(seed ^ VisitOrderMix(kOrderSalt ^ static_cast<uint64_t>(clock)));
  order.a = 1 + x % (count - 1);
  while (std::gcd(order.a, count) != 1) order.a = order.a % (count - 1) + 1;
  order.b = VisitOrderMix(x) % count;
  return order;
}

// The rating visited at position n (the device computes the same).
inline uint64_t VisitedAt(const VisitOrder& order, uint64_t count, uint64_t n) {
  return (order.a * n + order.b) % count;
}

// Walks one warp's share of the order: positions first, first + stride, ...,
// each mapped as VisitedAt does, but advanced by adding (a stride) mod count
// rather than dividing per rating (a 64-bit division is slow on a GPU).
class VisitCursor {
 public:
  GAIA_MF_HOST_DEVICE VisitCursor(const VisitOrder& order, uint64_t count, uint64_t first,
                                  uint64_t stride)
      : count_(count),
        index_((order.a * first + order.b) % count),
        advance_((order.a * stride) % count) {}
  // The rating at the current position.
  GAIA_MF_HOST_DEVICE uint64_t index() const { return index_; }
  // Moves to the position `stride` further on.
  GAIA_MF_HOST_DEVICE void Next() {
    index_ += advance_;
    if (index_ >= count_) index_ -= count_;
  }

 private:
  uint64_t count_, index_, advance_;
};

// Threads per block of the pass and objective kernels (8 warps).
inline constexpr int kThreadsPerBlock = 256;

}  // namespace gaia::mf::cuda

#endif  // GAIA_APPS_MF_CUDA_VISIT_ORDER_H_
