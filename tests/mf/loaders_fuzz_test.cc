// Robustness of the rating loaders: thousands of seeded random corruptions
// of valid files in each format. Every load must return either ratings that
// satisfy the loader's own contract or an error naming the file; nothing
// may crash, hang or allocate without bound.
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "apps/mf/loaders.h"
#include "tests/testing/subprocess.h"

namespace gaia::mf {
namespace {

std::string Mutate(std::string text, std::mt19937_64& rng) {
  static const char kAlphabet[] = "0123456789:,\t\n-.e+ abcXYZ\r\x01\xff";
  const int edits = 1 + static_cast<int>(rng() % 6);
  for (int e = 0; e < edits && !text.empty(); ++e) {
    const size_t pos = rng() % text.size();
    switch (rng() % 5) {
      case 0: text[pos] = kAlphabet[rng() % (sizeof(kAlphabet) - 1)]; break;
      case 1: text.erase(pos, 1 + rng() % 8); break;
      case 2: text.insert(pos, 1, kAlphabet[rng() % (sizeof(kAlphabet) - 1)]); break;
      case 3: text.insert(pos, text.substr(rng() % text.size(), 1 + rng() % 16)); break;
      case 4: text.resize(pos); break;
    }
  }
  return text;
}

void FuzzFormat(DataFormat format, const std::string& name, const std::string& valid,
                uint64_t seed) {
  const std::string dir = testing::MakeTempDir("loaderfuzz");
  const std::string path = dir + "/" + name;
  std::mt19937_64 rng(seed);
  int ok = 0, rejected = 0;
  for (int i = 0; i < 1500; ++i) {
    testing::WriteTextFile(path, Mutate(valid, rng));
    LoadOptions options;
    options.format = format;
    options.part = static_cast<uint32_t>(i % 2);
    options.parts = 2;
    absl::StatusOr<std::vector<Rating>> ratings = LoadRatings(path, options);
    if (ratings.ok()) {
      ++ok;
      for (const Rating& r : *ratings) {
        ASSERT_GE(r.value, options.min_value);
        ASSERT_LE(r.value, options.max_value);
      }
    } else {
      ++rejected;
      ASSERT_NE(ratings.status().message().find(path), std::string::npos)
          << "error does not name the file: " << ratings.status().message();
    }
  }
  // The corpus exercises both outcomes.
  EXPECT_GT(ok, 0);
  EXPECT_GT(rejected, 0);
}

TEST(LoadersFuzz, MovieLensData) {
  FuzzFormat(DataFormat::kMovieLensData, "u.data",
             "196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t377\t1\t878887116\n"
             "244\t51\t2\t880606923\n166\t346\t1\t886397596\n",
             1);
}

TEST(LoadersFuzz, MovieLensCsv) {
  FuzzFormat(DataFormat::kMovieLensCsv, "ratings.csv",
             "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,4.0,964981247\n"
             "1,6,4.0,964982224\n2,47,5.0,964983815\n3,50,5.0,964982931\n",
             2);
}

TEST(LoadersFuzz, Netflix) {
  FuzzFormat(DataFormat::kNetflix, "mv_0000001.txt",
             "1:\n1488844,3,2005-09-06\n822109,5,2005-05-13\n885013,4,2005-10-19\n"
             "2:\n30878,4,2005-12-26\n823519,3,2004-05-03\n",
             3);
}

}  // namespace
}  // namespace gaia::mf
