// gaia_lda_serial: the single-process reference for apps/lda. Trains with
// the same sampler and objective as gaia_lda on the union of the given data
// and prints the objective (minus log p(w, z)) per iteration and the
// converged objective (DESIGN.md §8), which distributed runs are compared
// against. With --test-data, scores held-out documents by document
// completion at the end; with
// --export-topics, writes the topics in the exchange format
// (topic_matrix.h) for gaia_lda_eval.
//
//   gaia_lda_serial --data=brown,test=0.1 --topics=20 --iterations=200
//       --test-data=brown,test=0.1,split=test --export-topics=out/gaia.topics
//
// Exit codes: 0 ok, 2 bad arguments or data, 1 runtime error.
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "apps/common/device.h"
#include "apps/common/flags.h"
#include "apps/common/progress.h"
#include "apps/common/timing.h"
#include "apps/lda/data_source.h"
#include "apps/lda/flags.h"
#include "apps/lda/held_out_eval.h"
#include "apps/lda/serial_train.h"
#include "apps/lda/topic_matrix.h"

namespace {

using gaia::lda::Corpus;

struct Flags {
  std::vector<std::string> data;
  std::string test_data;
  std::string export_topics;
  gaia::lda::LdaParams params;
  gaia::lda::SamplerOptions sampler;
  gaia::lda::SerialOptions serial;
  gaia::apps::Device device = gaia::apps::Device::kCpu;
  bool json = false;
};

void AddFlags(CLI::App& app, Flags* f) {
  app.add_option("--data", f->data,
                 "data spec(s) (apps/lda/data_source.h); several are unioned, e.g. one per "
                 "DC, and must share one vocabulary")
      ->required();
  app.add_option("--test-data", f->test_data,
                 "held-out documents (a data spec): per-token log-likelihood by document "
                 "completion at the end");
  app.add_option("--export-topics", f->export_topics,
                 "write the trained topics here (exchange format, apps/lda/topic_matrix.h)");
  app.add_option("--iterations", f->serial.iterations, "sampling sweeps")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30))
      ->capture_default_str();
  app.add_option("--window", f->serial.window, "convergence window (iterations)")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  app.add_option("--tolerance", f->serial.tolerance, "convergence tolerance (relative)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_flag("--json", f->json, "print one JSON object instead of text");
  gaia::lda::AddModelFlags(app, &f->params, &f->sampler);
  gaia::apps::AddDeviceFlag(app, &f->device);
}

// The union of the documents of every spec (one vocabulary).
absl::StatusOr<Corpus> LoadAll(const std::vector<std::string>& specs) {
  Corpus all;
  for (size_t i = 0; i < specs.size(); ++i) {
    absl::StatusOr<Corpus> part = gaia::lda::LoadCorpus(specs[i], 0, 1);
    if (!part.ok()) return part.status();
    if (i == 0) {
      all.vocab = part->vocab;
    } else if (part->vocab != all.vocab) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--data ", specs[i], " has another vocabulary than --data ", specs[0],
          " (give shares of one corpus, e.g. with dc=I,dcs=N)"));
    }
    for (size_t d = 0; d < part->num_docs(); ++d) all.AddDoc(part->doc(d));
  }
  return all;
}

absl::StatusOr<gaia::lda::HeldOutResult> ScoreHeldOut(const Corpus& test, const Corpus& train,
                                                      const gaia::lda::LdaParams& params,
                                                      std::span<const int32_t> word_topic) {
  absl::StatusOr<gaia::lda::TopicWordMatrix> phi = gaia::lda::TopicsFromWordTopicCounts(
      word_topic, params.topics, params.beta, train.vocab);
  if (!phi.ok()) return phi.status();
  gaia::lda::HeldOutOptions options;
  options.alpha = params.alpha;
  options.threads = 0;
  return gaia::lda::DocumentCompletion(*phi, test, options);
}

void PrintIteration(const gaia::lda::IterationReport& r, int64_t iterations, uint64_t tokens,
                    const gaia::apps::Stopwatch& run) {
  gaia::apps::ProgressLine line;
  line.clock = r.iteration + 1;
  line.clocks = iterations;
  line.objective = r.objective;
  line.elapsed_s = run.ElapsedSeconds();
  line.rate_name = "tokens_per_s";
  line.rate = gaia::apps::PerSecond(static_cast<double>(r.sweep.tokens), r.sweep_seconds);
  const double n = static_cast<double>(std::max<uint64_t>(tokens, 1));
  line.extra = {{"loglik_per_token", -r.objective / n},
                {"changed", static_cast<double>(r.sweep.changed) / n},
                {"insignificant", static_cast<double>(r.insignificant) /
                                      static_cast<double>(std::max<uint64_t>(r.updates, 1))}};
  gaia::apps::PrintProgressLine(line);
}

