// Loopback throughput and latency of the LAN path: workers -> shards over
// real gRPC on 127.0.0.1, shards in this process.
//
//   build/bin/ps_bench --benchmark_counters_tabular=true [--gaia_tune_malloc=0|1]
//       [--gaia_max_batch_bytes=N] [--tls]
//
// --gaia_tune_malloc=1 (default) applies server::TuneAllocatorForLargeMessages()
// first, as `gaia server` does; 0 runs with glibc's defaults.
// --gaia_max_batch_bytes sets the workers' WorkerOptions::max_batch_bytes
// (default: the library's). See docs/PERFORMANCE.md.
// --tls: mutual TLS and the job token on every link (docs/SECURITY.md),
// with material made for this run in a temporary folder; TCP cases then
// measure TLS's cost (Unix sockets carry only the token).
//
// Cases (DESIGN.md §6 bench/, issue "Core"): 1 worker -> 1 shard and
// 2 workers -> 2 shards (one thread per worker); row widths 1, 16, 1024;
// each over TCP on 127.0.0.1 (unix:0) and over same-host Unix-domain
// sockets (unix:1, ShardOptions::local_address).
//  * Push: Inc `rows` rows, then Clock() (sends the batch, ticks the clock),
//    then a read that returns once the shards applied it; worker 0's mean
//    time per phase in counters add_us, clock_us, applied_us.
//  * Pull: GetMany `rows` rows with the cache off (every read goes to a shard).
//  * RoundTrip: one 1-row read; p50/p99 in counters.
// "MB/s" counts value bytes (rows * width * 4) only.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <cstdint>
#include <memory>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <unistd.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gaia/worker.h"
#include "src/common/job_certs.h"
#include "src/common/job_spec.h"
#include "src/common/link_security.h"
#include "src/common/partition.h"
#include "src/server/malloc_tuning.h"
#include "src/server/shard_server.h"

namespace gaia {
namespace {

struct Cluster {
  std::vector<std::unique_ptr<server::ShardServer>> shards;
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<Table> tables;
};

// The workers' max_batch_bytes (--gaia_max_batch_bytes; default: the
// library's).
int64_t g_max_batch_bytes = WorkerOptions{}.max_batch_bytes;

// --tls: the material every shard and worker uses (empty: plaintext).
common::TlsFiles g_tls_files;
std::shared_ptr<const common::LinkSecurity> g_tls;

// Makes a job CA, a certificate for 127.0.0.1 and a token in a fresh
// temporary folder.
bool SetUpTls() {
  char dir[] = "/tmp/gaia-ps-bench-tls-XXXXXX";
  if (mkdtemp(dir) == nullptr) return false;
  common::JobCertsOptions options;
  options.out_dir = std::string(dir) + "/certs";
  options.hosts = {"127.0.0.1"};
  options.days = 1;
  if (absl::Status s = common::WriteJobCerts(options); !s.ok()) {
    std::fprintf(stderr, "--tls: %s\n", std::string(s.message()).c_str());
    return false;
  }
  g_tls_files = common::JobCertsFilesFor(options.out_dir, "127.0.0.1");
  absl::StatusOr<std::shared_ptr<const common::LinkSecurity>> loaded =
      common::LinkSecurity::Load(g_tls_files);
  if (!loaded.ok()) return false;
  g_tls = *loaded;
  return true;
}

// Rows large enough for every case; values are what the shards own.
// `unix_socket`: workers reach the shards over Unix-domain sockets
// (ShardOptions::local_address) instead of TCP on 127.0.0.1.
std::unique_ptr<Cluster> StartCluster(int num, uint32_t width, uint64_t rows, bool unix_socket) {
  auto cluster = std::make_unique<Cluster>();
  common::TableSpec table;
  table.name = "t";
  table.rows = rows;
  table.width = width;
  std::vector<std::string> addresses;
  const std::string job = absl::StrCat("bench-", width, "-", num);
  for (int k = 0; k < num; ++k) {
    server::ShardOptions options;
    options.job_id = job;
    options.tables = {table};
    options.partition_index = k;
    options.partition_size = num;
    options.num_workers = num;
    // BSP: a read after Clock() waits until the shards applied that clock,
    // so a push iteration measures the full round trip, not enqueueing.
    options.staleness = 0;
    options.security = g_tls;
    if (unix_socket) {
      options.local_address =
          absl::StrCat("unix-abstract:gaia-ps-bench-", getpid(), "-", job, "-", k);
    }
    auto shard = server::ShardServer::Start(options);
    if (!shard.ok()) return nullptr;
    addresses.push_back(unix_socket ? options.local_address
                                    : absl::StrCat("127.0.0.1:", (*shard)->port()));
    cluster->shards.push_back(std::move(*shard));
  }
  for (int w = 0; w < num; ++w) {
    WorkerOptions options;
    options.job_id = job;
    options.worker_id = w;
    options.shard_addresses = addresses;
    options.enable_cache = false;
    options.max_batch_bytes = g_max_batch_bytes;
    options.tls_cert_file = g_tls_files.cert;
    options.tls_key_file = g_tls_files.key;
    options.tls_ca_file = g_tls_files.ca;
    options.tls_token_file = g_tls_files.token;
    auto worker = Worker::Connect(options);
    if (!worker.ok()) return nullptr;
    cluster->tables.push_back(*(*worker)->GetTable("t"));
    cluster->workers.push_back(std::move(*worker));
  }
  return cluster;
}

// Runs `fn(worker_index) -> absl::Status` once per worker, all at once, and
// returns the first error (a failed operation must not count as moved
// bytes). Worker 0 runs on the calling thread, the others on threads that
// live as long as this object: a request's time does not include starting
// threads.
class WorkerThreads {
 public:
  explicit WorkerThreads(int num) : statuses_(num) {
    for (int w = 1; w < num; ++w) threads_.emplace_back([this, w] { Serve(w); });
  }
  ~WorkerThreads() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    start_.notify_all();
    for (auto& t : threads_) t.join();
  }

