#include "src/server/malloc_tuning.h"

#include <climits>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace gaia::server {

bool TuneAllocatorForLargeMessages(const AllocatorTuning& tuning) {
#if defined(__GLIBC__)
  if (tuning.mmap_threshold_bytes > INT_MAX || tuning.trim_threshold_bytes > INT_MAX) {
    return false;
  }
  // Setting M_MMAP_THRESHOLD also turns off glibc's dynamic threshold, which
  // would otherwise keep changing with the sizes freed.
  const bool mmap_ok = mallopt(M_MMAP_THRESHOLD, static_cast<int>(tuning.mmap_threshold_bytes));
  const bool trim_ok = mallopt(M_TRIM_THRESHOLD, static_cast<int>(tuning.trim_threshold_bytes));
  const bool arenas_ok = tuning.max_arenas == 0 || mallopt(M_ARENA_MAX, tuning.max_arenas);
  return mmap_ok && trim_ok && arenas_ok;
#else
  (void)tuning;
  return false;
#endif
}

}  // namespace gaia::server
