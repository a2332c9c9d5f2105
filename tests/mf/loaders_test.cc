#include "apps/mf/loaders.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

#include "apps/mf/data_source.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gaia::mf {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class LoadersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("gaia_mf_loaders_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const fs::path path = dir_ / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }

  fs::path dir_;
};

TEST_F(LoadersTest, MovieLensDataGood) {
  const std::string path = Write("u.data", "196\t242\t3\t881250949\n"
                                           "186\t302\t3\t891717742\r\n"
                                           "\n"
                                           "22\t377\t1\t878887116\n");
  absl::StatusOr<std::vector<Rating>> r = LoadMovieLensData(path, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(*r, ::testing::ElementsAre(Rating{196, 242, 3}, Rating{186, 302, 3},
                                         Rating{22, 377, 1}));
  absl::StatusOr<std::vector<Rating>> auto_r = LoadRatings(path, {});
  ASSERT_TRUE(auto_r.ok());
  EXPECT_EQ(*auto_r, *r);
}

TEST_F(LoadersTest, MovieLensCsvGood) {
  const std::string path = Write("ratings.csv",
                                 "userId,movieId,rating,timestamp\n"
                                 "1,1,4.0,964982703\n"
                                 "1,3,4.5,964981247\n"
                                 "7,50,0.5,964982931\n");
  absl::StatusOr<std::vector<Rating>> r = LoadMovieLensCsv(path, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(*r, ::testing::ElementsAre(Rating{1, 1, 4.0f}, Rating{1, 3, 4.5f},
                                         Rating{7, 50, 0.5f}));
  absl::StatusOr<DataFormat> format = DetectFormat(path);
  ASSERT_TRUE(format.ok());
  EXPECT_EQ(*format, DataFormat::kMovieLensCsv);
}

TEST_F(LoadersTest, NetflixFileAndDirectory) {
  Write("nf/mv_0000001.txt", "1:\n1488844,3,2005-09-06\n822109,5,2005-05-13\n");
  Write("nf/mv_0000002.txt", "2:\n2059652,4,2005-09-05\n");
  Write("nf/README", "not a rating file\n");
  absl::StatusOr<std::vector<Rating>> dir = LoadNetflix((dir_ / "nf").string(), {});
  ASSERT_TRUE(dir.ok()) << dir.status();
  EXPECT_THAT(*dir, ::testing::ElementsAre(Rating{1488844, 1, 3}, Rating{822109, 1, 5},
                                           Rating{2059652, 2, 4}));
  // One combined file with several movies, detected by content.
  const std::string combined =
      Write("combined.txt", "1:\n1488844,3,2005-09-06\n2:\n2059652,4,2005-09-05\n");
  absl::StatusOr<std::vector<Rating>> one = LoadRatings(combined, {});
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_THAT(*one, ::testing::ElementsAre(Rating{1488844, 1, 3}, Rating{2059652, 2, 4}));
  absl::StatusOr<std::vector<Rating>> by_spec =
      LoadData("netflix:" + (dir_ / "nf").string(), 0, 1);
  ASSERT_TRUE(by_spec.ok()) << by_spec.status();
  EXPECT_EQ(by_spec->size(), 3u);
}

struct BadCase {
  const char* name;
  const char* file;
  const char* text;
  const char* expect;  // "file:line: <substring>" suffix after the path
};

TEST_F(LoadersTest, BadInputNamesFileAndLine) {
  const BadCase cases[] = {
      {"bad number", "u.data", "1\t2\t3\t4\n1\tx\t3\t4\n", ":2: bad item id 'x'"},
      {"negative id", "u.data", "-1\t2\t3\t4\n", ":1: bad user id '-1'"},
      {"columns", "u.data", "1\t2\t3\t4\n1\t2\t3\n", ":2: expected 4 tab-separated"},
      {"range", "u.data", "1\t2\t3\t4\n\n1\t2\t99\t4\n", ":3: rating 99 is out of range"},
      {"nan", "u.data", "1\t2\tnan\t4\n", ":1: bad rating 'nan'"},
      {"user too large", "u.data", "4000000000\t2\t3\t4\n", ":1: user id 4000000000 is too large"},
      {"item too large", "ratings.csv", "userId,movieId,rating,timestamp\n1,99999999,3,4\n",
       ":2: item id 99999999 is too large"},
      {"csv header", "ratings.csv", "user,movie,rating,time\n1,2,3,4\n", ":1: bad header"},
      {"csv columns", "ratings.csv", "userId,movieId,rating,timestamp\n1,2,3\n",
       ":2: expected 4 comma-separated"},
      {"timestamp", "ratings.csv", "1,2,3,yesterday\n", ":1: bad timestamp"},
      {"empty", "u.data", "", ":1: empty file"},
      {"header only", "ratings.csv", "userId,movieId,rating,timestamp\n", ":1: no ratings"},
      {"netflix no movie", "mv_1.txt", "1,3,2005-09-06\n", ":1: rating before the first"},
      {"netflix columns", "mv_1.txt", "1:\n5,3\n", ":2: expected 3 comma-separated"},
      {"netflix rating", "mv_1.txt", "1:\n6,abc,2005\n", ":2: bad rating 'abc'"},
      {"netflix bad movie", "mv_1.txt", "1:\n5,3,2005\nx1:\n", ":3: bad movie id 'x1'"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = Write(c.file, c.text);
    absl::StatusOr<std::vector<Rating>> r = LoadRatings(path, {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(path + c.expect));
  }
}

TEST_F(LoadersTest, MissingFileAndDirectory) {
  const std::string missing = (dir_ / "nope.data").string();
  absl::StatusOr<std::vector<Rating>> r = LoadRatings(missing, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr(missing));
  fs::create_directories(dir_ / "empty_dir");
  r = LoadNetflix((dir_ / "empty_dir").string(), {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("no mv_*.txt files"));
  r = LoadData("movielens:", 0, 1);
  EXPECT_FALSE(r.ok());
  r = LoadData("synthetic:users=10,bogus=1", 0, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("unknown key 'bogus'"));
  r = LoadData("", 2, 2);
  EXPECT_FALSE(r.ok());
}

TEST_F(LoadersTest, PartitionKeepsExactlyItsUsersAndPartsCoverAll) {
  std::string text;
  for (uint32_t u = 1; u <= 200; ++u) {
    for (uint32_t i = 1; i <= 3; ++i) {
      text += std::to_string(u) + "\t" + std::to_string(u * 7 % 50 + i) + "\t" +
              std::to_string(1 + (u + i) % 5) + "\t100\n";
    }
  }
  const std::string path = Write("u.data", text);
  absl::StatusOr<std::vector<Rating>> all = LoadRatings(path, {});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 600u);
  constexpr uint32_t kParts = 3;
  std::vector<Rating> union_of_parts;
  for (uint32_t p = 0; p < kParts; ++p) {
    absl::StatusOr<std::vector<Rating>> part =
        LoadRatings(path, {.part = p, .parts = kParts});
    ASSERT_TRUE(part.ok());
    EXPECT_GT(part->size(), 100u);  // a hash split, roughly even
    for (const Rating& r : *part) EXPECT_EQ(PartOf(r.user, kParts), p);
    union_of_parts.insert(union_of_parts.end(), part->begin(), part->end());
  }
  auto key = [](const Rating& a, const Rating& b) {
    return std::tie(a.user, a.item) < std::tie(b.user, b.item);
  };
  std::sort(union_of_parts.begin(), union_of_parts.end(), key);
  std::sort(all->begin(), all->end(), key);
  EXPECT_EQ(union_of_parts, *all);
}

TEST(PartOf, StableAndInRange) {
  // Pinned values: every process of a job must agree forever.
  EXPECT_EQ(PartOf(0, 1), 0u);
  for (uint32_t u = 0; u < 1000; ++u) {
    EXPECT_LT(PartOf(u, 7), 7u);
    EXPECT_EQ(PartOf(u, 7), PartOf(u, 7));
  }
}

}  // namespace
}  // namespace gaia::mf
