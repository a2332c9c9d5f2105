// gaia_lda: collapsed Gibbs LDA as a Gaia worker (thesis §5.4.2).
//
// The word-topic counts (table --word-table: one row per word, width =
// topics) and the topic totals (table --totals-table: one row, width =
// topics) live on the parameter server, both declared `counts: true`; the
// document-topic counts stay in this process. Before the first clock the
// worker draws every token's topic and adds the counts (unclocked: its own
// first read sees them). Each clock: read the rows of this worker's words and
// the totals, score the model as read (below), one sampling pass over the
// local tokens, push the count changes (sparse rows where that is smaller),
// report, Clock().
//
// Objective: minus the collapsed log-likelihood log p(w, z) (lda_model.h) of
// the state the clock's read shows: under BSP, exactly the state after the
// previous clock. The first --init-clocks clocks (default staleness + 1)
// only share the initial counts: no read, no sweep, no objective; the first
// sweep's objective is then that of the random initial state, as the serial
// reference's first. Each worker adds its documents' term; the word terms are
// split over the job's workers (word w is scored by job worker
// w % job_workers, which reads that row too), and job worker 0 adds the
// totals term, so the job's objective (the sum over workers) counts each
// term once in every mode.
//
//   gaia_lda --gaia-config=worker.json --clocks=100 --topics=100
//
// --device=cuda samples on a GPU (apps/lda/cuda/, docs/APP_LDA_GPU.md): the
// same tables, reads and pushes; only the sweep moves.
//
// Exit codes: 0 ok, 2 bad arguments, data or table, 1 runtime error.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/strings/str_cat.h"
#include "apps/common/device.h"
#include "apps/common/flags.h"
#include "apps/common/progress.h"
#include "apps/common/timing.h"
#include "apps/common/worker_table.h"
#include "apps/lda/data_source.h"
#include "apps/lda/flags.h"
#include "apps/lda/lda_model.h"
#include "apps/lda/sampler.h"
#include "apps/lda/table_counts.h"
#include "apps/lda/topic_sampler.h"
#include "gaia/options.h"
#include "gaia/worker.h"

