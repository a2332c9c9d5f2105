// Plain text: the tokenizer, stop words, vocabulary pruning, the directory
// and line sources, and the mail and Brown text clean-up.
#include "apps/lda/text_corpus.h"

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "apps/lda/mail_text.h"
#include "apps/lda/named_corpora.h"
#include "tests/testing/subprocess.h"

namespace gaia::lda {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<std::string> Tokens(absl::string_view text, const TextOptions& o) {
  std::vector<std::string> out;
  Tokenize(text, o, [&](absl::string_view t) { out.emplace_back(t); });
  return out;
}

std::vector<std::vector<std::string>> Words(const Corpus& c) {
  std::vector<std::vector<std::string>> out;
  for (size_t d = 0; d < c.num_docs(); ++d) {
    std::vector<std::string> doc;
    for (uint32_t w : c.doc(d)) doc.push_back(c.vocab.at(w));
    out.push_back(doc);
  }
  return out;
}

TextOptions NoPruning() {
  TextOptions o;
  o.vocab = VocabOptions{.min_count = 1, .max_df = 1, .max_vocab = 0};
  return o;
}

TEST(Tokenizer, LowercasesLettersAndSplitsAtEverythingElse) {
  TextOptions o;
  o.stop_words = StopWords();
  EXPECT_THAT(Tokens("Hello, WORLD! e-mail x2y2 Caf\xc3\xa9 don't cat's 42abc", o),
              ElementsAre("hello", "world", "mail", "caf", "don", "cat", "abc"));
}

TEST(Tokenizer, DropsShortLongAndStopWords) {
  TextOptions o;  // min_len 3, English stop words
  const std::string long_run(kMaxTokenLength + 1, 'q');
  EXPECT_THAT(Tokens("The cat and I sat in " + long_run + " rain, didn't they", o),
              ElementsAre("cat", "sat", "rain"));
  o.min_len = 1;
  o.stop_words = StopWords();
  EXPECT_THAT(Tokens("I a b", o), ElementsAre("i", "a", "b"));
}

TEST(StopWords, EnglishListIsSizedAndFileListsLoad) {
  const StopWords english = EnglishStopWords();
  EXPECT_GE(english.size(), 300u);
  for (const char* w : {"the", "and", "of", "which", "would", "don"}) {
    EXPECT_TRUE(english.Contains(w)) << w;
  }
  EXPECT_FALSE(english.Contains("election"));
  const std::string dir = testing::MakeTempDir("stop");
  testing::WriteTextFile(dir + "/stop.txt", "# mine\nApple\n\n  pear \n");
  absl::StatusOr<StopWords> mine = LoadStopWords(dir + "/stop.txt");
  ASSERT_TRUE(mine.ok()) << mine.status();
  EXPECT_EQ(mine->size(), 2u);
  EXPECT_TRUE(mine->Contains("apple"));
  EXPECT_TRUE(mine->Contains("pear"));
  EXPECT_EQ(LoadStopWords("none")->size(), 0u);
  EXPECT_EQ(LoadStopWords(dir + "/missing").status().code(), absl::StatusCode::kNotFound);
}

TEST(TextCorpusBuilder, PrunesByCountAndDocumentFrequencyAndCountsDroppedDocs) {
  TextOptions o;
  o.vocab = VocabOptions{.min_count = 2, .max_df = 0.5, .max_vocab = 0};
  TextCorpusBuilder b(o);
  b.AddDocument("apple pear apple common");  // 0
  b.AddDocument("the of and");               // 1: stop words only: empty
  b.AddDocument("pear plum common");         // 2
  b.AddDocument("kiwi common");              // 3: kiwi once -> pruned; common too frequent
  b.AddDocument("apple common fig");         // 4
  absl::StatusOr<LoadedCorpus> c = b.Finish("test", SplitOptions{}, 0, 1);
  ASSERT_TRUE(c.ok()) << c.status();
  // common is in 4 of 4 documents with tokens (> 0.5): dropped; plum, kiwi,
  // fig occur once (< min_count): dropped. apple 3, pear 2.
  EXPECT_THAT(c->corpus.vocab, ElementsAre("apple", "pear"));
  EXPECT_THAT(Words(c->corpus), ElementsAre(ElementsAre("apple", "pear", "apple"),
                                            ElementsAre("pear"), ElementsAre("apple")));
  EXPECT_EQ(c->stats.source_docs, 5u);
  EXPECT_EQ(c->stats.empty_docs, 1u);
  EXPECT_EQ(c->stats.pruned_docs, 1u);
  EXPECT_EQ(c->stats.corpus_docs, 3u);
  EXPECT_EQ(c->stats.corpus_tokens, 5u);
  EXPECT_EQ(c->stats.source_words, 6u);
}

TEST(TextCorpusBuilder, MaxVocabKeepsMostFrequentThenAlphabetical) {
  TextOptions o = NoPruning();
  o.vocab.max_vocab = 2;
  TextCorpusBuilder b(o);
  b.AddDocument("zeta zeta beta alpha gamma");
  b.AddDocument("gamma");
  absl::StatusOr<LoadedCorpus> c = b.Finish("test", SplitOptions{}, 0, 1);
  ASSERT_TRUE(c.ok());
  EXPECT_THAT(c->corpus.vocab, ElementsAre("gamma", "zeta"));
}

TEST(TextCorpusBuilder, NothingLeftIsAnError) {
  TextCorpusBuilder b(TextOptions{});
  b.AddDocument("apple pear");
  absl::StatusOr<LoadedCorpus> c = b.Finish("mycorpus", SplitOptions{}, 0, 1);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("mycorpus: no word left"));
  TextCorpusBuilder empty(TextOptions{});
  empty.AddDocument("the of 123");
  EXPECT_THAT(std::string(empty.Finish("e", SplitOptions{}, 0, 1).status().message()),
              HasSubstr("no tokens"));
}

