// The LDA programs end to end: gaia_lda against real in-process shards on
// 127.0.0.1:0 (bad tables, bad data, a table that does not hold counts, and
// two workers training to exact counts), and gaia_lda_serial's CLI with its
// topics read back by gaia_lda_eval. Every program runs under a timeout.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/common/job_spec.h"
#include "src/common/packing.h"
#include "src/server/shard_core.h"
#include "src/server/shard_server.h"
#include "tests/testing/subprocess.h"

namespace gaia::lda {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using gaia::testing::ProcessResult;

constexpr char kJob[] = "lda-test";
constexpr uint32_t kTopics = 10;
constexpr uint64_t kVocab = 500;
constexpr char kData[] = "synthetic:docs=400,vocab=500,topics=10,doc_length=50,seed=3";
constexpr std::chrono::seconds kTimeout{60};

std::string Bin(const std::string& name) { return gaia::testing::BinDir() + "/" + name; }

common::TableSpec CountsTable(const std::string& name, uint64_t rows, uint32_t width) {
  common::TableSpec table;
  table.name = name;
  table.rows = rows;
  table.width = width;
  table.counts = true;
  return table;
}

// The usual pair: word_topic (kVocab x kTopics) and topic_totals.
std::vector<common::TableSpec> LdaTables() {
  return {CountsTable("word_topic", kVocab, kTopics), CountsTable("topic_totals", 1, kTopics)};
}

class LdaAppTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = gaia::testing::MakeTempDir("gaia_lda_app"); }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // One shard holding `tables`, for `workers` workers (BSP).
  void StartShard(std::vector<common::TableSpec> tables, uint32_t workers) {
    server::ShardOptions options;
    options.job_id = kJob;
    options.tables = std::move(tables);
    options.num_workers = workers;
    options.listen_address = "127.0.0.1:0";
    absl::StatusOr<std::unique_ptr<server::ShardServer>> shard =
        server::ShardServer::Start(options);
    ASSERT_TRUE(shard.ok()) << shard.status();
    shard_ = std::move(*shard);
  }

  std::string WriteConfig(uint32_t worker, uint32_t workers) {
    nlohmann::json config;
    config["job_id"] = kJob;
    config["worker_id"] = worker;
    config["shard_addresses"] = {"127.0.0.1:" + std::to_string(shard_->port())};
    config["dc"] = "test";
    config["data_part"] = worker;
    config["data_parts"] = workers;
    config["job_worker"] = worker;
    config["job_workers"] = workers;
    config["data"] = kData;
    config["connect_timeout_ms"] = 10000;
    config["read_timeout_ms"] = 30000;
    const std::string path = dir_ + "/worker" + std::to_string(worker) + ".json";
    gaia::testing::WriteTextFile(path, config.dump());
    return path;
  }

  // gaia_lda as worker 0 of 1 with `flags`.
  ProcessResult RunOne(std::vector<std::string> flags) {
    std::vector<std::string> argv = {Bin("gaia_lda"), "--gaia-config=" + WriteConfig(0, 1),
                                     "--clocks=2", "--threads=1"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    return gaia::testing::RunProcess(argv, kTimeout);
  }

  std::vector<float> Table(uint32_t table_id) {
    absl::StatusOr<rpc::DumpReply> dump = shard_->core()->Dump(table_id);
    EXPECT_TRUE(dump.ok()) << dump.status();
    return dump.ok() ? common::Unpack<float>(dump->values()) : std::vector<float>();
  }

  std::string dir_;
  std::unique_ptr<server::ShardServer> shard_;
};

// The number of tokens of kData (gaia_lda_serial --json).
uint64_t Tokens() {
  ProcessResult serial = gaia::testing::RunProcess(
      {Bin("gaia_lda_serial"), std::string("--data=") + kData, "--topics=2", "--iterations=1",
       "--json"},
      kTimeout);
  EXPECT_EQ(serial.exit_code, 0) << serial.output;
  nlohmann::json j = nlohmann::json::parse(serial.output, nullptr, false);
  EXPECT_TRUE(j.is_object() && j.contains("tokens")) << serial.output;
  return j.is_object() ? j.value("tokens", uint64_t{0}) : 0;
}

