// Process-wide allocator settings for processes that move multi-MB messages
// (a `gaia server`, a benchmark, a worker with wide tables).
//
// Why: glibc serves allocations above M_MMAP_THRESHOLD (128 KiB, raised
// dynamically up to 32 MiB) with fresh mmap()s and returns freed memory above
// M_TRIM_THRESHOLD to the kernel. Every 4 MB push or read reply then lands in
// fresh pages, and the first touch of each 4 KiB page is a page fault. On the
// VMs we measured (docs/PERFORMANCE.md) page faults were the largest single
// cost of the LAN path: gRPC's read buffers, protobuf's parsed `bytes`
// fields and reply strings all fault on every message.
//
// TuneAllocatorForLargeMessages() raises both thresholds so freed message
// buffers stay in the heap and are reused without faults. The price: memory
// freed by large transient buffers is kept by the process (bounded by the
// peak of in-flight messages, a few times max_batch_bytes), not returned.
//
// It also makes every thread allocate from one heap (M_ARENA_MAX 1). glibc
// otherwise gives threads their own arenas, and a buffer freed into one
// arena is kept there, unused by the threads of the others: a gaia-mode
// shard (gRPC pollers, mirror threads) held ~36 MiB more at its peak for it
// (docs/PERFORMANCE.md, "A gaia-mode shard"). The LAN benchmarks measured
// the same with one arena as with the default, side by side.
//
// Process-wide, so no library calls it on its own: main() does (the `gaia
// server` command, bench/ programs). Call it once, early, before threads
// allocate. Equivalent environment setting for any program:
//   GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:
//   glibc.malloc.trim_threshold=1073741824:glibc.malloc.arena_max=1 (on one line)
#ifndef GAIA_SRC_SERVER_MALLOC_TUNING_H_
#define GAIA_SRC_SERVER_MALLOC_TUNING_H_

#include <cstddef>

namespace gaia::server {

struct AllocatorTuning {
  // Allocations below this come from the heap (and are reused after free).
  // glibc accepts at most 32 MiB on 64-bit hosts (HEAP_MAX_SIZE / 2).
  size_t mmap_threshold_bytes = size_t{32} << 20;
  // Free memory at the top of the heap kept before returning it to the OS.
  size_t trim_threshold_bytes = size_t{1} << 30;
  // Heaps (arenas) threads allocate from; 0 keeps glibc's default.
  int max_arenas = 1;
};

// Applies `tuning` with mallopt(). Returns false if the C library refused
// (or is not glibc); the process then runs with its defaults.
bool TuneAllocatorForLargeMessages(const AllocatorTuning& tuning = {});

}  // namespace gaia::server

#endif  // GAIA_SRC_SERVER_MALLOC_TUNING_H_
