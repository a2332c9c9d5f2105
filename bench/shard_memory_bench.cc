// Resident memory of a shard process under a push workload.
//
//   build/bin/shard_memory_bench [--table_mib=512] [--workers=2] [--clocks=20]
//                                [--push_fraction=0.25] [--tune_malloc=1]
//
// The shard runs in a forked child (so the workers' memory is not counted);
// the parent runs `workers` worker threads that each push `push_fraction` of
// the table's rows (width 1024, distinct rows per worker, 4 MB batches) every
// clock and read 1000 rows after each Clock(). The parent samples the child's
// VmRSS from /proc/<pid>/status every 5 ms and prints the peak next to the
// table bytes and the budget (1.3 x table + 64 MiB). Exit status 0 if the
// peak is within budget.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gaia/worker.h"
#include "src/common/job_spec.h"
#include "src/server/malloc_tuning.h"
#include "src/server/shard_server.h"

namespace {

constexpr uint32_t kWidth = 1024;

struct Flags {
  uint64_t table_mib = 512;
  uint32_t workers = 2;
  int clocks = 20;
  double push_fraction = 0.25;
  bool tune_malloc = true;
};

bool ParseFlags(int argc, char** argv, Flags* flags) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t eq = arg.find('=');
    if (arg.rfind("--", 0) != 0 || eq == std::string::npos) {
      std::fprintf(stderr, "bad argument '%s' (want --name=value)\n", arg.c_str());
      return false;
    }
    const std::string name = arg.substr(2, eq - 2);
    const char* value = arg.c_str() + eq + 1;
    if (name == "table_mib") {
      flags->table_mib = std::strtoull(value, nullptr, 10);
    } else if (name == "workers") {
      flags->workers = static_cast<uint32_t>(std::strtoul(value, nullptr, 10));
    } else if (name == "clocks") {
      flags->clocks = std::atoi(value);
    } else if (name == "push_fraction") {
      flags->push_fraction = std::strtod(value, nullptr);
    } else if (name == "tune_malloc") {
      flags->tune_malloc = std::strcmp(value, "0") != 0;
    } else {
      std::fprintf(stderr, "unknown flag --%s\n", name.c_str());
      return false;
    }
  }
  if (flags->table_mib == 0 || flags->workers == 0 || flags->clocks <= 0 ||
      flags->push_fraction <= 0 || flags->push_fraction > 1) {
    std::fprintf(stderr, "flags out of range\n");
    return false;
  }
  return true;
}

// VmRSS of `pid` in bytes, or 0 if unreadable.
uint64_t RssBytes(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10) << 10;
  }
  return 0;
}

gaia::common::TableSpec Table(const Flags& flags) {
  gaia::common::TableSpec table;
  table.name = "t";
  table.width = kWidth;
  table.rows = (flags.table_mib << 20) / (kWidth * sizeof(float));
  return table;
}

// Child: serve until killed. Writes the port (or -1) to `fd`.
[[noreturn]] void RunShard(const Flags& flags, int fd) {
  if (flags.tune_malloc) gaia::server::TuneAllocatorForLargeMessages();
  gaia::server::ShardOptions options;
  options.job_id = "memory-bench";
  options.tables = {Table(flags)};
  options.num_workers = flags.workers;
  options.staleness = 0;
  auto shard = gaia::server::ShardServer::Start(options);
  int port = shard.ok() ? (*shard)->port() : -1;
  if (!shard.ok()) std::fprintf(stderr, "shard: %s\n", shard.status().ToString().c_str());
  if (write(fd, &port, sizeof(port)) != sizeof(port)) _exit(1);
  close(fd);
  if (!shard.ok()) _exit(1);
  (*shard)->Wait();
  _exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) return 2;
  int fds[2];
  if (pipe(fds) != 0) return 1;
  const pid_t child = fork();  // before any thread or gRPC state exists
  if (child < 0) return 1;
  if (child == 0) {
    close(fds[0]);
    RunShard(flags, fds[1]);
  }
  close(fds[1]);
  int port = -1;
  if (read(fds[0], &port, sizeof(port)) != sizeof(port) || port <= 0) {
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    return 1;
  }
  const gaia::common::TableSpec table = Table(flags);
  const uint64_t table_bytes = table.rows * kWidth * sizeof(float);
  const uint64_t idle_rss = RssBytes(child);

  std::atomic<bool> done{false};
  std::atomic<uint64_t> peak{idle_rss};
  std::thread sampler([&] {
    while (!done.load()) {
      const uint64_t rss = RssBytes(child);
      uint64_t seen = peak.load();
      while (rss > seen && !peak.compare_exchange_weak(seen, rss)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });

  std::atomic<int> failures{0};
  const uint64_t rows_per_worker =
      static_cast<uint64_t>(static_cast<double>(table.rows) * flags.push_fraction);
  std::vector<std::thread> workers;
  for (uint32_t w = 0; w < flags.workers; ++w) {
    workers.emplace_back([&, w] {
      gaia::WorkerOptions options;
      options.job_id = "memory-bench";
      options.worker_id = w;
      options.shard_addresses = {absl::StrCat("127.0.0.1:", port)};
      options.enable_cache = false;
      auto worker = gaia::Worker::Connect(options);
      if (!worker.ok()) {
        ++failures;
        return;
      }
      gaia::Table t = *(*worker)->GetTable("t");
      std::vector<float> delta(kWidth, 0.001f);
      std::vector<uint64_t> read_rows(std::min<uint64_t>(1000, table.rows));
      std::iota(read_rows.begin(), read_rows.end(), 0);
      std::vector<float> out(read_rows.size() * kWidth);
      for (int c = 0; c < flags.clocks; ++c) {
        // Distinct rows per worker and clock, spread over the table.
        const uint64_t start = (w * rows_per_worker + c * 7919ull) % table.rows;
        for (uint64_t i = 0; i < rows_per_worker; ++i) {
          if (!t.Inc((start + i) % table.rows, delta).ok()) ++failures;
        }
        if (!(*worker)->Clock().ok()) ++failures;
        if (!t.GetMany(read_rows, out).ok()) ++failures;
      }
      if (!(*worker)->Finish().ok()) ++failures;
    });
  }
  for (std::thread& t : workers) t.join();
  const uint64_t final_rss = RssBytes(child);
  done = true;
  sampler.join();
  kill(child, SIGTERM);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);

  const double mib = 1 << 20;
  const uint64_t budget = table_bytes * 13 / 10 + (uint64_t{64} << 20);
  std::printf(
      "table %.0f MiB, %u workers x %.0f%% of rows per clock, %d clocks, tune_malloc=%d\n"
      "shard RSS: idle %.1f MiB, peak %.1f MiB (%.3f x table), final %.1f MiB; "
      "budget 1.3 x table + 64 MiB = %.1f MiB -> %s\n",
      static_cast<double>(table_bytes) / mib, flags.workers, flags.push_fraction * 100,
      flags.clocks, flags.tune_malloc ? 1 : 0, static_cast<double>(idle_rss) / mib,
      static_cast<double>(peak.load()) / mib,
      static_cast<double>(peak.load()) / static_cast<double>(table_bytes),
      static_cast<double>(final_rss) / mib, static_cast<double>(budget) / mib,
      peak.load() <= budget ? "within" : "OVER");
  if (failures.load() > 0) std::printf("worker failures: %d\n", failures.load());
  return failures.load() == 0 && peak.load() <= budget ? 0 : 1;
}