  absl::Status Run(const std::function<absl::Status(int)>& fn) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      fn_ = &fn;
      ++round_;
      running_ = static_cast<int>(threads_.size());
    }
    start_.notify_all();
    statuses_[0] = fn(0);
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [this] { return running_ == 0; });
    for (const absl::Status& s : statuses_) {
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

 private:
  void Serve(int w) {
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      start_.wait(lock, [&] { return stop_ || round_ != seen; });
      if (stop_) return;
      seen = round_;
      const std::function<absl::Status(int)>* fn = fn_;
      lock.unlock();
      statuses_[w] = (*fn)(w);
      lock.lock();
      if (--running_ == 0) done_.notify_one();
    }
  }

  std::vector<absl::Status> statuses_;  // statuses_[w]: written by worker w only
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable start_;
  std::condition_variable done_;
  const std::function<absl::Status(int)>* fn_ = nullptr;
  uint64_t round_ = 0;
  int running_ = 0;
  bool stop_ = false;
};

// The case's arguments and a running cluster, or nullptr after SkipWithError.
struct Case {
  int num = 0;         // workers = shards
  uint32_t width = 0;
  int64_t rows = 0;    // rows per worker per request
  bool unix_socket = false;
  std::unique_ptr<Cluster> cluster;
  std::unique_ptr<WorkerThreads> threads;
};
Case StartCase(benchmark::State& state) {
  Case c;
  c.num = static_cast<int>(state.range(0));
  c.width = static_cast<uint32_t>(state.range(1));
  c.rows = state.range(2);
  c.unix_socket = state.range(3) != 0;
  c.cluster = StartCluster(c.num, c.width, static_cast<uint64_t>(c.rows) * c.num, c.unix_socket);
  if (!c.cluster) state.SkipWithError("cluster start failed");
  c.threads = std::make_unique<WorkerThreads>(c.num);
  return c;
}