namespace {

using gaia::apps::kExitBadInput;
using gaia::apps::kExitRuntimeError;
using gaia::lda::CountsView;

gaia::lda::SamplerDevice ToSamplerDevice(gaia::apps::Device device) {
  return device == gaia::apps::Device::kCuda ? gaia::lda::SamplerDevice::kCuda
                                             : gaia::lda::SamplerDevice::kCpu;
}

int Fail(int code, std::string_view what, const absl::Status& status) {
  std::cerr << "gaia_lda: " << what << (what.empty() ? "" : ": ") << status.message() << "\n";
  return code;
}

struct Flags {
  gaia::apps::WorkerFlags common;
  gaia::lda::LdaParams params;
  gaia::lda::SamplerOptions sampler;
  gaia::apps::Device device = gaia::apps::Device::kCpu;
  std::optional<std::string> data;
  std::string word_table = "word_topic";
  std::string totals_table = "topic_totals";
  int64_t init_clocks = -1;  // -1: staleness + 1
};

void AddFlags(CLI::App& app, Flags* flags) {
  gaia::apps::AddWorkerFlags(app, &flags->common);
  gaia::lda::AddModelFlags(app, &flags->params, &flags->sampler);
  gaia::apps::AddDeviceFlag(app, &flags->device);
  app.add_option("--data", flags->data, "data spec; overrides the config's data");
  app.add_option("--word-table", flags->word_table, "the word-topic counts table")
      ->capture_default_str();
  app.add_option("--totals-table", flags->totals_table, "the topic totals table")
      ->capture_default_str();
  app.add_option("--init-clocks", flags->init_clocks,
                 "clocks that only share the initial counts before the first sweep "
                 "(default: staleness + 1, the fewest after which every read of the DC "
                 "shows every worker's initial counts; in a gaia job use staleness + "
                 "asp.ds + 1, so that the other DCs' have arrived too; gaia_async "
                 "holds every read past clock 0 until they have)")
      ->check(CLI::Range(int64_t{-1}, int64_t{1} << 20));
}

// This worker's documents and the rows it reads, and the counts as it sees
// them: the rows as read plus its own changes during the clock.
struct LocalModel {
  explicit LocalModel(std::unique_ptr<gaia::lda::TopicSampler> s) : sampler(std::move(s)) {}
  std::unique_ptr<gaia::lda::TopicSampler> sampler;
  std::vector<uint64_t> rows;          // sampler.words(), as table rows
  std::vector<uint64_t> scored_rows;   // rows this worker scores, not in `rows`
  std::vector<uint32_t> scored_local;  // indices into `rows` of rows it scores
  bool scores_totals = false;
  uint64_t vocab_size = 0;
  std::vector<float> read;
  std::vector<int32_t> counts, delta, scored_counts;
  std::vector<int64_t> totals, totals_delta;
  CountsView View() { return {counts, totals}; }
  CountsView DeltaView() { return {delta, totals_delta}; }
};

absl::StatusOr<LocalModel> LoadLocalModel(const Flags& flags, const gaia::WorkerOptions& options) {
  absl::StatusOr<gaia::lda::Corpus> corpus = gaia::lda::LoadCorpus(
      flags.data.value_or(options.data), options.data_part, options.data_parts);
  if (!corpus.ok()) return corpus.status();
  gaia::lda::LdaParams params = flags.params;
  params.vocab_size = corpus->vocab_size();
  absl::StatusOr<std::unique_ptr<gaia::lda::TopicSampler>> sampler =
      gaia::lda::MakeTopicSampler(*corpus, params, flags.sampler,
                                  ToSamplerDevice(flags.device));
  if (!sampler.ok()) return sampler.status();
  LocalModel m(std::move(*sampler));
  m.vocab_size = params.vocab_size;
  const uint32_t k = params.topics;
  for (uint32_t w : m.sampler->words()) m.rows.push_back(w);
  for (uint64_t w = options.job_worker; w < m.vocab_size; w += options.job_workers) {
    auto it = std::lower_bound(m.rows.begin(), m.rows.end(), w);
    if (it != m.rows.end() && *it == w) {
      m.scored_local.push_back(static_cast<uint32_t>(it - m.rows.begin()));
    } else {
      m.scored_rows.push_back(w);
    }
  }
  m.scores_totals = options.job_worker == 0;
  m.counts.assign(m.rows.size() * k, 0);
  m.delta.assign(m.rows.size() * k, 0);
  m.scored_counts.assign(m.scored_rows.size() * k, 0);
  m.totals.assign(k, 0);
  m.totals_delta.assign(k, 0);
  return m;
}

struct Tables {
  gaia::Table words, totals;
};

absl::StatusOr<Tables> OpenTables(gaia::Worker& worker, const Flags& flags,
                                  const LocalModel& local) {
  const uint32_t k = flags.params.topics;
  gaia::apps::TableNeeds needs;
  needs.name = flags.word_table;
  needs.width = k;
  needs.width_source = absl::StrCat("--topics=", k);
  needs.min_rows = local.vocab_size;
  needs.rows_source = absl::StrCat("the vocabulary has ", local.vocab_size, " words");
  absl::StatusOr<gaia::Table> words = gaia::apps::OpenTable(worker, needs);
  if (!words.ok()) return words.status();
  needs.name = flags.totals_table;
  needs.min_rows = 1;
  needs.rows_source = "one row of topic totals";
  absl::StatusOr<gaia::Table> totals = gaia::apps::OpenTable(worker, needs);
  if (!totals.ok()) return totals.status();
  return Tables{*words, *totals};
}

// Reads `rows` of the word table into out (as counts).
absl::Status ReadRows(const gaia::Table& table, std::span<const uint64_t> rows,
                      std::vector<float>& buffer, std::span<int32_t> out) {
  if (rows.empty()) return absl::OkStatus();
  buffer.resize(rows.size() * table.width());
  if (absl::Status s = table.GetMany(rows, buffer); !s.ok()) return s;
  return gaia::lda::ToCounts(buffer, rows, table.width(), table.name(), out);
}

absl::Status ReadCounts(const Tables& t, LocalModel& m) {
  if (absl::Status s = ReadRows(t.words, m.rows, m.read, m.counts); !s.ok()) return s;
  if (absl::Status s = ReadRows(t.words, m.scored_rows, m.read, m.scored_counts); !s.ok()) {
    return s;
  }
  const uint64_t totals_row[] = {0};
  m.read.resize(t.totals.width());
  if (absl::Status s = t.totals.Get(0, m.read); !s.ok()) return s;
  return gaia::lda::ToCounts(m.read, totals_row, t.totals.width(), t.totals.name(), m.totals);
}

// This worker's share of log p(w, z) for the counts as read.
double LogLikelihoodShare(const LocalModel& m) {
  const gaia::lda::LdaParams& p = m.sampler->params();
  double ll = m.sampler->DocLogLikelihood();
  ll += gaia::lda::WordRowsLogLikelihood(m.scored_counts, p);
  for (uint32_t i : m.scored_local) {
    ll += gaia::lda::WordRowsLogLikelihood(
        std::span<const int32_t>(m.counts).subspan(size_t{i} * p.topics, p.topics), p);
  }
  if (m.scores_totals) ll += gaia::lda::TotalsLogLikelihood(m.totals, p);
  return ll;
}

// Pushes the changes in m.delta and m.totals_delta, then zeroes them.
absl::Status PushChanges(const Tables& t, LocalModel& m, uint64_t* changes) {
  const gaia::lda::RowDeltas d = gaia::lda::SplitRowDeltas(m.delta, m.rows, t.words.width());
  *changes = d.changes;
  if (!d.dense_rows.empty()) {
    if (absl::Status s = t.words.IncMany(d.dense_rows, d.dense_values); !s.ok()) return s;
  }
  for (const gaia::lda::RowDeltas::Sparse& row : d.sparse) {
    if (absl::Status s = t.words.IncSparse(row.row, row.cols, row.values); !s.ok()) return s;
  }
  std::vector<float> totals(m.totals_delta.begin(), m.totals_delta.end());
  if (absl::Status s = t.totals.Inc(0, totals); !s.ok()) return s;
  std::fill(m.delta.begin(), m.delta.end(), 0);
  std::fill(m.totals_delta.begin(), m.totals_delta.end(), 0);
  return absl::OkStatus();
}

struct ClockReport {
  double log_likelihood = 0;
  gaia::lda::SweepStats sweep;
  uint64_t changes = 0;
  double read_ms = 0, score_ms = 0, sample_ms = 0, total_ms = 0;
};

absl::Status RunClock(gaia::Worker& worker, const Tables& t, LocalModel& m, ClockReport* r) {
  gaia::apps::Stopwatch lap;
  if (absl::Status s = ReadCounts(t, m); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("read counts: ", s.message()));
  }
  r->read_ms = lap.LapMs();
  r->log_likelihood = LogLikelihoodShare(m);
  r->score_ms = lap.LapMs();
  absl::StatusOr<gaia::lda::SweepStats> sweep = m.sampler->Sweep(m.View(), m.DeltaView());
  if (!sweep.ok()) {
    return absl::Status(sweep.status().code(), absl::StrCat("sweep: ", sweep.status().message()));
  }
  r->sweep = *sweep;
  r->sample_ms = lap.LapMs();
  if (absl::Status s = PushChanges(t, m, &r->changes); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("push counts: ", s.message()));
  }
  worker.ReportObjective(-r->log_likelihood);
  if (absl::Status s = worker.Clock(); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("clock: ", s.message()));
  }
  r->total_ms = r->read_ms + r->score_ms + r->sample_ms + lap.LapMs();
  return absl::OkStatus();
}