TEST_F(LdaAppTest, TwoWorkersLeaveWholeCountsThatAddUpToTheCorpus) {
  const uint64_t tokens = Tokens();
  ASSERT_GT(tokens, 0u);
  constexpr uint32_t kWorkers = 2;
  StartShard(LdaTables(), kWorkers);
  std::vector<ProcessResult> runs(kWorkers);
  std::vector<std::thread> threads;
  for (uint32_t w = 0; w < kWorkers; ++w) {
    const std::string config = WriteConfig(w, kWorkers);
    threads.emplace_back([&runs, w, config] {
      runs[w] = gaia::testing::RunProcess(
          {Bin("gaia_lda"), "--gaia-config=" + config, "--clocks=5", "--threads=1",
           "--topics=" + std::to_string(kTopics), "--seed=" + std::to_string(w + 1)},
          kTimeout);
    });
  }
  for (std::thread& t : threads) t.join();
  for (uint32_t w = 0; w < kWorkers; ++w) {
    SCOPED_TRACE("worker " + std::to_string(w));
    ASSERT_FALSE(runs[w].timed_out) << runs[w].output;
    ASSERT_EQ(runs[w].exit_code, 0) << runs[w].output;
    EXPECT_THAT(runs[w].output, HasSubstr("clock 5/5 "));
  }

  const std::vector<float> words = Table(0);
  const std::vector<float> totals = Table(1);
  ASSERT_EQ(words.size(), kVocab * kTopics);
  ASSERT_EQ(totals.size(), kTopics);
  std::vector<double> columns(kTopics, 0);
  double word_sum = 0;
  for (size_t i = 0; i < words.size(); ++i) {
    ASSERT_EQ(words[i], std::nearbyint(words[i])) << "word_topic element " << i;
    ASSERT_GE(words[i], 0.0f) << "word_topic element " << i;
    columns[i % kTopics] += words[i];
    word_sum += words[i];
  }
  double totals_sum = 0;
  for (uint32_t k = 0; k < kTopics; ++k) {
    ASSERT_EQ(totals[k], std::nearbyint(totals[k])) << "topic " << k;
    EXPECT_EQ(columns[k], totals[k]) << "topic " << k;
    totals_sum += totals[k];
  }
  EXPECT_EQ(word_sum, static_cast<double>(tokens));
  EXPECT_EQ(totals_sum, static_cast<double>(tokens));
}

TEST_F(LdaAppTest, WordTableSmallerThanTheVocabularyExitsTwo) {
  StartShard({CountsTable("word_topic", kVocab - 1, kTopics),
              CountsTable("topic_totals", 1, kTopics)},
             1);
  const ProcessResult run = RunOne({"--topics=" + std::to_string(kTopics)});
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_THAT(run.output, AllOf(HasSubstr("'word_topic'"), HasSubstr("only 499 rows"),
                                HasSubstr("the vocabulary has 500 words")));
}

TEST_F(LdaAppTest, MissingTotalsTableExitsTwoNamingIt) {
  StartShard({CountsTable("word_topic", kVocab, kTopics)}, 1);
  const ProcessResult run = RunOne({"--topics=" + std::to_string(kTopics)});
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_THAT(run.output, HasSubstr("topic_totals"));

  // Another name for the table is taken from the flag.
  const ProcessResult named =
      RunOne({"--topics=" + std::to_string(kTopics), "--totals-table=totals_k"});
  EXPECT_EQ(named.exit_code, 2) << named.output;
  EXPECT_THAT(named.output, HasSubstr("totals_k"));
}

TEST_F(LdaAppTest, WidthOtherThanTopicsExitsTwo) {
  StartShard(LdaTables(), 1);
  const ProcessResult run = RunOne({"--topics=8"});
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_THAT(run.output, AllOf(HasSubstr("'word_topic' has width 10"), HasSubstr("--topics=8")));
}

TEST_F(LdaAppTest, FewerThanTwoTopicsExitsTwo) {
  StartShard(LdaTables(), 1);
  const ProcessResult run = RunOne({"--topics=1"});
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_THAT(run.output, HasSubstr("--topics"));
  const ProcessResult flag = RunOne({"--no-such-flag"});
  EXPECT_EQ(flag.exit_code, 2) << flag.output;
}

TEST_F(LdaAppTest, BadDataExitsTwoNamingTheSourceOrFileAndLine) {
  StartShard(LdaTables(), 1);
  const ProcessResult source =
      RunOne({"--topics=" + std::to_string(kTopics), "--data=nosuch:whatever"});
  EXPECT_EQ(source.exit_code, 2) << source.output;
  EXPECT_THAT(source.output, HasSubstr("unknown source 'nosuch'"));

  const std::string docword = dir_ + "/docword.bad.txt";
  gaia::testing::WriteTextFile(docword, "2\n3\n3\n1 1 2\n1 2 x\n2 3 1\n");
  gaia::testing::WriteTextFile(dir_ + "/vocab.bad.txt", "a\nb\nc\n");
  const ProcessResult uci =
      RunOne({"--topics=" + std::to_string(kTopics), "--data=uci:" + docword});
  EXPECT_EQ(uci.exit_code, 2) << uci.output;
  EXPECT_THAT(uci.output, HasSubstr(docword + ":5:"));

  const ProcessResult missing =
      RunOne({"--topics=" + std::to_string(kTopics), "--data=uci:" + dir_ + "/docword.no.txt"});
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_THAT(missing.output, AllOf(HasSubstr(".no.txt"), HasSubstr("no such file")));

  // Nothing reached the table.
  for (float v : Table(0)) ASSERT_EQ(v, 0.0f);
}

