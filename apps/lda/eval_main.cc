// gaia_lda_eval: scores a topic model the same way whoever trained it (our
// sampler, a saved Gaia run, or gensim through bench/lda_gensim.py), and
// exports a corpus so that a peer trains on exactly our documents.
//
//   gaia_lda_eval --topics=gaia.topics --corpus=brown
//       --test-data=brown,test=0.1,seed=1,split=test --alpha=0.1 [--out=eval.json]
//   gaia_lda_eval --model=runs/x/model/lan/global --beta=0.01 --corpus=SPEC ...
//   gaia_lda_eval --topics=t.topics --planted=planted.topics
//   gaia_lda_eval --export-corpus=brown,test=0.1,seed=1,split=train --out-dir=DIR
//
// Prints one JSON object (docs/APP_LDA.md "Evaluation" lists its fields).
// The topics come from an exchange-format file (topic_matrix.h) or a saved
// model's word_topic table smoothed with --beta. --corpus is the reference
// corpus for NPMI, --test-data the held-out documents (document completion,
// held_out_eval.h), --planted a topic file to measure the distance from.
// Every corpus's vocabulary must agree with the model's.
//
// Exit codes: 0 ok, 2 bad arguments or input, 1 runtime error.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "apps/common/flags.h"
#include "apps/common/timing.h"
#include "apps/lda/atomic_file.h"
#include "apps/lda/coherence.h"
#include "apps/lda/data_source.h"
#include "apps/lda/held_out_eval.h"
#include "apps/lda/synthetic.h"
#include "apps/lda/topic_distance.h"
#include "apps/lda/topic_matrix.h"

namespace {

namespace fs = std::filesystem;
using gaia::lda::Corpus;
using gaia::lda::TopicWordMatrix;
using Json = nlohmann::ordered_json;  // keeps the fields in the order written

struct EvalFlags {
  std::string topics_file;
  std::string model_dir;
  std::string table = "word_topic";
  double beta = 0.01;
  std::string corpus_spec;
  std::string test_spec;
  std::string planted_file;
  gaia::lda::HeldOutOptions held_out;
  gaia::lda::CoherenceOptions coherence;
  std::string out;
  std::string export_spec;
  std::string out_dir;
  std::string export_name = "corpus";
};

void AddFlags(CLI::App& app, EvalFlags* f) {
  app.add_option("--topics", f->topics_file, "topic-word matrix file (exchange format)");
  app.add_option("--model", f->model_dir,
                 "saved Gaia model directory holding <table>.f32 and <table>.json");
  app.add_option("--table", f->table, "--model: the word-topic table's name")
      ->capture_default_str();
  app.add_option("--beta", f->beta, "--model: topic-word prior the counts are smoothed with")
      ->capture_default_str();
  app.add_option("--corpus", f->corpus_spec, "reference corpus for NPMI (a data spec)");
  app.add_option("--test-data", f->test_spec, "held-out documents (a data spec)");
  app.add_option("--planted", f->planted_file,
                 "planted topics to compare with: a topic file (exchange format), or the "
                 "synthetic: spec of the corpus (its generator's topics)");
  app.add_option("--alpha", f->held_out.alpha, "held-out: document-topic prior")
      ->capture_default_str();
  app.add_option("--burn-in", f->held_out.burn_in, "held-out: Gibbs sweeps discarded")
      ->capture_default_str();
  app.add_option("--samples", f->held_out.samples, "held-out: Gibbs sweeps averaged")
      ->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--seed", f->held_out.seed, "held-out: split and sampler seed")
      ->capture_default_str();
  app.add_option("--threads", f->held_out.threads, "held-out: threads (0: one per core)")
      ->capture_default_str();
  app.add_option("--top-n", f->coherence.top_n, "NPMI: top words per topic")
      ->capture_default_str()->check(CLI::Range(2u, 1000u));
  app.add_option("--out", f->out, "write the JSON here instead of stdout");
  app.add_option("--export-corpus", f->export_spec,
                 "instead of evaluating: write this data spec's documents in UCI format");
  app.add_option("--out-dir", f->out_dir, "--export-corpus: directory to write into");
  app.add_option("--name", f->export_name,
                 "--export-corpus: NAME in docword.NAME.txt / vocab.NAME.txt")
      ->capture_default_str();
}

// Exit code for a failed status: bad input (2) unless the failure is the
// machine's (a write that failed, say).
int ExitCode(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kOutOfRange:
      return gaia::apps::kExitBadInput;
    default:
      return gaia::apps::kExitRuntimeError;
  }
}

absl::StatusOr<Corpus> Load(const std::string& flag, const std::string& spec) {
  absl::StatusOr<Corpus> c = gaia::lda::LoadCorpus(spec, 0, 1);
  if (!c.ok()) {
    return absl::Status(c.status().code(),
                        absl::StrCat(flag, "=", spec, ": ", c.status().message()));
  }
  return c;
}

