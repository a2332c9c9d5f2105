// Helpers for the collective tests: inputs whose sums are exact in float,
// and running every rank of a DC on its own thread.
#ifndef GAIA_TESTS_CNN_COLLECTIVE_TEST_UTIL_H_
#define GAIA_TESTS_CNN_COLLECTIVE_TEST_UTIL_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "apps/cnn/collective.h"

namespace gaia::cnn::testing {

// Rank r's input at clock c: small integers, so any summation order gives
// the same float (all partial sums stay far below 2^24).
inline float Input(int rank, size_t i, int clock = 0) {
  return static_cast<float>(static_cast<int>((i * 7 + static_cast<size_t>(rank) * 13 +
                                              static_cast<size_t>(clock) * 5) % 1000) -
                            500);
}

inline std::vector<float> Inputs(int rank, size_t n, int clock = 0) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = Input(rank, i, clock);
  return v;
}

inline float ExpectedSum(int size, size_t i, int clock = 0) {
  float sum = 0;
  for (int r = 0; r < size; ++r) sum += Input(r, i, clock);
  return sum;
}

// Index of the first element of data[range] that differs from the exact sum,
// or -1.
inline long FirstWrong(const std::vector<float>& data, SliceRange range, int size,
                       int clock = 0) {
  for (size_t i = range.begin; i < range.end; ++i) {
    if (data[i] != ExpectedSum(size, i, clock)) return static_cast<long>(i);
  }
  return -1;
}

// Creates `size` collectives named `impl` (each on its own thread, as they
// must meet) and runs body(rank, collective) on each; returns each rank's
// status (the creation error when creation failed).
inline std::vector<absl::Status> RunRanks(
    const std::string& impl, CollectiveOptions base,
    const std::function<absl::Status(int, Collective&)>& body) {
  std::vector<absl::Status> results(static_cast<size_t>(base.size));
  std::vector<std::thread> threads;
  for (int r = 0; r < base.size; ++r) {
    threads.emplace_back([&, r] {
      CollectiveOptions options = base;
      options.rank = r;
      absl::StatusOr<std::unique_ptr<Collective>> c = MakeCollective(impl, options);
      results[static_cast<size_t>(r)] = c.ok() ? body(r, **c) : c.status();
    });
  }
  for (std::thread& t : threads) t.join();
  return results;
}

}  // namespace gaia::cnn::testing

#endif  // GAIA_TESTS_CNN_COLLECTIVE_TEST_UTIL_H_