TEST_F(LdaAppTest, TableNotHoldingCountsFailsWithDataLossNamingTheElement) {
  // Not declared counts, initialized with fractions: the shard takes the
  // worker's pushes, and the worker refuses what it reads back.
  common::TableSpec words;
  words.name = "word_topic";
  words.rows = kVocab;
  words.width = kTopics;
  words.init = common::InitKind::kUniform;
  words.init_low = 0.25;
  words.init_high = 0.75;
  StartShard({words, CountsTable("topic_totals", 1, kTopics)}, 1);
  const ProcessResult run = RunOne({"--topics=" + std::to_string(kTopics)});
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output, AllOf(HasSubstr("table word_topic row "), HasSubstr(" column "),
                                HasSubstr("not a count"), HasSubstr("counts: true")));
}

// gaia_lda_serial's CLI: bad input exits 2; exported topics are read by
// gaia_lda_eval.
TEST(LdaSerialProgram, BadFlagsAndDataExitTwo) {
  const std::string dir = gaia::testing::MakeTempDir("gaia_lda_serial");
  const std::string data = std::string("--data=") + kData;
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::string docword = dir + "/docword.bad.txt";
  gaia::testing::WriteTextFile(docword, "2\n3\n3\n1 1 2\n1 2 x\n2 3 1\n");
  gaia::testing::WriteTextFile(dir + "/vocab.bad.txt", "a\nb\nc\n");
  const std::vector<Case> cases = {
      {{data, "--topics=1"}, "--topics"},
      {{data, "--alpha=0"}, "--alpha"},
      {{data, "--iterations=0"}, "--iterations"},
      {{data, "--sampler=fancy"}, "--sampler"},
      {{data, "--no-such-flag"}, "no-such-flag"},
      {{"--topics=4"}, "--data"},
      {{"--data=nosuch:x"}, "unknown source 'nosuch'"},
      {{"--data=synthetic:docs=10,bogus=1"}, "bogus"},
      {{"--data=uci:" + docword}, docword + ":5:"},
      {{data, "--test-data=uci:" + dir + "/docword.none.txt"}, "none.txt: no such file"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {Bin("gaia_lda_serial")};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    const ProcessResult run = gaia::testing::RunProcess(argv, kTimeout);
    SCOPED_TRACE(c.args.back());
    EXPECT_EQ(run.exit_code, 2) << run.output;
    EXPECT_THAT(run.output, HasSubstr(c.says));
  }
  fs::remove_all(dir);
}

TEST(LdaSerialProgram, ExportedTopicsAreScoredByTheEvaluator) {
  const std::string dir = gaia::testing::MakeTempDir("gaia_lda_serial_export");
  const std::string topics = dir + "/serial.topics";
  const ProcessResult train = gaia::testing::RunProcess(
      {Bin("gaia_lda_serial"), std::string("--data=") + kData,
       "--topics=" + std::to_string(kTopics), "--iterations=20", "--threads=1",
       "--export-topics=" + topics, "--json"},
      kTimeout);
  ASSERT_EQ(train.exit_code, 0) << train.output;
  nlohmann::json trained = nlohmann::json::parse(train.output, nullptr, false);
  ASSERT_TRUE(trained.is_object()) << train.output;
  EXPECT_EQ(trained["topics_file"], topics);
  ASSERT_TRUE(fs::exists(topics));

  const ProcessResult eval = gaia::testing::RunProcess(
      {Bin("gaia_lda_eval"), "--topics=" + topics, std::string("--corpus=") + kData}, kTimeout);
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  nlohmann::json scored = nlohmann::json::parse(eval.output, nullptr, false);
  ASSERT_TRUE(scored.is_object()) << eval.output;
  EXPECT_EQ(scored["topics"], kTopics);
  EXPECT_EQ(scored["vocab"], kVocab);
  ASSERT_TRUE(scored.contains("npmi_mean")) << eval.output;
  const double npmi = scored["npmi_mean"].get<double>();
  EXPECT_TRUE(std::isfinite(npmi));
  EXPECT_GE(npmi, -1.0);
  EXPECT_LE(npmi, 1.0);
  ASSERT_EQ(scored["npmi_per_topic"].size(), kTopics);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace gaia::lda
