// The UCI bag-of-words loader: exact documents and vocabulary, pruning, and
// the file:line error for each kind of corrupt input.
#include "apps/lda/uci_loader.h"

#include <algorithm>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/subprocess.h"

namespace gaia::lda {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Each document as its words (sorted, as a bag).
std::vector<std::vector<std::string>> Words(const Corpus& c) {
  std::vector<std::vector<std::string>> out;
  for (size_t d = 0; d < c.num_docs(); ++d) {
    std::vector<std::string> doc;
    for (uint32_t w : c.doc(d)) doc.push_back(c.vocab.at(w));
    std::sort(doc.begin(), doc.end());
    out.push_back(doc);
  }
  return out;
}

struct UciFiles {
  std::string docword;
  std::string vocab;
};

UciFiles Write(const std::string& docword, const std::string& vocab) {
  const std::string dir = testing::MakeTempDir("uci");
  UciFiles f{dir + "/docword.t.txt", dir + "/vocab.t.txt"};
  testing::WriteTextFile(f.docword, docword);
  testing::WriteTextFile(f.vocab, vocab);
  return f;
}

// 4 documents (doc 3 empty), 4 words ("plum" never used).
constexpr char kDocword[] = "4\n4\n5\n1 1 2\n1 2 1\n2 2 3\n4 1 1\n4 4 1\n";
constexpr char kVocab[] = "apple\npear\nplum\nfig\n";

TEST(UciLoader, LoadsExactDocumentsAndSkipsEmptyOnes) {
  const UciFiles f = Write(kDocword, kVocab);
  absl::StatusOr<LoadedCorpus> c = LoadUci(f.docword, UciOptions{});
  ASSERT_TRUE(c.ok()) << c.status();
  // By count descending then word; plum (count 0) is not in the vocabulary.
  EXPECT_THAT(c->corpus.vocab, ElementsAre("pear", "apple", "fig"));
  EXPECT_THAT(Words(c->corpus),
              ElementsAre(ElementsAre("apple", "apple", "pear"),
                          ElementsAre("pear", "pear", "pear"),
                          ElementsAre("apple", "fig")));
  EXPECT_EQ(c->stats.source_docs, 4u);
  EXPECT_EQ(c->stats.empty_docs, 1u);
  EXPECT_EQ(c->stats.corpus_docs, 3u);
  EXPECT_EQ(c->stats.corpus_tokens, 8u);
  EXPECT_EQ(c->stats.source_words, 3u);
}

TEST(UciLoader, PruningDropsWordsAndCountsEmptiedDocuments) {
  const UciFiles f = Write(kDocword, kVocab);
  UciOptions o;
  o.vocab.min_count = 3;  // apple 3, pear 4, fig 1
  o.vocab.max_vocab = 1;  // then only pear
  absl::StatusOr<LoadedCorpus> c = LoadUci(f.docword, o);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(c->corpus.vocab, ElementsAre("pear"));
  EXPECT_THAT(Words(c->corpus),
              ElementsAre(ElementsAre("pear"), ElementsAre("pear", "pear", "pear")));
  EXPECT_EQ(c->stats.pruned_docs, 1u);  // doc 4 had apple and fig only
}

TEST(UciLoader, VocabIsBesideDocword) {
  absl::StatusOr<std::string> p = UciVocabPath("/d/docword.nytimes.txt");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, "/d/vocab.nytimes.txt");
  EXPECT_FALSE(UciVocabPath("/d/words.txt").ok());
}

struct BadCase {
  const char* docword;
  const char* vocab;
  const char* where;  // "docword:LINE" or "vocab:LINE"
  const char* why;
};

TEST(UciLoader, CorruptInputsAreErrorsNamingFileAndLine) {
  const std::vector<BadCase> cases = {
      {"x\n4\n1\n1 1 1\n", kVocab, "docword:1", "bad header"},
      {"0\n4\n1\n1 1 1\n", kVocab, "docword:1", "D (documents) is 0"},
      {"2\n4\n", kVocab, "docword:2", "ends before the header's NNZ"},
      {"2\n3\n1\n1 1 1\n", kVocab, "vocab:4", "has 4 words but"},
      {"2\n4\n1\n3 1 1\n", kVocab, "docword:4", "docID '3' is not in [1, D=2]"},
      {"2\n4\n1\n0 1 1\n", kVocab, "docword:4", "docID '0'"},
      {"2\n4\n1\n1 5 1\n", kVocab, "docword:4", "wordID '5' is not in [1, W=4]"},
      {"2\n4\n1\n1 1 0\n", kVocab, "docword:4", "count '0' is not in [1,"},
      {"2\n4\n1\n1 1 -2\n", kVocab, "docword:4", "count '-2'"},
      {"2\n4\n1\n1 1\n", kVocab, "docword:4", "got 2 fields"},
      {"2\n4\n1\n1 1 1 1\n", kVocab, "docword:4", "more than 3 fields"},
      {"2\n4\n3\n1 1 1\n2 1 1\n", kVocab, "docword:5", "file ends after 2 entries"},
      {"2\n4\n1\n1 1 1\n2 2 2\n", kVocab, "docword:5", "more entries than the header's NNZ=1"},
      {"2\n4\n2\n2 1 1\n1 1 1\n", kVocab, "docword:5", "must be sorted by docID"},
      {"2\n4\n0\n", kVocab, "docword", "no entries"},
      {"2\n4\n1\n1 1 1\n", "apple\n\npear\nfig\n", "vocab:2", "empty line"},
  };
  for (const BadCase& c : cases) {
    const UciFiles f = Write(c.docword, c.vocab);
    absl::StatusOr<LoadedCorpus> got = LoadUci(f.docword, UciOptions{});
    ASSERT_FALSE(got.ok()) << c.docword;
    const std::string spot = c.where;
    const size_t colon = spot.find(':');
    const std::string file = spot[0] == 'd' ? f.docword : f.vocab;
    const std::string where = colon == std::string::npos ? file : file + spot.substr(colon);
    EXPECT_THAT(std::string(got.status().message()), HasSubstr(where)) << c.docword;
    EXPECT_THAT(std::string(got.status().message()), HasSubstr(c.why)) << c.docword;
  }
}

TEST(UciLoader, MissingFilesAreNotFound) {
  const std::string dir = testing::MakeTempDir("uci");
  absl::StatusOr<LoadedCorpus> got = LoadUci(dir + "/docword.none.txt", UciOptions{});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(got.status().message()), HasSubstr("vocab.none.txt"));
}

TEST(UciLoader, CrlfAndBlankLinesAreAccepted) {
  const UciFiles f = Write("2\r\n2\r\n2\r\n1 1 1\r\n\r\n2 2 1\r\n", "a\r\nb\r\n");
  absl::StatusOr<LoadedCorpus> c = LoadUci(f.docword, UciOptions{});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(c->corpus.vocab, ElementsAre("a", "b"));
  EXPECT_EQ(c->corpus.num_docs(), 2u);
}

}  // namespace
}  // namespace gaia::lda