// Summed microseconds per phase of a push iteration (one worker's view).
struct PhaseTimes {
  double add = 0, clock = 0, applied = 0;
  void Report(benchmark::State& state) const {
    const double n =
        static_cast<double>(std::max<benchmark::IterationCount>(state.iterations(), 1));
    state.counters["add_us"] = add / n;
    state.counters["clock_us"] = clock / n;
    state.counters["applied_us"] = applied / n;
  }
};

// Adds the time since the previous lap to one field of `times` (if set).
class PhaseTimer {
 public:
  explicit PhaseTimer(PhaseTimes* times) : times_(times), last_(Clock::now()) {}
  void Lap(double PhaseTimes::*field) {
    if (times_ == nullptr) return;
    const Clock::time_point now = Clock::now();
    times_->*field += std::chrono::duration<double, std::micro>(now - last_).count();
    last_ = now;
  }

 private:
  using Clock = std::chrono::steady_clock;
  PhaseTimes* times_;
  Clock::time_point last_;
};

void ReportValueRate(benchmark::State& state, const Case& c) {
  const double bytes = static_cast<double>(state.iterations()) * c.num * c.rows * c.width * 4;
  state.counters["MB/s"] = benchmark::Counter(bytes / 1e6, benchmark::Counter::kIsRate);
}

// args: workers(=shards), width, rows per request. `batched`: the rows go in
// with one IncMany call instead of an Inc per row.
void RunPush(benchmark::State& state, bool batched) {
  Case c = StartCase(state);
  if (!c.cluster) return;
  // Per worker, one of its rows on every shard: reading them after Clock()
  // returns once every shard applied this clock (BSP), so an iteration is a
  // full round trip, not enqueueing.
  std::vector<std::vector<uint64_t>> sync_rows(c.num);
  std::vector<std::vector<uint64_t>> ids(c.num);
  for (int w = 0; w < c.num; ++w) {
    for (int k = 0; k < c.num; ++k) {
      for (int64_t r = w * c.rows; r < (w + 1) * c.rows; ++r) {
        if (common::ShardOf(0, static_cast<uint64_t>(r), c.num) == static_cast<uint32_t>(k)) {
          sync_rows[w].push_back(static_cast<uint64_t>(r));
          break;
        }
      }
    }
    ids[w].resize(c.rows);
    std::iota(ids[w].begin(), ids[w].end(), static_cast<uint64_t>(w * c.rows));
  }
  const std::vector<float> delta(c.width, 0.5f);
  const std::vector<float> deltas(static_cast<size_t>(c.rows) * c.width, 0.5f);
  // Worker 0's time in each phase: adding the rows, Clock() (batching and
  // queueing the pushes), and the read that waits for the shards to apply.
  PhaseTimes phases;
  for (auto _ : state) {
    absl::Status status = c.threads->Run([&](int w) -> absl::Status {
      const Table& t = c.cluster->tables[w];
      PhaseTimer timer(w == 0 ? &phases : nullptr);
      if (batched) {
        if (absl::Status s = t.IncMany(ids[w], deltas); !s.ok()) return s;
      } else {
        for (uint64_t r : ids[w]) {
          if (absl::Status s = t.Inc(r, delta); !s.ok()) return s;
        }
      }
      timer.Lap(&PhaseTimes::add);
      if (absl::Status s = c.cluster->workers[w]->Clock(); !s.ok()) return s;
      timer.Lap(&PhaseTimes::clock);
      std::vector<float> out(sync_rows[w].size() * c.width);
      absl::Status s = t.GetMany(sync_rows[w], out);
      timer.Lap(&PhaseTimes::applied);
      return s;
    });
    if (!status.ok()) {
      state.SkipWithError(std::string(status.message()).c_str());
      return;
    }
  }
  ReportValueRate(state, c);
  phases.Report(state);
}

void BM_Push(benchmark::State& state) { RunPush(state, /*batched=*/false); }
void BM_PushMany(benchmark::State& state) { RunPush(state, /*batched=*/true); }

