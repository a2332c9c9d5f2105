// gaia_cnn_serial: the single-process reference for gaia_cnn. Trains the
// same model with the same flags on one data part (by default all of the
// training set) for --epochs epochs, and scores the test set after each.
//
//   gaia_cnn_serial --data=fashion-mnist --epochs=10 --model=lenet --norm=group --lr=0.05
//
// Prints one progress line per epoch ("clock E/N objective <mean training
// loss> test_accuracy <acc> ... images_per_s <training rate>") and, with
// --summary-json, writes {"epochs": [...], "final_test_accuracy": ...,
// "images_per_s": ...}. images_per_s counts training steps only (not the
// batch copies nor the per-step significance count); insignificant_share
// is the share of per-step weight changes below 1% of the weight (thesis
// Fig. 5.4: 97% for image classification).
//
// Exit codes: 0 ok, 2 bad arguments or data, 1 runtime error.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "apps/cnn/data_batches.h"
#include "apps/cnn/data_source.h"
#include "apps/cnn/train_flags.h"
#include "apps/common/flags.h"
#include "apps/common/progress.h"
#include "apps/common/timing.h"

namespace {

using gaia::apps::kExitBadInput;
using gaia::apps::kExitRuntimeError;

int Fail(int code, std::string_view what, const absl::Status& status) {
  std::cerr << "gaia_cnn_serial: " << what << (what.empty() ? "" : ": ") << status.message()
            << "\n";
  return code;
}

struct Flags {
  gaia::cnn::TrainFlags train;
  std::string data = "fashion-mnist";
  int64_t epochs = 10;
  std::string summary_json;
};

struct EpochResult {
  double loss = 0, train_accuracy = 0, test_accuracy = 0, images_per_s = 0, elapsed_s = 0;
  // Of the epoch's per-step weight changes (every trainable weight, every
  // step), the share below 1% of the weight's value: the thesis's Fig. 5.4
  // measure of how many updates the significance filter could hold back.
  double insignificant_share = 0;
};

// Counts the trainable weights whose change from `before` is below 1% of
// |before| (a weight at 0 that changed is significant).
int64_t CountInsignificant(std::span<const float> before, std::span<const float> after) {
  int64_t n = 0;
  for (size_t i = 0; i < before.size(); ++i) {
    n += std::fabs(after[i] - before[i]) < 0.01f * std::fabs(before[i]);
  }
  return n;
}

absl::StatusOr<EpochResult> RunEpoch(gaia::cnn::Trainer& t, gaia::cnn::BatchIterator& batches,
                                     const gaia::cnn::CnnData& data, uint32_t batch,
                                     int64_t epoch, int64_t* step) {
  std::vector<float> x(batches.batch_floats());
  std::vector<int32_t> y(batches.batch_size());
  const int64_t steps = static_cast<int64_t>((data.train.n + batch - 1) / batch);
  double loss = 0;
  int64_t correct = 0, insignificant = 0;
  double step_ms = 0;
  const size_t trainable = t.model.num_trainable();
  std::vector<float> before(trainable);
  for (int64_t i = 0; i < steps; ++i, ++*step) {
    std::span<const float> params = t.model.params().first(trainable);
    std::copy(params.begin(), params.end(), before.begin());
    gaia::apps::Stopwatch clock;
    t.sgd.set_lr(t.schedule.At(*step, epoch));
    if (absl::Status s = batches.Next(x, y); !s.ok()) return s;
    absl::StatusOr<gaia::cnn::StepResult> r =
        t.model.TrainStep(x, y, static_cast<int>(batch), t.sgd);
    if (!r.ok()) return r.status();
    step_ms += clock.LapMs();
    insignificant += CountInsignificant(before, t.model.params().first(trainable));
    if (!std::isfinite(r->loss)) {
      return absl::InvalidArgumentError(
          absl::StrCat("epoch ", epoch + 1, " step ", i, ": the loss is not finite (lower --lr)"));
    }
    loss += r->loss;
    correct += r->correct;
  }
  EpochResult e;
  e.images_per_s = gaia::apps::PerSecond(static_cast<double>(steps * batch), step_ms * 1e-3);
  e.insignificant_share =
      static_cast<double>(insignificant) / static_cast<double>(steps * int64_t(trainable));
  e.loss = loss / static_cast<double>(steps);
  e.train_accuracy = static_cast<double>(correct) / static_cast<double>(steps * batch);
  absl::StatusOr<gaia::cnn::EvalResult> test = t.model.Evaluate(
      data.test.pixels, data.test.labels, static_cast<int64_t>(data.test.n), 256);
  if (!test.ok()) return test.status();
  e.test_accuracy = test->accuracy;
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gaia_cnn_serial: single-process reference for gaia_cnn"};
  Flags flags;
  gaia::cnn::AddTrainFlags(app, &flags.train);
  app.add_option("--data", flags.data, "data spec (docs/APP_CNN_DATA.md)")
      ->capture_default_str();
  app.add_option("--epochs", flags.epochs, "passes over the training set")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20))->capture_default_str();
  app.add_option("--summary-json", flags.summary_json, "write the results here as JSON");
  if (int rc = gaia::apps::ParseFlags(app, argc, argv); rc >= 0) return rc;

  absl::StatusOr<gaia::cnn::CnnData> data = gaia::cnn::LoadCnnData(flags.data, 0, 1);
  if (!data.ok()) return Fail(kExitBadInput, "", data.status());
  const gaia::cnn::TrainFlags& train = flags.train;
  const int64_t steps_per_epoch =
      static_cast<int64_t>((data->train.n + train.batch - 1) / train.batch);
  absl::StatusOr<gaia::cnn::Trainer> trainer =
      gaia::cnn::CreateTrainer(train, data->train, steps_per_epoch * flags.epochs);
  if (!trainer.ok()) return Fail(kExitBadInput, "", trainer.status());
  absl::StatusOr<gaia::cnn::BatchIterator> batches = gaia::cnn::BatchIterator::Create(
      data->train, {.batch_size = train.batch, .seed = train.shuffle_seed});
  if (!batches.ok()) return Fail(kExitBadInput, "", batches.status());
  std::printf("gaia_cnn_serial: %zu training images, %zu test images, model %s/%s, %zu "
              "parameters, %d thread(s)\n",
              data->train.n, data->test.n, train.model.name.c_str(), train.model.norm.c_str(),
              trainer->model.params().size(), trainer->model.threads());
  std::fflush(stdout);

  nlohmann::json summary = {{"epochs", nlohmann::json::array()}};
  const gaia::apps::Stopwatch run;
  int64_t step = 0;
  double rate_sum = 0;
  for (int64_t e = 0; e < flags.epochs; ++e) {
    absl::StatusOr<EpochResult> r =
        RunEpoch(*trainer, *batches, *data, train.batch, e, &step);
    if (!r.ok()) return Fail(kExitRuntimeError, "", r.status());
    rate_sum += r->images_per_s;
    gaia::apps::ProgressLine line;
    line.clock = e + 1;
    line.clocks = flags.epochs;
    line.objective = r->loss;
    line.held_out_name = "test_accuracy";
    line.held_out = r->test_accuracy;
    line.elapsed_s = run.ElapsedSeconds();
    line.rate_name = "images_per_s";
    line.rate = r->images_per_s;
    line.extra = {{"train_accuracy", r->train_accuracy},
                  {"lr", trainer->sgd.lr()},
                  {"insignificant_share", r->insignificant_share}};
    gaia::apps::PrintProgressLine(line);
    summary["epochs"].push_back({{"epoch", e + 1},
                                 {"loss", r->loss},
                                 {"train_accuracy", r->train_accuracy},
                                 {"test_accuracy", r->test_accuracy},
                                 {"images_per_s", r->images_per_s},
                                 {"insignificant_share", r->insignificant_share},
                                 {"elapsed_s", line.elapsed_s}});
    summary["final_test_accuracy"] = r->test_accuracy;
  }
  summary["images_per_s"] = rate_sum / static_cast<double>(flags.epochs);
  if (!flags.summary_json.empty()) {
    std::ofstream out(flags.summary_json);
    out << summary.dump(2) << "\n";
    if (!out) {
      return Fail(kExitRuntimeError, "",
                  absl::InternalError("cannot write --summary-json " + flags.summary_json));
    }
  }
  return 0;
}
