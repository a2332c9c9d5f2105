// gaia_cnn: image classification with a CNN as a Gaia worker (thesis
// §5.4.2, Chapter 6).
//
// The whole model (every layer's weights, and BatchNorm's running
// statistics) lies in one parameter table (--table, any width: float i is
// column i % width of row i / width, param_rows.h). Before the first clock
// job worker 0 adds the seeded initial weights to the zero table; every
// worker builds the same initial model from --seed. The first --init-clocks
// clocks (default staleness + 1; in a gaia job staleness + asp.ds + 1) only
// share them. Each clock then: read the model; on eval clocks score this
// worker's share of the test set with it; train --batches-per-clock local
// mini-batches (SGD with momentum; the momentum stays here); push the weight
// change over the clock, divided by the job's worker count, so the model
// moves by the workers' mean change whatever the mode. With --collective
// (default cpu) the workers of one DC first sum their changes through
// WorkerOptions::dc_dir and each pushes its share of the rows: the DC
// pushes the model's change once per clock, not once per worker.
//
// Objective: this worker's training loss, smoothed over clocks (an
// exponential moving average of each clock's mean batch loss with weight
// --objective-smoothing on the newest clock: one clock's batches are noisy,
// and the convergence rule compares two clocks), divided by the job's
// worker count (the job's objective, the sum over workers, is then the mean
// over workers). Held out: "test_accuracy" over the whole test set
// (each worker scores its share), every --eval-every clocks and at the last.
//
//   gaia_cnn --gaia-config=worker.json --clocks=100 --model=lenet --norm=group
//
// Exit codes: 0 ok, 2 bad arguments, data or table, 1 runtime error
// (a non-finite update included: it is never pushed).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/strings/str_cat.h"
#include "apps/cnn/collective.h"
#include "apps/cnn/data_batches.h"
#include "apps/cnn/data_source.h"
#include "apps/cnn/param_rows.h"
#include "apps/cnn/train_flags.h"
#include "apps/cnn/update_check.h"
#include "apps/common/flags.h"
#include "apps/common/progress.h"
#include "apps/common/timing.h"
#include "apps/common/worker_table.h"
#include "gaia/options.h"
#include "gaia/worker.h"