// UCI bag-of-words (docword.NAME.txt: D, W, NNZ, then "doc word count" lines,
// 1-based, ascending; vocab.NAME.txt: word w on line w). Word w of the file
// is word id w - 1 of the corpus: bench/lda_gensim.py reads the files itself,
// so a peer's topic columns are our word ids. (Loading them back with a
// "uci:" spec renumbers the words: that loader orders words by count and
// drops absent ones.) An empty document has no lines but counts in D.
absl::StatusOr<Json> ExportUci(const Corpus& c, const std::string& dir,
                                         const std::string& name) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  std::vector<std::map<uint32_t, uint32_t>> counts(c.num_docs());
  uint64_t nnz = 0;
  for (size_t d = 0; d < c.num_docs(); ++d) {
    for (uint32_t w : c.doc(d)) ++counts[d][w];
    nnz += counts[d].size();
  }
  const fs::path docword = fs::path(dir) / ("docword." + name + ".txt");
  const fs::path vocab = fs::path(dir) / ("vocab." + name + ".txt");
  absl::Status s = gaia::lda::WriteFileAtomically(vocab.string(), [&](std::ofstream& out) {
    for (const std::string& word : c.vocab) out << word << "\n";
  });
  if (s.ok()) {
    s = gaia::lda::WriteFileAtomically(docword.string(), [&](std::ofstream& out) {
      out << c.num_docs() << "\n" << c.vocab.size() << "\n" << nnz << "\n";
      for (size_t d = 0; d < counts.size(); ++d) {
        for (const auto& [w, n] : counts[d]) out << d + 1 << " " << w + 1 << " " << n << "\n";
      }
    });
  }
  if (!s.ok()) {
    fs::remove(vocab, ec);
    return s;
  }
  return Json{{"docword", docword.string()}, {"vocab", vocab.string()},
                        {"docs", c.num_docs()},
                        {"words", c.vocab.size()}, {"tokens", c.num_tokens()}};
}

// The model's topics; the vocabulary of a saved model comes from `vocab`.
absl::StatusOr<TopicWordMatrix> LoadTopics(const EvalFlags& f,
                                           const std::vector<std::string>* vocab) {
  if (f.topics_file.empty() == f.model_dir.empty()) {
    return absl::InvalidArgumentError("give exactly one of --topics=FILE and --model=DIR");
  }
  if (!f.topics_file.empty()) return gaia::lda::ReadTopicMatrix(f.topics_file);
  if (vocab == nullptr) {
    return absl::InvalidArgumentError(
        "--model needs --corpus or --test-data: the vocabulary comes from the corpus");
  }
  return gaia::lda::TopicsFromSavedModel(f.model_dir, f.beta, *vocab, f.table);
}

Json TopWordsJson(const TopicWordMatrix& m,
                            const std::vector<std::vector<uint32_t>>& top) {
  Json out = Json::array();
  for (const std::vector<uint32_t>& words : top) {
    Json list = Json::array();
    for (uint32_t w : words) list.push_back(m.vocab[w]);
    out.push_back(list);
  }
  return out;
}

absl::Status AddHeldOut(const TopicWordMatrix& m, const Corpus& test, const EvalFlags& f,
                        Json* out) {
  const gaia::apps::Stopwatch watch;
  absl::StatusOr<gaia::lda::HeldOutResult> r = gaia::lda::DocumentCompletion(m, test, f.held_out);
  if (!r.ok()) return r.status();
  Json& j = *out;
  j["heldout_loglik_per_token"] = r->per_token();
  j["heldout_loglik"] = r->loglik;
  j["heldout_tokens"] = r->tokens_scored;
  j["heldout_tokens_estimated"] = r->tokens_estimated;
  j["heldout_docs"] = r->docs_scored;
  j["heldout_docs_skipped"] = r->docs_skipped;
  j["heldout_tokens_unknown"] = r->tokens_unknown;
  j["heldout_settings"] = {{"alpha", f.held_out.alpha}, {"burn_in", f.held_out.burn_in},
                           {"samples", f.held_out.samples}, {"seed", f.held_out.seed}};
  j["heldout_seconds"] = watch.ElapsedSeconds();
  return absl::OkStatus();
}

absl::Status AddCoherence(const TopicWordMatrix& m, const Corpus& reference,
                          const EvalFlags& f, Json* out) {
  absl::StatusOr<gaia::lda::CoherenceResult> c =
      gaia::lda::NpmiCoherence(m, reference, f.coherence);
  if (!c.ok()) return c.status();
  (*out)["npmi_mean"] = c->mean;
  (*out)["npmi_per_topic"] = c->per_topic;
  (*out)["npmi_top_n"] = f.coherence.top_n;
  (*out)["npmi_reference_docs"] = c->reference_docs;
  return absl::OkStatus();
}