TEST(LoadTextPath, DirectoryIsOneDocumentPerFileRecursiveInSortedOrder) {
  const std::string dir = testing::MakeTempDir("text");
  testing::WriteTextFile(dir + "/b.txt", "banana banana");
  testing::WriteTextFile(dir + "/a.txt", "apple");
  std::filesystem::create_directories(dir + "/c/sub");
  testing::WriteTextFile(dir + "/c/sub/x", "cherry");
  testing::WriteTextFile(dir + "/.hidden", "secret");
  absl::StatusOr<LoadedCorpus> c = LoadTextPath(dir, NoPruning(), SplitOptions{}, 0, 1);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(Words(c->corpus), ElementsAre(ElementsAre("apple"),
                                            ElementsAre("banana", "banana"),
                                            ElementsAre("cherry")));
}

TEST(LoadTextPath, FileIsOneDocumentPerLine) {
  const std::string dir = testing::MakeTempDir("text");
  testing::WriteTextFile(dir + "/docs.txt", "red green\n\nblue red\r\nred");
  absl::StatusOr<LoadedCorpus> c = LoadTextPath(dir + "/docs.txt", NoPruning(), SplitOptions{},
                                                0, 1);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(c->corpus.vocab, ElementsAre("red", "blue", "green"));
  EXPECT_THAT(Words(c->corpus), ElementsAre(ElementsAre("red", "green"),
                                            ElementsAre("blue", "red"), ElementsAre("red")));
  EXPECT_EQ(c->stats.empty_docs, 1u);
  EXPECT_EQ(LoadTextPath(dir + "/nope", NoPruning(), SplitOptions{}, 0, 1).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(MailText, KeepsSubjectAndBodyWithoutHeaders) {
  const std::string mail =
      "From: someone@example.com\nSubject: Cheap\n  watches\nX-Spam: yes\n\nBody text here.\n";
  EXPECT_EQ(MailToText(mail), "Cheap watches\nBody text here.\n");
}

TEST(MailText, DecodesPartsAndStripsHtml) {
  const std::string mail =
      "Subject: hi\nContent-Type: multipart/alternative; boundary=\"XX\"\n\npreamble\n"
      "--XX\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n"
      "soft=\nbreak caf=E9\n"
      "--XX\nContent-Type: text/html\nContent-Transfer-Encoding: base64\n\n"
      "PGI+Ym9sZDwvYj48c3R5bGU+cHtjb2xvcjpyZWR9PC9zdHlsZT4mYW1wO3dvcmQ=\n"
      "--XX\nContent-Type: image/gif\n\nR0lGODlh\n--XX--\n";
  TextOptions o;
  o.stop_words = StopWords();
  EXPECT_THAT(Tokens(MailToText(mail), o), ElementsAre("softbreak", "caf", "bold", "word"));
}

TEST(MailText, StripsTagsCommentsScriptsAndEntities) {
  EXPECT_EQ(StripHtml("a<b>c</b><!-- x -->d<script>var x;</script>e&nbsp;f"),
            "a c  d e f");
  EXPECT_EQ(DecodeBase64("aGVsbG8="), "hello");
}

TEST(BrownText, TagsAreStripped) {
  EXPECT_EQ(StripBrownTags("\tThe/at Fulton/np-tl term-end/nn ./.\n"),
            " The Fulton term-end . ");
}

}  // namespace
}  // namespace gaia::lda
