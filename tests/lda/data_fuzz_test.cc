// Robustness of the corpus loaders: seeded random corruptions of valid UCI
// and text files. Every load returns either a corpus that keeps the Corpus
// contract (ids < vocab size, no empty document) or an error naming the
// file; nothing may crash, hang or allocate without bound.
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "apps/lda/data_source.h"
#include "apps/lda/mail_text.h"
#include "tests/testing/subprocess.h"

namespace gaia::lda {
namespace {

std::string Mutate(std::string text, std::mt19937_64& rng) {
  static const char kAlphabet[] = "0123456789 \t\n\r-+.xyzAB'<>&=:\x01\xff";
  const int edits = 1 + static_cast<int>(rng() % 6);
  for (int e = 0; e < edits && !text.empty(); ++e) {
    const size_t pos = rng() % text.size();
    const char c = kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
    switch (rng() % 5) {
      case 0: text[pos] = c; break;
      case 1: text.erase(pos, 1 + rng() % 8); break;
      case 2: text.insert(pos, 1, c); break;
      case 3: text.insert(pos, text.substr(rng() % text.size(), 1 + rng() % 16)); break;
      case 4: text.resize(pos); break;
    }
  }
  return text;
}

void CheckCorpus(const Corpus& c) {
  for (size_t d = 0; d < c.num_docs(); ++d) {
    ASSERT_FALSE(c.doc(d).empty());
    for (uint32_t w : c.doc(d)) ASSERT_LT(w, c.vocab_size());
  }
}

// Loads `spec` after writing a mutation of `valid` to `path`, many times.
void Fuzz(const std::string& spec, const std::string& path, const std::string& valid,
          const std::string& fixed_path, const std::string& fixed, uint64_t seed) {
  std::mt19937_64 rng(seed);
  int ok = 0, rejected = 0;
  for (int i = 0; i < 1000; ++i) {
    const bool mutate_fixed = !fixed_path.empty() && i % 4 == 3;
    testing::WriteTextFile(path, mutate_fixed ? valid : Mutate(valid, rng));
    if (!fixed_path.empty()) {
      testing::WriteTextFile(fixed_path, mutate_fixed ? Mutate(fixed, rng) : fixed);
    }
    absl::StatusOr<Corpus> c = LoadCorpus(spec, static_cast<uint32_t>(i % 2), 2);
    if (c.ok()) {
      ++ok;
      CheckCorpus(*c);
    } else {
      ++rejected;
      const std::string m(c.status().message());
      ASSERT_TRUE(m.find(path) != std::string::npos ||
                  (!fixed_path.empty() && m.find(fixed_path) != std::string::npos))
          << "error does not name the file: " << m;
    }
  }
  EXPECT_GT(ok, 0);
  EXPECT_GT(rejected, 0);
}

TEST(DataFuzz, Uci) {
  const std::string dir = testing::MakeTempDir("ldafuzz");
  Fuzz("uci:" + dir + "/docword.f.txt,test=0.3", dir + "/docword.f.txt",
       "5\n4\n8\n1 1 3\n1 3 1\n2 2 2\n2 4 1\n3 1 1\n4 2 5\n5 3 2\n5 4 1\n",
       dir + "/vocab.f.txt", "apple\npear\nplum\nfig\n", 1);
}

TEST(DataFuzz, TextLines) {
  const std::string dir = testing::MakeTempDir("ldafuzz");
  Fuzz("text:" + dir + "/docs.txt,min_count=2,max_df=0.8", dir + "/docs.txt",
       "apple pear plum\npear fig apple\n\nplum plum kiwi\nfig apple pear kiwi\n", "", "", 2);
}

TEST(DataFuzz, MailTextNeverFails) {
  std::mt19937_64 rng(3);
  const std::string mail =
      "Subject: x\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
      "Content-Type: text/html\nContent-Transfer-Encoding: quoted-printable\n\n"
      "<p>hi=20there &amp; <script>x</script>\n--b\nContent-Transfer-Encoding: base64\n\n"
      "aGVsbG8=\n--b--\n";
  for (int i = 0; i < 3000; ++i) {
    const std::string text = MailToText(Mutate(mail, rng));
    ASSERT_LE(text.size(), 2 * mail.size() + 64);
  }
}

}  // namespace
}  // namespace gaia::lda