// The planted topics: a topic file, or the generator's own for a synthetic
// spec (its word ids are the corpus's).
absl::StatusOr<TopicWordMatrix> LoadPlanted(const std::string& file_or_spec) {
  if (!absl::StartsWith(file_or_spec, "synthetic")) {
    return gaia::lda::ReadTopicMatrix(file_or_spec);
  }
  absl::StatusOr<gaia::lda::PlantedTopics> truth = gaia::lda::LoadPlantedTopics(file_or_spec);
  if (!truth.ok()) return truth.status();
  TopicWordMatrix m;
  m.topics = truth->topics;
  for (uint32_t w = 0; w < truth->vocab; ++w) m.vocab.push_back(absl::StrCat("w", w));
  m.phi = std::move(truth->word_prob);
  return m;
}

absl::Status AddPlanted(const TopicWordMatrix& m, const std::string& file, Json* out) {
  absl::StatusOr<TopicWordMatrix> planted = LoadPlanted(file);
  if (!planted.ok()) return planted.status();
  absl::StatusOr<gaia::lda::TopicMatch> match = gaia::lda::MatchTopics(*planted, m);
  if (!match.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--planted=", file, ": ",
                                                   match.status().message()));
  }
  (*out)["planted_tv_mean"] = match->mean_distance;
  (*out)["planted_tv_max"] = match->max_distance;
  (*out)["planted_tv"] = match->distance;
  (*out)["planted_match"] = match->estimated_for_planted;
  (*out)["planted_matching"] = match->one_to_one ? "optimal one-to-one" : "nearest per planted";
  return absl::OkStatus();
}

absl::Status CheckVocab(const TopicWordMatrix& m, const std::optional<Corpus>& c,
                        const std::string& flag, const std::string& spec) {
  if (!c.has_value()) return absl::OkStatus();
  return gaia::lda::CheckVocabulary(m.vocab, c->vocab, absl::StrCat(flag, "=", spec));
}

absl::StatusOr<Json> Evaluate(const EvalFlags& f) {
  std::optional<Corpus> reference, test;
  if (!f.corpus_spec.empty()) {
    absl::StatusOr<Corpus> c = Load("--corpus", f.corpus_spec);
    if (!c.ok()) return c.status();
    reference = *std::move(c);
  }
  if (!f.test_spec.empty()) {
    absl::StatusOr<Corpus> c = Load("--test-data", f.test_spec);
    if (!c.ok()) return c.status();
    test = *std::move(c);
  }
  const std::vector<std::string>* vocab =
      reference ? &reference->vocab : test ? &test->vocab : nullptr;
  absl::StatusOr<TopicWordMatrix> m = LoadTopics(f, vocab);
  if (!m.ok()) return m.status();
  if (absl::Status s = CheckVocab(*m, reference, "--corpus", f.corpus_spec); !s.ok()) return s;
  if (absl::Status s = CheckVocab(*m, test, "--test-data", f.test_spec); !s.ok()) return s;
  Json out;
  out["model"] = f.topics_file.empty() ? f.model_dir : f.topics_file;
  out["topics"] = m->topics;
  out["vocab"] = m->vocab_size();
  if (test) {
    if (absl::Status s = AddHeldOut(*m, *test, f, &out); !s.ok()) return s;
  }
  if (reference) {
    if (absl::Status s = AddCoherence(*m, *reference, f, &out); !s.ok()) return s;
  }
  if (!f.planted_file.empty()) {
    if (absl::Status s = AddPlanted(*m, f.planted_file, &out); !s.ok()) return s;
  }
  out["top_words"] = TopWordsJson(*m, gaia::lda::TopWords(*m, f.coherence.top_n));
  return out;
}

absl::StatusOr<Json> Run(const EvalFlags& f) {
  if (f.export_spec.empty()) return Evaluate(f);
  if (f.out_dir.empty()) return absl::InvalidArgumentError("--export-corpus needs --out-dir");
  absl::StatusOr<Corpus> c = Load("--export-corpus", f.export_spec);
  if (!c.ok()) return c.status();
  return ExportUci(*c, f.out_dir, f.export_name);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gaia_lda_eval: held-out likelihood, NPMI and planted-topic distance of LDA "
               "topics; corpus export for peers"};
  EvalFlags flags;
  AddFlags(app, &flags);
  if (int rc = gaia::apps::ParseFlags(app, argc, argv); rc >= 0) return rc;
  absl::StatusOr<Json> result = Run(flags);
  if (!result.ok()) {
    std::cerr << "gaia_lda_eval: " << result.status().message() << "\n";
    return ExitCode(result.status());
  }
  const std::string text = result->dump(2) + "\n";
  if (flags.out.empty()) {
    std::cout << text;
    return gaia::apps::kExitOk;
  }
  if (absl::Status s =
          gaia::lda::WriteFileAtomically(flags.out, [&](std::ofstream& o) { o << text; });
      !s.ok()) {
    std::cerr << "gaia_lda_eval: " << s.message() << "\n";
    return gaia::apps::kExitRuntimeError;
  }
  return gaia::apps::kExitOk;
}
