// gaia_lda_eval end to end: corpus export, scoring a topic file and a saved
// model, and its errors (exit code 2, naming the file and line or field).
#include <chrono>
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_format.h"
#include "apps/lda/topic_matrix.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/subprocess.h"

namespace gaia::lda {
namespace {

using ::gaia::testing::MakeTempDir;
using ::gaia::testing::ReadTextFile;
using ::gaia::testing::RunProcess;
using ::gaia::testing::WriteTextFile;
using ::testing::HasSubstr;

testing::ProcessResult Eval(std::vector<std::string> args) {
  args.insert(args.begin(), testing::BinDir() + "/gaia_lda_eval");
  return RunProcess(args, std::chrono::seconds(60));
}

// Words a..d with counts 6, 4, 3, 2 (distinct, so the UCI loader's order,
// count descending, keeps these ids); 4 documents.
std::string WriteCorpus(const std::string& dir) {
  WriteTextFile(dir + "/vocab.toy.txt", "a\nb\nc\nd\n");
  WriteTextFile(dir + "/docword.toy.txt",
                "4\n4\n8\n"
                "1 1 2\n1 2 2\n"
                "2 1 2\n2 3 2\n"
                "3 1 2\n3 2 2\n"
                "4 3 1\n4 4 2\n");
  return "uci:" + dir + "/docword.toy.txt";
}

void WriteTopics(const std::string& path, const std::vector<std::string>& vocab) {
  TopicWordMatrix m;
  m.topics = 2;
  m.vocab = vocab;
  m.phi = {0.5, 0.3, 0.1, 0.1, 0.1, 0.1, 0.4, 0.4};
  ASSERT_TRUE(WriteTopicMatrix(m, path).ok());
}

TEST(LdaEvalProgram, ExportWritesUciWithOurWordIds) {
  const std::string dir = MakeTempDir("lda_eval");
  const std::string spec = WriteCorpus(dir);
  testing::ProcessResult r =
      Eval({"--export-corpus=" + spec, "--out-dir=" + dir + "/out", "--name=x"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(ReadTextFile(dir + "/out/vocab.x.txt"), "a\nb\nc\nd\n");
  EXPECT_EQ(ReadTextFile(dir + "/out/docword.x.txt"), ReadTextFile(dir + "/docword.toy.txt"));
}

TEST(LdaEvalProgram, ScoresATopicFileOnHeldOutAndReferenceDocuments) {
  const std::string dir = MakeTempDir("lda_eval");
  const std::string spec = WriteCorpus(dir);
  WriteTopics(dir + "/m.topics", {"a", "b", "c", "d"});
  testing::ProcessResult r =
      Eval({"--topics=" + dir + "/m.topics", "--corpus=" + spec, "--test-data=" + spec,
            "--planted=" + dir + "/m.topics", "--top-n=2", "--out=" + dir + "/e.json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json j = nlohmann::json::parse(ReadTextFile(dir + "/e.json"));
  EXPECT_EQ(j["heldout_tokens"], 7);  // floor(n / 2) of documents of 4, 4, 4, 3 tokens
  EXPECT_EQ(j["heldout_docs"], 4);
  EXPECT_LT(j["heldout_loglik_per_token"].get<double>(), 0);
  // Topic 0's top pair (a, b): P(a) = 3/4, P(b) = P(a, b) = 1/2:
  // log((1/2) / (3/4 * 1/2)) / log 2. Topic 1's (c, d): P(c) = 1/2,
  // P(d) = P(c, d) = 1/4: log((1/4) / (1/2 * 1/4)) / log 4 = 1/2.
  EXPECT_NEAR(j["npmi_per_topic"][0].get<double>(), std::log(4.0 / 3) / std::log(2.0), 1e-12);
  EXPECT_NEAR(j["npmi_per_topic"][1].get<double>(), 0.5, 1e-12);
  EXPECT_EQ(j["planted_tv_max"], 0.0);
  EXPECT_EQ(j["top_words"][1], (std::vector<std::string>{"c", "d"}));
}

TEST(LdaEvalProgram, ScoresASavedModelWithTheCorpusVocabulary) {
  const std::string dir = MakeTempDir("lda_eval");
  const std::string spec = WriteCorpus(dir);
  const std::vector<float> counts = {4, 0, 2, 2, 0, 3, 0, 2};  // 4 words x 2 topics
  std::ofstream(dir + "/word_topic.f32", std::ios::binary)
      .write(reinterpret_cast<const char*>(counts.data()), sizeof(float) * counts.size());
  WriteTextFile(dir + "/word_topic.json",
                absl::StrFormat("{\"table\": \"word_topic\", \"rows\": 4, \"width\": 2, "
                                "\"fnv1a64\": \"%016x\"}",
                                Fnv1a64(counts.data(), sizeof(float) * counts.size())));
  testing::ProcessResult r =
      Eval({"--model=" + dir, "--beta=0.1", "--corpus=" + spec, "--top-n=2"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\"npmi_mean\""));
  r = Eval({"--model=" + dir, "--top-n=2"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("--model needs --corpus or --test-data"));
}

TEST(LdaEvalProgram, BadInputExitsWithTwoAndSaysWhere) {
  const std::string dir = MakeTempDir("lda_eval");
  const std::string spec = WriteCorpus(dir);
  WriteTopics(dir + "/m.topics", {"a", "b", "x", "d"});
  testing::ProcessResult r = Eval({"--topics=" + dir + "/m.topics", "--corpus=" + spec});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("vocabulary mismatch at word id 2: the model has 'x'"));

  WriteTextFile(dir + "/bad.topics", "2 4\n0.5 0.5 0 0\n0.5 0.5 zero 0\n");
  r = Eval({"--topics=" + dir + "/bad.topics", "--out=" + dir + "/never.json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr(dir + "/bad.topics:3: field 3 'zero'"));
  EXPECT_THAT(ReadTextFile(dir + "/never.json"), ::testing::IsEmpty());

  r = Eval({"--topics=" + dir + "/m.topics", "--model=" + dir});
  EXPECT_EQ(r.exit_code, 2);
  r = Eval({"--export-corpus=" + spec});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("--out-dir"));
}

}  // namespace
}  // namespace gaia::lda
