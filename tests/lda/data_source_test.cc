// LoadCorpus: the spec grammar and its errors, and the split properties
// every source shares (train/test, DCs, worker parts, one vocabulary).
#include "apps/lda/data_source.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "apps/lda/load_stats.h"
#include "tests/testing/subprocess.h"

namespace gaia::lda {
namespace {

using ::testing::HasSubstr;

// Documents as strings of words, so that documents from different loads
// compare (the synthetic ones are distinct with near certainty).
std::multiset<std::string> DocKeys(const Corpus& c) {
  std::multiset<std::string> out;
  for (size_t d = 0; d < c.num_docs(); ++d) {
    std::string key;
    for (uint32_t w : c.doc(d)) absl::StrAppend(&key, c.vocab[w], " ");
    out.insert(key);
  }
  return out;
}

std::multiset<std::string> Union(const std::vector<std::multiset<std::string>>& sets) {
  std::multiset<std::string> all;
  for (const auto& s : sets) all.insert(s.begin(), s.end());
  return all;
}

bool Disjoint(const std::multiset<std::string>& a, const std::multiset<std::string>& b) {
  for (const std::string& k : a) {
    if (b.count(k) > 0) return false;
  }
  return true;
}

std::string Message(const std::string& spec, uint32_t part = 0, uint32_t parts = 1) {
  absl::StatusOr<Corpus> c = LoadCorpus(spec, part, parts);
  return c.ok() ? "OK" : std::string(c.status().message());
}

TEST(DataSpec, ErrorsNameTheKey) {
  EXPECT_THAT(Message("synthetic:docs=10,colour=red"), HasSubstr("unknown key 'colour'"));
  EXPECT_THAT(Message("synthetic:docs=ten"), HasSubstr("docs=ten: expected a non-negative"));
  EXPECT_THAT(Message("synthetic:docs=10,dc=2,dcs=2"), HasSubstr("dc=2 must be less than dcs=2"));
  EXPECT_THAT(Message("synthetic:docs=10,test=1"), HasSubstr("test=1: must be in [0, 1)"));
  EXPECT_THAT(Message("synthetic:docs=10,test=-0.1"), HasSubstr("test=-0.1"));
  EXPECT_THAT(Message("synthetic:docs=10,split=dev"), HasSubstr("split=dev: expected one of"));
  EXPECT_THAT(Message("synthetic:docs=10,dcsplit=x"), HasSubstr("dcsplit=x"));
  EXPECT_THAT(Message("synthetic:docs=10,split=test"), HasSubstr("split=test needs test="));
  EXPECT_THAT(Message("synthetic:docs=10,docs=20"), HasSubstr("'docs' given twice"));
  EXPECT_THAT(Message("synthetic:docs"), HasSubstr("'docs' is not key=value"));
  EXPECT_THAT(Message("synthetic:docs=10", 2, 2), HasSubstr("part 2 of 2"));
  EXPECT_THAT(Message("nosuch:x"), HasSubstr("unknown source 'nosuch'"));
  EXPECT_THAT(Message("uci:"), HasSubstr("names no file"));
  EXPECT_THAT(Message("text:/x,min_count=0"), HasSubstr("min_count=0: must be in [1"));
  EXPECT_THAT(Message("text:/x,max_df=1.5"), HasSubstr("max_df=1.5"));
  EXPECT_THAT(Message("text:/x,stopwords=/no/such/file"), HasSubstr("stopwords=/no/such/file"));
  EXPECT_THAT(Message("brown,min_len=0"), HasSubstr("min_len=0"));
  EXPECT_THAT(Message("synthetic:skew=2"), HasSubstr("skew=2"));
  EXPECT_THAT(Message("synthetic:topics=2,dcs=3,skew=0.5"), HasSubstr("skew"));
}

constexpr char kSynth[] = "synthetic:docs=600,vocab=200,topics=5,doc_length=20";

TEST(DataSplit, TrainAndTestAreDisjointAndCoverTheCorpus) {
  const std::string all = absl::StrCat(kSynth, ",seed=3");
  const auto whole = DocKeys(*LoadCorpus(all, 0, 1));
  const auto train = DocKeys(*LoadCorpus(all + ",test=0.25", 0, 1));
  const auto test = DocKeys(*LoadCorpus(all + ",test=0.25,split=test", 0, 1));
  EXPECT_TRUE(Disjoint(train, test));
  EXPECT_EQ(Union({train, test}), whole);
  EXPECT_NEAR(static_cast<double>(test.size()) / whole.size(), 0.25, 0.06);
}

TEST(DataSplit, DcSharesAndPartsAreDisjointAndCover) {
  for (const char* how : {"hash", "contiguous"}) {
    const std::string base = absl::StrCat(kSynth, ",test=0.2,dcsplit=", how);
    const auto whole = DocKeys(*LoadCorpus(base, 0, 1));
    std::vector<std::multiset<std::string>> dcs, parts_all;
    for (int dc = 0; dc < 3; ++dc) {
      const std::string spec = absl::StrCat(base, ",dc=", dc, ",dcs=3");
      const auto share = DocKeys(*LoadCorpus(spec, 0, 1));
      std::vector<std::multiset<std::string>> parts;
      for (uint32_t p = 0; p < 4; ++p) parts.push_back(DocKeys(*LoadCorpus(spec, p, 4)));
      for (size_t a = 0; a < parts.size(); ++a) {
        for (size_t b = a + 1; b < parts.size(); ++b) EXPECT_TRUE(Disjoint(parts[a], parts[b]));
        EXPECT_NEAR(parts[a].size(), share.size() / 4.0, 1.0) << how;  // balanced
      }
      EXPECT_EQ(Union(parts), share) << how;
      for (const auto& d : dcs) EXPECT_TRUE(Disjoint(d, share)) << how;
      dcs.push_back(share);
    }
    EXPECT_EQ(Union(dcs), whole) << how;
  }
}

TEST(DataSplit, HeldOutDocumentsAreTheSameInEveryDcAndPart) {
  const std::string base = absl::StrCat(kSynth, ",test=0.3,seed=9,split=test");
  const auto test_whole = DocKeys(*LoadCorpus(base, 0, 1));
  std::vector<std::multiset<std::string>> pieces;
  for (int dc = 0; dc < 2; ++dc) {
    for (uint32_t p = 0; p < 3; ++p) {
      pieces.push_back(DocKeys(*LoadCorpus(absl::StrCat(base, ",dc=", dc, ",dcs=2"), p, 3)));
    }
  }
  EXPECT_EQ(Union(pieces), test_whole);
}

TEST(DataSplit, ContiguousGivesEqualRangesInCorpusOrder) {
  const std::string dir = testing::MakeTempDir("split");
  std::string lines;
  for (int i = 0; i < 12; ++i) absl::StrAppend(&lines, "word", std::string(1, 'a' + i), "\n");
  testing::WriteTextFile(dir + "/docs.txt", lines);
  const std::string base = "text:" + dir + "/docs.txt,min_count=1,max_df=1,dcsplit=contiguous";
  absl::StatusOr<Corpus> dc1 = LoadCorpus(base + ",dc=1,dcs=3", 0, 1);
  ASSERT_TRUE(dc1.ok()) << dc1.status();
  std::vector<std::string> got;
  for (size_t d = 0; d < dc1->num_docs(); ++d) got.push_back(dc1->vocab[dc1->doc(d)[0]]);
  EXPECT_THAT(got, ::testing::ElementsAre("worde", "wordf", "wordg", "wordh"));
}

TEST(DataSplit, VocabularyIsTheSameInEveryDcPartAndSplit) {
  const std::string dir = testing::MakeTempDir("vocab");
  std::string lines;
  for (int i = 0; i < 200; ++i) {
    absl::StrAppend(&lines, "alpha", i % 7 == 0 ? " beta" : "", i % 3 == 0 ? " gamma" : "",
                    " delta", std::string(1, 'a' + i % 26), "\n");
  }
  testing::WriteTextFile(dir + "/docs.txt", lines);
  const std::string base = "text:" + dir + "/docs.txt,min_count=2,max_df=0.9,test=0.2";
  absl::StatusOr<Corpus> first = LoadCorpus(base, 0, 1);
  ASSERT_TRUE(first.ok()) << first.status();
  for (const char* split : {"train", "test"}) {
    for (int dc = 0; dc < 2; ++dc) {
      for (uint32_t p = 0; p < 3; ++p) {
        absl::StatusOr<Corpus> c =
            LoadCorpus(absl::StrCat(base, ",split=", split, ",dc=", dc, ",dcs=2"), p, 3);
        ASSERT_TRUE(c.ok()) << c.status();
        EXPECT_EQ(c->vocab, first->vocab);
      }
    }
  }
  EXPECT_EQ(first->vocab.size(), 28u);  // beta, gamma, delta[a-z]; alpha is in > 90%
}

TEST(DataSplit, NoDocumentIsEmpty) {
  absl::StatusOr<LoadedCorpus> c = LoadCorpusWithStats(kSynth, 0, 1);
  ASSERT_TRUE(c.ok());
  for (size_t d = 0; d < c->corpus.num_docs(); ++d) EXPECT_FALSE(c->corpus.doc(d).empty());
  EXPECT_EQ(c->stats.corpus_docs, 600u);
  EXPECT_EQ(c->stats.corpus_tokens, c->corpus.num_tokens());
  EXPECT_THAT(FormatLoadStats(c->stats), HasSubstr("600 documents"));
}

}  // namespace
}  // namespace gaia::lda
