#include "apps/lda/topic_matrix.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/subprocess.h"

namespace gaia::lda {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::gaia::testing::MakeTempDir;
using ::gaia::testing::ReadTextFile;
using ::gaia::testing::WriteTextFile;

TopicWordMatrix TwoByThree() {
  TopicWordMatrix m;
  m.topics = 2;
  m.vocab = {"apple", "pear", "plum"};
  m.phi = {0.5, 0.25, 0.25, 0.1, 0.2, 0.7};
  return m;
}

TEST(TopicMatrix, CountsAreSmoothedWithBeta) {
  // V = 3 words x K = 2 topics, as the word-topic table holds them.
  const std::vector<int32_t> counts = {3, 0,   // apple
                                       1, 0,   // pear
                                       0, 2};  // plum
  absl::StatusOr<TopicWordMatrix> m =
      TopicsFromWordTopicCounts(std::span<const int32_t>(counts), 2, 0.5, {"a", "b", "c"});
  ASSERT_TRUE(m.ok()) << m.status();
  // Topic 0: n_0 = 4, denominators 4 + 3 * 0.5 = 5.5.
  EXPECT_DOUBLE_EQ(m->topic(0)[0], 3.5 / 5.5);
  EXPECT_DOUBLE_EQ(m->topic(0)[1], 1.5 / 5.5);
  EXPECT_DOUBLE_EQ(m->topic(0)[2], 0.5 / 5.5);
  // Topic 1: n_1 = 2, denominator 3.5.
  EXPECT_DOUBLE_EQ(m->topic(1)[0], 0.5 / 3.5);
  EXPECT_DOUBLE_EQ(m->topic(1)[2], 2.5 / 3.5);
  EXPECT_TRUE(ValidateTopicMatrix(*m).ok());
}

TEST(TopicMatrix, NegativeOrWrongSizedCountsAreErrors) {
  const std::vector<float> negative = {1, -1, 0, 2};
  absl::StatusOr<TopicWordMatrix> m =
      TopicsFromWordTopicCounts(std::span<const float>(negative), 2, 0.1, {"a", "b"});
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(), HasSubstr("word 0 topic 1"));
  const std::vector<float> three = {1, 2, 3};
  EXPECT_FALSE(TopicsFromWordTopicCounts(std::span<const float>(three), 2, 0.1, {"a", "b"}).ok());
  EXPECT_FALSE(TopicsFromWordTopicCounts(std::span<const float>(three), 3, 0.0, {"a"}).ok());
}

TEST(TopicMatrix, WriteThenReadRoundTrips) {
  const std::string path = MakeTempDir("topic_matrix") + "/m.topics";
  const TopicWordMatrix m = TwoByThree();
  ASSERT_TRUE(WriteTopicMatrix(m, path).ok());
  EXPECT_EQ(ReadTextFile(path), "2 3\n0.5 0.25 0.25\n0.1 0.2 0.7\n");
  EXPECT_EQ(ReadTextFile(path + ".vocab"), "apple\npear\nplum\n");
  absl::StatusOr<TopicWordMatrix> back = ReadTopicMatrix(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->topics, 2u);
  EXPECT_EQ(back->vocab, m.vocab);
  for (size_t i = 0; i < m.phi.size(); ++i) EXPECT_NEAR(back->phi[i], m.phi[i], 1e-12);
}

TEST(TopicMatrix, ReadWithoutVocabNamesWordsByIdAndRenormalizes) {
  const std::string path = MakeTempDir("topic_matrix") + "/m.topics";
  WriteTextFile(path, "1 2\n0.2500001\t0.75\n\n");
  absl::StatusOr<TopicWordMatrix> m = ReadTopicMatrix(path);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->vocab, (std::vector<std::string>{"#0", "#1"}));
  EXPECT_NEAR(m->phi[0] + m->phi[1], 1.0, 1e-15);
  EXPECT_TRUE(CheckVocabulary(m->vocab, {"x", "y", "z"}, "corpus").ok());
}

struct Corrupt {
  std::string text;
  std::string error;  // expected in the message (names the line)
};

TEST(TopicMatrix, CorruptFilesAreErrorsWithTheirLine) {
  const std::vector<Corrupt> cases = {
      {"", ":1: empty file"},
      {"2\n", ":1: header"},
      {"2 x\n", ":1: header"},
      {"0 3\n", ":1: header"},
      {"1 2\n0.5 0.5\n0.5 0.5\n", ":3: text after the 1 topic rows"},
      {"2 2\n0.5 0.5\n", ":3: the file ends after 1 of 2"},
      {"1 3\n0.5 0.5\n", ":2: 2 values, expected 3"},
      {"1 2\n0.5 0.5 0\n", ":2: more than 2 values"},
      {"1 2\n0.5 abc\n", ":2: field 2 'abc'"},
      {"1 2\n1.5 -0.5\n", ":2: field 2 '-0.5'"},
      {"1 2\nnan 1\n", ":2: field 1 'nan'"},
      {"2 2\n0.5 0.5\n0.3 0.3\n", ":3: the row sums to 0.6"},
  };
  const std::string dir = MakeTempDir("topic_matrix");
  for (const Corrupt& c : cases) {
    const std::string path = dir + "/bad.topics";
    WriteTextFile(path, c.text);
    absl::StatusOr<TopicWordMatrix> m = ReadTopicMatrix(path);
    ASSERT_FALSE(m.ok()) << c.text;
    EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_THAT(m.status().message(), HasSubstr(path + c.error)) << c.text;
  }
}