int Fail(int code, const absl::Status& status) {
  std::cerr << "gaia_lda_serial: " << status.message() << "\n";
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gaia_lda_serial: serial collapsed Gibbs LDA (reference)"};
  Flags f;
  AddFlags(app, &f);
  if (int rc = gaia::apps::ParseFlags(app, argc, argv); rc >= 0) return rc;
  if (absl::Status s = gaia::apps::CheckDeviceBuilt(f.device, gaia::lda::kBuiltWithCuda,
                                                    "gaia_lda_serial");
      !s.ok()) {
    return Fail(gaia::apps::kExitBadInput, s);
  }
  f.serial.device = f.device == gaia::apps::Device::kCuda ? gaia::lda::SamplerDevice::kCuda
                                                          : gaia::lda::SamplerDevice::kCpu;
  absl::StatusOr<Corpus> corpus = LoadAll(f.data);
  if (!corpus.ok()) return Fail(gaia::apps::kExitBadInput, corpus.status());
  std::optional<Corpus> test;
  if (!f.test_data.empty()) {
    absl::StatusOr<Corpus> t = gaia::lda::LoadCorpus(f.test_data, 0, 1);
    if (!t.ok()) return Fail(gaia::apps::kExitBadInput, t.status());
    test = std::move(*t);
  }
  const gaia::apps::Stopwatch run;
  const uint64_t tokens = corpus->num_tokens();
  if (!f.json) {
    f.serial.on_iteration = [&](const gaia::lda::IterationReport& r) {
      PrintIteration(r, f.serial.iterations, tokens, run);
    };
  }
  absl::StatusOr<gaia::lda::SerialResult> r =
      gaia::lda::SerialTrain(*corpus, f.params, f.sampler, f.serial);
  if (!r.ok()) {
    const absl::StatusCode code = r.status().code();
    return Fail(code == absl::StatusCode::kInvalidArgument ||
                        code == absl::StatusCode::kFailedPrecondition
                    ? gaia::apps::kExitBadInput
                    : gaia::apps::kExitRuntimeError,
                r.status());
  }
  nlohmann::json out;
  out["documents"] = corpus->num_docs();
  out["tokens"] = tokens;
  out["vocab"] = corpus->vocab_size();
  out["topics"] = f.params.topics;
  out["sampler"] = std::string(gaia::lda::SamplerKindName(f.sampler.kind));
  out["device"] = std::string(gaia::apps::DeviceName(f.device));
  out["objectives"] = r->objectives;
  out["converged"] = r->converged_iteration.has_value();
  out["converged_iteration"] = r->converged_iteration.value_or(-1);
  out["converged_objective"] = r->converged_objective;
  out["final_objective"] = r->final_objective;
  out["final_loglik_per_token"] = -r->final_objective / static_cast<double>(tokens);
  // Thesis Fig. 5.4: the share of unit count updates below 1% of the count;
  // and of the net per-sweep changes (what a worker pushes per clock).
  out["insignificant_share"] = static_cast<double>(r->insignificant) /
                               static_cast<double>(std::max<uint64_t>(r->updates, 1));
  out["insignificant_net_share"] = static_cast<double>(r->net_insignificant) /
                                   static_cast<double>(std::max<uint64_t>(r->net_updates, 1));
  out["tokens_per_s"] = static_cast<double>(tokens) * static_cast<double>(r->objectives.size()) /
                        std::max(r->sweep_seconds, 1e-9);
  if (test.has_value()) {
    absl::StatusOr<gaia::lda::HeldOutResult> h =
        ScoreHeldOut(*test, *corpus, f.params, r->word_topic);
    if (!h.ok()) return Fail(gaia::apps::kExitBadInput, h.status());
    out["test_loglik_per_token"] = h->per_token();
    out["test_tokens_scored"] = h->tokens_scored;
    out["test_tokens_unknown"] = h->tokens_unknown;
  }
  if (!f.export_topics.empty()) {
    absl::StatusOr<gaia::lda::TopicWordMatrix> phi = gaia::lda::TopicsFromWordTopicCounts(
        std::span<const int32_t>(r->word_topic), f.params.topics, f.params.beta, corpus->vocab);
    absl::Status s = phi.ok() ? gaia::lda::WriteTopicMatrix(*phi, f.export_topics) : phi.status();
    if (!s.ok()) return Fail(gaia::apps::kExitRuntimeError, s);
    out["topics_file"] = f.export_topics;
  }
  std::cout << (f.json ? out.dump() : out.dump(2)) << "\n";
  return 0;
}