namespace {

using gaia::apps::kExitBadInput;
using gaia::apps::kExitRuntimeError;

int Fail(int code, std::string_view what, const absl::Status& status) {
  std::cerr << "gaia_cnn: " << what << (what.empty() ? "" : ": ") << status.message() << "\n";
  return code;
}

struct Flags {
  gaia::apps::WorkerFlags common;
  gaia::cnn::TrainFlags train;
  std::optional<std::string> data;
  std::string table = "weights";
  uint32_t batches_per_clock = 20;
  int64_t eval_every = 10;
  int64_t init_clocks = -1;  // -1: staleness + 1
  std::string collective = "cpu";
  double objective_smoothing = 0.1;
};

void AddFlags(CLI::App& app, Flags* flags) {
  gaia::apps::AddWorkerFlags(app, &flags->common);
  gaia::cnn::AddTrainFlags(app, &flags->train);
  app.add_option("--data", flags->data, "data spec; overrides the config's data");
  app.add_option("--table", flags->table, "the table that holds the model")
      ->capture_default_str();
  app.add_option("--batches-per-clock", flags->batches_per_clock,
                 "local mini-batches per clock")
      ->check(CLI::Range(1u, 1u << 20))->capture_default_str();
  app.add_option("--eval-every", flags->eval_every,
                 "score the test set every N clocks (and at the last)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30))->capture_default_str();
  app.add_option("--init-clocks", flags->init_clocks,
                 "clocks that only share the initial weights (default: staleness + 1; in a "
                 "gaia job use staleness + asp.ds + 1)")
      ->check(CLI::Range(int64_t{-1}, int64_t{1} << 20));
  app.add_option("--collective", flags->collective,
                 "how one DC's workers sum their changes before pushing: cpu (a ring over "
                 "Unix sockets), nccl, or none (each pushes its own)")
      ->capture_default_str();
  app.add_option("--objective-smoothing", flags->objective_smoothing,
                 "weight of the newest clock in the reported training loss (an exponential "
                 "moving average over clocks; 1 = that clock's loss alone)")
      ->check(CLI::Range(1e-3, 1.0))->capture_default_str();
}

// This worker's data, model and the buffers of a clock.
struct Local {
  gaia::cnn::CnnData data;
  std::optional<gaia::cnn::Trainer> trainer;
  std::optional<gaia::cnn::BatchIterator> batches;
  size_t test_begin = 0, test_end = 0;  // this worker's share of the test set
  std::vector<float> x;
  std::vector<int32_t> y;
  std::vector<float> read, before, delta;  // padded to whole rows
};

absl::StatusOr<std::unique_ptr<Local>> LoadLocal(const Flags& flags,
                                                 const gaia::WorkerOptions& options) {
  auto local = std::make_unique<Local>();
  absl::StatusOr<gaia::cnn::CnnData> data = gaia::cnn::LoadCnnData(
      flags.data.value_or(options.data), options.data_part, options.data_parts);
  if (!data.ok()) return data.status();
  local->data = std::move(*data);
  absl::StatusOr<gaia::cnn::Trainer> trainer = gaia::cnn::CreateTrainer(
      flags.train, local->data.train, flags.common.clocks * int64_t{flags.batches_per_clock});
  if (!trainer.ok()) return trainer.status();
  local->trainer.emplace(std::move(*trainer));
  absl::StatusOr<gaia::cnn::BatchIterator> batches = gaia::cnn::BatchIterator::Create(
      local->data.train,
      {.batch_size = flags.train.batch, .seed = flags.train.shuffle_seed + options.job_worker});
  if (!batches.ok()) return batches.status();
  local->batches.emplace(std::move(*batches));
  local->x.resize(local->batches->batch_floats());
  local->y.resize(local->batches->batch_size());
  const size_t n = local->data.test.n;
  local->test_begin = n * options.job_worker / options.job_workers;
  local->test_end = n * (options.job_worker + 1) / options.job_workers;
  return local;
}

// The model table, how the parameters lie over it, and the DC's collective.
struct Shared {
  gaia::Table table;
  std::optional<gaia::cnn::ParamRows> rows;
  std::unique_ptr<gaia::cnn::Collective> collective;  // null: push alone
  std::vector<uint64_t> all_rows, my_rows;
};

absl::StatusOr<Shared> OpenShared(gaia::Worker& worker, const Flags& flags,
                                  const gaia::WorkerOptions& options, size_t params) {
  Shared s;
  gaia::apps::TableNeeds needs;
  needs.name = flags.table;
  absl::StatusOr<gaia::Table> table = gaia::apps::OpenTable(worker, needs);
  if (!table.ok()) return table.status();
  s.table = *table;
  s.rows.emplace(params, s.table.width());
  needs.min_rows = s.rows->rows();
  needs.rows_source = absl::StrCat("--model=", flags.train.model.name, " has ", params,
                                   " parameters, ", s.table.width(), " per row");
  if (absl::Status st = gaia::apps::CheckTableShape(
          {s.table.name(), s.table.width(), s.table.num_rows()}, needs);
      !st.ok()) {
    return st;
  }
  s.all_rows = s.rows->AllRows();
  s.my_rows = s.all_rows;
  if (flags.collective != "none" && flags.collective != "cpu" && flags.collective != "nccl") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--collective=", flags.collective, ": must be cpu, nccl or none"));
  }
  if (flags.collective != "none" && options.data_parts > 1 && !options.dc_dir.empty()) {
    gaia::cnn::CollectiveOptions c;
    c.rendezvous_dir = options.dc_dir;
    c.rank = static_cast<int>(options.data_part);
    c.size = static_cast<int>(options.data_parts);
    c.timeout_ms = static_cast<int>(std::min<int64_t>(options.read_timeout_ms, 1 << 30));
    absl::StatusOr<std::unique_ptr<gaia::cnn::Collective>> made =
        gaia::cnn::MakeCollective(flags.collective, c);
    if (!made.ok()) return made.status();
    s.collective = std::move(*made);
    s.my_rows = s.rows->RowIds(s.rows->Share(options.data_part, options.data_parts));
  }
  return s;
}

struct ClockReport {
  double loss = 0;       // mean over the clock's batches
  double smoothed_loss = 0;  // the objective (before the division by workers)
  double accuracy = 0;   // training accuracy over the clock's batches
  std::optional<double> test_accuracy;  // this worker's share, when scored
  double lr = 0;
  double read_ms = 0, eval_ms = 0, train_ms = 0, push_ms = 0;
  uint64_t images = 0;
};

absl::Status ReadModel(const Shared& s, Local& m) {
  m.read.resize(s.rows->padded_size());
  if (absl::Status st = s.table.GetMany(s.all_rows, m.read); !st.ok()) return st;
  std::span<float> params = m.trainer->model.params();
  std::copy_n(m.read.begin(), params.size(), params.begin());
  m.before.assign(m.read.begin(), m.read.begin() + static_cast<ptrdiff_t>(params.size()));
  return absl::OkStatus();
}

absl::Status Train(const Flags& flags, int64_t clock, Local& m, ClockReport* r) {
  gaia::cnn::Trainer& t = *m.trainer;
  double loss = 0;
  int64_t correct = 0;
  for (uint32_t b = 0; b < flags.batches_per_clock; ++b) {
    const int64_t step = clock * int64_t{flags.batches_per_clock} + b;
    r->lr = t.schedule.At(step, static_cast<int64_t>(m.batches->epochs_completed()));
    t.sgd.set_lr(r->lr);
    if (absl::Status s = m.batches->Next(m.x, m.y); !s.ok()) return s;
    absl::StatusOr<gaia::cnn::StepResult> step_result =
        t.model.TrainStep(m.x, m.y, static_cast<int>(flags.train.batch), t.sgd);
    if (!step_result.ok()) return step_result.status();
    loss += step_result->loss;
    correct += step_result->correct;
  }
  r->loss = loss / flags.batches_per_clock;
  r->images = uint64_t{flags.batches_per_clock} * flags.train.batch;
  r->accuracy = static_cast<double>(correct) / static_cast<double>(r->images);
  return absl::OkStatus();
}

// The clock's change, scaled to the workers' mean, checked, summed over the
// DC when there is a collective, and pushed.
absl::Status PushChange(const Shared& s, const gaia::WorkerOptions& o, int64_t clock,
                        Local& m) {
  std::span<const float> params = m.trainer->model.params();
  m.delta.assign(s.rows->padded_size(), 0.0f);
  const float scale = 1.0f / static_cast<float>(o.job_workers);
  for (size_t i = 0; i < params.size(); ++i) m.delta[i] = (params[i] - m.before[i]) * scale;
  if (absl::Status st = gaia::cnn::CheckUpdateFinite(
          std::span<const float>(m.delta).first(params.size()), m.trainer->model.layout(),
          clock);
      !st.ok()) {
    return st;
  }
  if (s.collective != nullptr) {
    if (absl::Status st = s.collective->AllReduceSum(m.delta); !st.ok()) {
      return absl::Status(st.code(), absl::StrCat("sum over the DC's workers: ", st.message()));
    }
  }
  if (s.my_rows.empty()) return absl::OkStatus();
  const size_t first = static_cast<size_t>(s.my_rows.front()) * s.table.width();
  return s.table.IncMany(s.my_rows, std::span<const float>(m.delta).subspan(
                                        first, s.my_rows.size() * s.table.width()));
}

absl::Status RunClock(gaia::Worker& worker, const Flags& flags, const Shared& s,
                      const gaia::WorkerOptions& o, int64_t clock, bool eval, Local& m,
                      std::optional<double>* smoothed, ClockReport* r) {
  gaia::apps::Stopwatch lap;
  if (absl::Status st = ReadModel(s, m); !st.ok()) {
    return absl::Status(st.code(), absl::StrCat("read the model: ", st.message()));
  }
  r->read_ms = lap.LapMs();
  if (eval) {
    const int64_t n = static_cast<int64_t>(m.test_end - m.test_begin);
    double correct = 0;
    if (n > 0) {
      const size_t image = m.data.test.image_size();
      absl::StatusOr<gaia::cnn::EvalResult> e = m.trainer->model.Evaluate(
          std::span<const float>(m.data.test.pixels).subspan(m.test_begin * image, n * image),
          std::span<const int32_t>(m.data.test.labels).subspan(m.test_begin, n), n, 256);
      if (!e.ok()) return e.status();
      correct = std::round(e->accuracy * static_cast<double>(n));
      r->test_accuracy = e->accuracy;
    }
    worker.ReportHeldOut("test_accuracy", correct, static_cast<double>(n), false);
    r->eval_ms = lap.LapMs();
  }
  if (absl::Status st = Train(flags, clock, m, r); !st.ok()) return st;
  r->train_ms = lap.LapMs();
  if (absl::Status st = PushChange(s, o, clock, m); !st.ok()) return st;
  *smoothed = smoothed->has_value() ? flags.objective_smoothing * r->loss +
                                          (1 - flags.objective_smoothing) * **smoothed
                                    : r->loss;
  r->smoothed_loss = **smoothed;
  worker.ReportObjective(r->smoothed_loss / o.job_workers);
  worker.ReportLearningRate(r->lr);
  if (absl::Status st = worker.Clock(); !st.ok()) {
    return absl::Status(st.code(), absl::StrCat("clock: ", st.message()));
  }
  r->push_ms = lap.LapMs();
  return absl::OkStatus();
}

void PrintClock(int64_t t, int64_t clocks, const gaia::apps::Stopwatch& run,
                const ClockReport& r) {
  gaia::apps::ProgressLine line;
  line.clock = t + 1;
  line.clocks = clocks;
  line.objective = r.smoothed_loss;
  if (r.test_accuracy) {
    line.held_out_name = "test_accuracy";
    line.held_out = *r.test_accuracy;
  }
  line.elapsed_s = run.ElapsedSeconds();
  line.rate_name = "images_per_s";
  line.rate = gaia::apps::PerSecond(static_cast<double>(r.images), r.train_ms * 1e-3);
  line.extra = {{"clock_loss", r.loss},   {"train_accuracy", r.accuracy},
                {"lr", r.lr},             {"read_ms", r.read_ms},
                {"eval_ms", r.eval_ms},   {"train_ms", r.train_ms},
                {"push_ms", r.push_ms}};
  gaia::apps::PrintProgressLine(line);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gaia_cnn: a CNN image classifier trained on a Gaia parameter server"};
  Flags flags;
  AddFlags(app, &flags);
  if (int rc = gaia::apps::ParseFlags(app, argc, argv); rc >= 0) return rc;

  absl::StatusOr<gaia::WorkerOptions> options = gaia::WorkerOptions::FromCommandLine(argc, argv);
  if (!options.ok()) return Fail(kExitBadInput, "worker config", options.status());
  absl::StatusOr<std::unique_ptr<Local>> local = LoadLocal(flags, *options);
  if (!local.ok()) return Fail(kExitBadInput, "", local.status());
  Local& m = **local;
  std::printf("gaia_cnn: worker %u (dc %s, part %u/%u, job worker %u/%u): %zu training "
              "images, test images [%zu, %zu), model %s/%s, %zu parameters\n%s\n",
              options->worker_id, options->dc.c_str(), options->data_part, options->data_parts,
              options->job_worker, options->job_workers, m.data.train.n, m.test_begin,
              m.test_end, flags.train.model.name.c_str(), flags.train.model.norm.c_str(),
              m.trainer->model.params().size(), gaia::cnn::DescribeSplit(m.data).c_str());
  std::fflush(stdout);

  absl::StatusOr<std::unique_ptr<gaia::Worker>> worker = gaia::Worker::Connect(*options);
  if (!worker.ok()) return Fail(kExitRuntimeError, "connect", worker.status());
  absl::StatusOr<Shared> shared =
      OpenShared(**worker, flags, *options, m.trainer->model.params().size());
  if (!shared.ok()) {
    (void)(*worker)->Finish();  // say goodbye so the shards do not wait for us
    return Fail(kExitBadInput, "", shared.status());
  }
  (*worker)->ReportInputBytes(m.data.train.n * (m.data.train.image_size() + 1));

  const int64_t init_clocks =
      flags.init_clocks >= 0 ? flags.init_clocks : int64_t{(*worker)->staleness()} + 1;
  if (options->job_worker == 0) {
    std::vector<float> init(shared->rows->padded_size(), 0.0f);
    std::span<const float> params = m.trainer->model.params();
    std::copy(params.begin(), params.end(), init.begin());
    if (absl::Status s = shared->table.IncMany(shared->all_rows, init); !s.ok()) {
      return Fail(kExitRuntimeError, "push the initial weights", s);
    }
  }
  for (int64_t t = 0; t < std::min(init_clocks, flags.common.clocks); ++t) {
    if (absl::Status s = (*worker)->Clock(); !s.ok()) return Fail(kExitRuntimeError, "clock", s);
  }
  const gaia::apps::Stopwatch run;
  std::optional<double> smoothed;
  for (int64_t t = init_clocks; t < flags.common.clocks; ++t) {
    const bool eval = (t - init_clocks) % flags.eval_every == 0 || t + 1 == flags.common.clocks;
    ClockReport report;
    if (absl::Status s =
            RunClock(**worker, flags, *shared, *options, t, eval, m, &smoothed, &report);
        !s.ok()) {
      return Fail(kExitRuntimeError, "", s);
    }
    PrintClock(t, flags.common.clocks, run, report);
  }
  if (absl::Status s = (*worker)->Finish(); !s.ok()) return Fail(kExitRuntimeError, "finish", s);
  return 0;
}
