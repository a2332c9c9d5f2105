// Runs fn(begin, end, part) over `parts` contiguous ranges of [0, n) on
// their own threads (part 0 on the caller's), and returns when all are done.
// Used once per sweep phase, so a thread start (tens of microseconds) is
// noise next to the work.
//
//   ParallelFor(n, threads, [&](size_t b, size_t e, uint32_t part) { ... });
#ifndef GAIA_APPS_LDA_PARALLEL_H_
#define GAIA_APPS_LDA_PARALLEL_H_

#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

namespace gaia::lda {

// Splits by `bounds`: part p covers [bounds[p], bounds[p + 1]).
template <typename Fn>
void ParallelRanges(const std::vector<size_t>& bounds, const Fn& fn) {
  const size_t parts = bounds.size() - 1;
  std::vector<std::thread> threads;
  threads.reserve(parts > 0 ? parts - 1 : 0);
  for (size_t p = 1; p < parts; ++p) {
    threads.emplace_back([&fn, &bounds, p] {
      fn(bounds[p], bounds[p + 1], static_cast<uint32_t>(p));
    });
  }
  if (parts > 0) fn(bounds[0], bounds[1], 0u);
  for (std::thread& t : threads) t.join();
}

// Even split of [0, n) into `parts` (>= 1) ranges.
template <typename Fn>
void ParallelFor(size_t n, uint32_t parts, const Fn& fn) {
  std::vector<size_t> bounds(parts + 1);
  for (uint32_t p = 0; p <= parts; ++p) bounds[p] = n * p / parts;
  ParallelRanges(bounds, fn);
}

}  // namespace gaia::lda

#endif  // GAIA_APPS_LDA_PARALLEL_H_