TEST(TopicMatrix, CorruptVocabFilesAreErrorsWithTheirLine) {
  const std::string path = MakeTempDir("topic_matrix") + "/m.topics";
  WriteTextFile(path, "1 2\n0.5 0.5\n");
  WriteTextFile(path + ".vocab", "a\n\n");
  absl::StatusOr<TopicWordMatrix> m = ReadTopicMatrix(path);
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(), HasSubstr(path + ".vocab:2: a word must be non-empty"));
  WriteTextFile(path + ".vocab", "a\nb\nc\n");
  m = ReadTopicMatrix(path);
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(), HasSubstr(".vocab:3: more than 2 words"));
  WriteTextFile(path + ".vocab", "a\n");
  EXPECT_THAT(ReadTopicMatrix(path).status().message(), HasSubstr("1 words, the topic file"));
  EXPECT_EQ(ReadTopicMatrix(path + ".missing").status().code(), absl::StatusCode::kNotFound);
}

TEST(TopicMatrix, InvalidMatrixWritesNothing) {
  const std::string dir = MakeTempDir("topic_matrix");
  TopicWordMatrix m = TwoByThree();
  m.phi[0] = 0.9;  // topic 0 sums to 1.4
  absl::Status s = WriteTopicMatrix(m, dir + "/m.topics");
  EXPECT_THAT(s.message(), HasSubstr("topic 0 sums to 1.4"));
  m = TwoByThree();
  m.vocab[1] = "two\twords";
  EXPECT_FALSE(WriteTopicMatrix(m, dir + "/m.topics").ok());
  EXPECT_TRUE(fs::is_empty(dir));
}

// Writes a saved table the way `gaia launch` does (model_io.cc).
void SaveTable(const std::string& dir, const std::string& name, uint64_t rows, uint32_t width,
               const std::vector<float>& values, bool corrupt_sum = false) {
  std::ofstream(dir + "/" + name + ".f32", std::ios::binary)
      .write(reinterpret_cast<const char*>(values.data()),
             static_cast<std::streamsize>(values.size() * sizeof(float)));
  uint64_t sum = Fnv1a64(values.data(), values.size() * sizeof(float));
  if (corrupt_sum) sum ^= 1;
  WriteTextFile(dir + "/" + name + ".json",
                absl::StrFormat("{\"table\": \"%s\", \"dc\": \"global\", \"rows\": %d, "
                                "\"width\": %d, \"fnv1a64\": \"%016x\"}\n",
                                name, rows, width, sum));
}

TEST(TopicMatrix, SavedModelIsReadAndChecked) {
  const std::string dir = MakeTempDir("saved_model");
  SaveTable(dir, "word_topic", 3, 2, {3, 0, 1, 0, 0, 2});
  absl::StatusOr<TopicWordMatrix> m = TopicsFromSavedModel(dir, 0.5, {"a", "b", "c"});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_DOUBLE_EQ(m->topic(0)[0], 3.5 / 5.5);
  EXPECT_DOUBLE_EQ(m->topic(1)[2], 2.5 / 3.5);

  absl::StatusOr<TopicWordMatrix> wrong_vocab = TopicsFromSavedModel(dir, 0.5, {"a", "b"});
  EXPECT_THAT(wrong_vocab.status().message(),
              HasSubstr("the table has 3 rows but the corpus vocabulary has 2 words"));

  SaveTable(dir, "word_topic", 3, 2, {3, 0, 1, 0, 0, 2}, /*corrupt_sum=*/true);
  EXPECT_EQ(TopicsFromSavedModel(dir, 0.5, {"a", "b", "c"}).status().code(),
            absl::StatusCode::kDataLoss);
  SaveTable(dir, "word_topic", 4, 2, {3, 0, 1, 0, 0, 2});
  EXPECT_THAT(ReadSavedTable(dir, "word_topic").status().message(),
              HasSubstr("24 bytes"));
  WriteTextFile(dir + "/word_topic.json", "{\"table\": \"word_topic\", \"rows\": 3}");
  EXPECT_THAT(ReadSavedTable(dir, "word_topic").status().message(),
              HasSubstr("field \"width\""));
  WriteTextFile(dir + "/word_topic.json", "{not json");
  EXPECT_THAT(ReadSavedTable(dir, "word_topic").status().message(),
              HasSubstr("not a JSON object"));
  EXPECT_EQ(ReadSavedTable(dir, "totals").status().code(), absl::StatusCode::kNotFound);
}

TEST(TopicMatrix, VocabularyMismatchNamesTheFirstDifferentWord) {
  const std::vector<std::string> model = {"a", "b", "c"};
  EXPECT_TRUE(CheckVocabulary(model, {"a", "b", "c"}, "test data").ok());
  EXPECT_TRUE(CheckVocabulary(model, {"a", "b", "c", "d"}, "test data").ok());
  absl::Status s = CheckVocabulary(model, {"a", "x", "c"}, "test data");
  EXPECT_THAT(s.message(), HasSubstr("test data: vocabulary mismatch at word id 1"));
  s = CheckVocabulary(model, {"a", "b"}, "corpus");
  EXPECT_THAT(s.message(), HasSubstr("the corpus has 2 words, the model 3"));
}

}  // namespace
}  // namespace gaia::lda