void BM_Pull(benchmark::State& state) {
  Case c = StartCase(state);
  if (!c.cluster) return;
  std::vector<std::vector<uint64_t>> ids(c.num);
  std::vector<std::vector<float>> out(c.num);
  for (int w = 0; w < c.num; ++w) {
    ids[w].resize(c.rows);
    std::iota(ids[w].begin(), ids[w].end(), static_cast<uint64_t>(w * c.rows));
    out[w].resize(static_cast<size_t>(c.rows) * c.width);
  }
  for (auto _ : state) {
    absl::Status status =
        c.threads->Run([&](int w) { return c.cluster->tables[w].GetMany(ids[w], out[w]); });
    if (!status.ok()) {
      state.SkipWithError(std::string(status.message()).c_str());
      return;
    }
  }
  ReportValueRate(state, c);
}

// One 1-row read per iteration from worker 0; latency percentiles in µs.
void BM_RoundTrip(benchmark::State& state) {
  const uint32_t width = static_cast<uint32_t>(state.range(0));
  auto cluster = StartCluster(1, width, 1024, /*unix_socket=*/state.range(1) != 0);
  if (!cluster) {
    state.SkipWithError("cluster start failed");
    return;
  }
  std::vector<float> out(width);
  std::vector<double> latencies_us;
  latencies_us.reserve(1 << 16);
  uint64_t row = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    if (absl::Status s = cluster->tables[0].Get(row++ % 1024, out); !s.ok()) {
      state.SkipWithError(std::string(s.message()).c_str());
      return;
    }
    latencies_us.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(latencies_us.begin(), latencies_us.end());
  if (!latencies_us.empty()) {
    state.counters["p50_us"] = latencies_us[latencies_us.size() / 2];
    state.counters["p99_us"] = latencies_us[latencies_us.size() * 99 / 100];
  }
}

void PushPullArgs(benchmark::internal::Benchmark* b) {
  for (int unix_socket : {0, 1}) {
    for (int num : {1, 2}) {
      b->Args({num, 1, 100000, unix_socket});    // 100k single floats per request
      b->Args({num, 16, 10000, unix_socket});
      b->Args({num, 1024, 1000, unix_socket});   // 4 MB per request
    }
  }
  b->ArgNames({"workers", "width", "rows", "unix"})->UseRealTime()->MinTime(1.0);
}

void RoundTripArgs(benchmark::internal::Benchmark* b) {
  for (int unix_socket : {0, 1}) {
    for (int width : {1, 16, 1024}) b->Args({width, unix_socket});
  }
  b->ArgNames({"width", "unix"})->UseRealTime()->MinTime(2.0);
}

BENCHMARK(BM_Push)->Apply(PushPullArgs);
BENCHMARK(BM_PushMany)->Apply(PushPullArgs);
BENCHMARK(BM_Pull)->Apply(PushPullArgs);
BENCHMARK(BM_RoundTrip)->Apply(RoundTripArgs);

}  // namespace
}  // namespace gaia

// BENCHMARK_MAIN plus --gaia_tune_malloc, --gaia_max_batch_bytes and --tls
// (removed before benchmark parses).
int main(int argc, char** argv) {
  bool tune = true;
  bool tls = false;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--gaia_tune_malloc=", 19) == 0) {
      tune = std::strcmp(argv[i] + 19, "0") != 0;
    } else if (std::strncmp(argv[i], "--gaia_max_batch_bytes=", 23) == 0) {
      char* end = nullptr;
      const long long n = std::strtoll(argv[i] + 23, &end, 10);
      if (end == argv[i] + 23 || *end != '\0' || n <= 0) {
        std::fprintf(stderr, "--gaia_max_batch_bytes: want a positive integer, got '%s'\n",
                     argv[i] + 23);
        return 2;
      }
      gaia::g_max_batch_bytes = n;
    } else if (std::strcmp(argv[i], "--tls") == 0) {
      tls = true;
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  if (tune && !gaia::server::TuneAllocatorForLargeMessages()) {
    std::fprintf(stderr, "warning: allocator tuning refused; running with defaults\n");
  }
  if (tls && !gaia::SetUpTls()) return 1;
  benchmark::AddCustomContext("gaia_tune_malloc", tune ? "1" : "0");
  benchmark::AddCustomContext("gaia_tls", tls ? "1" : "0");
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