void PrintClock(int64_t t, int64_t clocks, const gaia::apps::Stopwatch& run,
                const LocalModel& m, const ClockReport& r) {
  gaia::apps::ProgressLine line;
  line.clock = t + 1;
  line.clocks = clocks;
  line.objective = -r.log_likelihood;
  line.elapsed_s = run.ElapsedSeconds();
  line.rate_name = "tokens_per_s";
  line.rate = gaia::apps::PerSecond(static_cast<double>(r.sweep.tokens), r.sample_ms * 1e-3);
  const double tokens = static_cast<double>(std::max<uint64_t>(m.sampler->num_tokens(), 1));
  line.extra = {{"changed", static_cast<double>(r.sweep.changed) / tokens},
                {"pushed", static_cast<double>(r.changes)},
                {"read_ms", r.read_ms},
                {"score_ms", r.score_ms},
                {"sample_ms", r.sample_ms},
                {"total_ms", r.total_ms}};
  gaia::apps::PrintProgressLine(line);
}

void PrintStart(const gaia::WorkerOptions& o, const Flags& flags, const LocalModel& m) {
  std::printf("gaia_lda: worker %u (dc %s, part %u/%u, job worker %u/%u): %zu documents, "
              "%llu tokens, %zu of %llu words, %u topics, sampler %s on %s; scores %zu word "
              "rows%s\n",
              o.worker_id, o.dc.c_str(), o.data_part, o.data_parts, o.job_worker, o.job_workers,
              m.sampler->num_docs(), static_cast<unsigned long long>(m.sampler->num_tokens()),
              m.rows.size(), static_cast<unsigned long long>(m.vocab_size), flags.params.topics,
              flags.device == gaia::apps::Device::kCuda
                  ? "gpu-gibbs"
                  : std::string(gaia::lda::SamplerKindName(flags.sampler.kind)).c_str(),
              std::string(gaia::apps::DeviceName(flags.device)).c_str(),
              m.scored_rows.size() + m.scored_local.size(),
              m.scores_totals ? " and the totals" : "");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gaia_lda: collapsed Gibbs LDA on a Gaia parameter server"};
  Flags flags;
  AddFlags(app, &flags);
  if (int rc = gaia::apps::ParseFlags(app, argc, argv); rc >= 0) return rc;

  if (absl::Status s = gaia::apps::CheckDeviceBuilt(flags.device, gaia::lda::kBuiltWithCuda,
                                                    "gaia_lda");
      !s.ok()) {
    return Fail(kExitBadInput, "", s);
  }
  absl::StatusOr<gaia::WorkerOptions> options = gaia::WorkerOptions::FromCommandLine(argc, argv);
  if (!options.ok()) return Fail(kExitBadInput, "worker config", options.status());
  absl::StatusOr<LocalModel> local = LoadLocalModel(flags, *options);
  if (!local.ok()) return Fail(kExitBadInput, "", local.status());

  absl::StatusOr<std::unique_ptr<gaia::Worker>> worker = gaia::Worker::Connect(*options);
  if (!worker.ok()) return Fail(kExitRuntimeError, "connect", worker.status());
  absl::StatusOr<Tables> tables = OpenTables(**worker, flags, *local);
  if (!tables.ok()) {
    (void)(*worker)->Finish();  // say goodbye so the shards do not wait for us
    return Fail(kExitBadInput, "table", tables.status());
  }
  // Raw data size for `gaia cost`: one 4-byte word id per token.
  (*worker)->ReportInputBytes(local->sampler->num_tokens() * sizeof(uint32_t));
  PrintStart(*options, flags, *local);

  const int64_t init_clocks =
      flags.init_clocks >= 0 ? flags.init_clocks : int64_t{(*worker)->staleness()} + 1;
  std::printf("gaia_lda: initial counts shared over %lld clock(s); first sweep at clock %lld\n",
              static_cast<long long>(init_clocks), static_cast<long long>(init_clocks + 1));
  if (absl::Status s = local->sampler->Initialize(local->DeltaView()); !s.ok()) {
    return Fail(kExitRuntimeError, "initialize", s);
  }
  uint64_t changes = 0;
  if (absl::Status s = PushChanges(*tables, *local, &changes); !s.ok()) {
    return Fail(kExitRuntimeError, "push initial counts", s);
  }
  const gaia::apps::Stopwatch run;
  // A read at clock t shows the other workers' clocks <= t - s - 1 (s the
  // staleness): sampling before every worker's initial counts are in the
  // reads would let each worker grow topics of its own from its documents
  // alone, and their labels would not match when the counts meet.
  for (int64_t t = 0; t < std::min(init_clocks, flags.common.clocks); ++t) {
    if (absl::Status s = (*worker)->Clock(); !s.ok()) return Fail(kExitRuntimeError, "clock", s);
  }
  for (int64_t t = init_clocks; t < flags.common.clocks; ++t) {
    ClockReport report;
    if (absl::Status s = RunClock(**worker, *tables, *local, &report); !s.ok()) {
      return Fail(kExitRuntimeError, "", s);
    }
    PrintClock(t, flags.common.clocks, run, *local, report);
  }
  if (absl::Status s = (*worker)->Finish(); !s.ok()) return Fail(kExitRuntimeError, "finish", s);
  return 0;
}
