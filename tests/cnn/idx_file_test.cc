// The IDX reader on crafted files: plain and gzip agree, and every kind of
// damage is an error that names the file and says what is wrong.
#include "apps/cnn/idx_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/testing/subprocess.h"

namespace gaia::cnn {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

std::vector<uint8_t> Ramp(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 7 + 3);
  return v;
}

class CnnIdxFileTest : public ::testing::Test {
 protected:
  // Writes `bytes` (raw, or gzip-compressed) as dir_/name; returns the path.
  std::string Write(const std::string& name, const std::vector<uint8_t>& bytes, bool gzip = false) {
    const std::string path = dir_ + "/" + name;
    EXPECT_TRUE(WriteMaybeGzipFile(path, bytes, gzip).ok());
    return path;
  }
  // The error message of reading `bytes` written plain as `name`.
  std::string ErrorOf(const std::string& name, const std::vector<uint8_t>& bytes) {
    const std::string path = Write(name, bytes);
    absl::StatusOr<IdxArray> a = ReadIdxFile(path);
    EXPECT_FALSE(a.ok()) << name;
    if (a.ok()) return "";
    EXPECT_THAT(std::string(a.status().message()), HasSubstr(path));
    return std::string(a.status().message());
  }

  std::string dir_ = testing::MakeTempDir("cnnidx");
};

TEST_F(CnnIdxFileTest, ReadsWhatEncodeIdxWrote) {
  const std::vector<uint8_t> data = Ramp(2 * 3 * 4);
  const std::vector<uint8_t> bytes = EncodeIdx({2, 3, 4}, data);
  ASSERT_EQ(bytes.size(), 4u + 12u + 24u);
  EXPECT_EQ(bytes[2], 0x08);
  EXPECT_EQ(bytes[3], 3);
  EXPECT_EQ(bytes[7], 2);  // big-endian: the low byte last
  absl::StatusOr<IdxArray> a = ReadIdxFile(Write("a-idx3-ubyte", bytes));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->dims, (std::vector<uint32_t>{2, 3, 4}));
  EXPECT_EQ(a->data, data);
}

TEST_F(CnnIdxFileTest, GzipAndPlainGiveTheSameArray) {
  const std::vector<uint8_t> bytes = EncodeIdx({300, 5}, Ramp(1500));
  const std::string plain = Write("x-idx2-ubyte", bytes);
  const std::string packed = Write("x-idx2-ubyte.gz", bytes, /*gzip=*/true);
  ASSERT_NE(std::filesystem::file_size(plain), std::filesystem::file_size(packed));
  absl::StatusOr<IdxArray> a = ReadIdxFile(plain);
  absl::StatusOr<IdxArray> b = ReadIdxFile(packed);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(a->dims, b->dims);
  EXPECT_EQ(a->data, b->data);
  // The content decides, not the name: gzip data under a plain name reads too.
  absl::StatusOr<IdxArray> c = ReadIdxFile(Write("y-idx2-ubyte", bytes, /*gzip=*/true));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->data, a->data);
}

TEST_F(CnnIdxFileTest, ZeroCountIsAnEmptyArray) {
  absl::StatusOr<IdxArray> a = ReadIdxFile(Write("empty", EncodeIdx({0, 28, 28}, {})));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->dims, (std::vector<uint32_t>{0, 28, 28}));
  EXPECT_TRUE(a->data.empty());
}

TEST_F(CnnIdxFileTest, BadMagicIsNamed) {
  std::vector<uint8_t> bytes = EncodeIdx({4}, Ramp(4));
  bytes[0] = 0x1F;
  EXPECT_THAT(ErrorOf("m1", bytes), HasSubstr("bad magic 0x1F000801"));
  bytes[0] = 0;
  bytes[3] = 0;  // no dimensions
  EXPECT_THAT(ErrorOf("m2", bytes), HasSubstr("bad magic 0x00000800"));
}

TEST_F(CnnIdxFileTest, OtherElementTypesAreRejectedByName) {
  std::vector<uint8_t> bytes = EncodeIdx({4}, Ramp(4));
  bytes[2] = 0x0D;
  EXPECT_THAT(ErrorOf("float", bytes),
              AllOf(HasSubstr("bad magic 0x00000D01"), HasSubstr("0x0D (float)"),
                    HasSubstr("unsigned byte (0x08)")));
}

TEST_F(CnnIdxFileTest, TruncationSaysAtWhichByte) {
  EXPECT_THAT(ErrorOf("t0", {}), HasSubstr("truncated at byte 0"));
  EXPECT_THAT(ErrorOf("t1", {0, 0, 8}), HasSubstr("truncated at byte 3"));
  // Magic says 3 dims (16 header bytes); the file stops after 9.
  std::vector<uint8_t> bytes = EncodeIdx({2, 3, 4}, Ramp(24));
  bytes.resize(9);
  EXPECT_THAT(ErrorOf("t2", bytes),
              AllOf(HasSubstr("truncated at byte 9"), HasSubstr("needs 16 bytes")));
  // The data stops 5 bytes short.
  bytes = EncodeIdx({2, 3, 4}, Ramp(24));
  bytes.resize(bytes.size() - 5);
  EXPECT_THAT(ErrorOf("t3", bytes), AllOf(HasSubstr("truncated at byte 35"),
                                          HasSubstr("dims 2x3x4"), HasSubstr("19 data bytes")));
}

TEST_F(CnnIdxFileTest, AHugeHeaderIsTruncationNotAnAllocation) {
  std::vector<uint8_t> bytes = EncodeIdx({0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}, {});
  bytes.push_back(1);
  EXPECT_THAT(ErrorOf("huge", bytes), AllOf(HasSubstr("truncated at byte 17"),
                                            HasSubstr("dims 4294967295x4294967295x4294967295")));
}

TEST_F(CnnIdxFileTest, TrailingBytesAreAnError) {
  std::vector<uint8_t> bytes = EncodeIdx({4}, Ramp(4));
  bytes.push_back(9);
  bytes.push_back(9);
  EXPECT_THAT(ErrorOf("trail", bytes),
              AllOf(HasSubstr("2 unexpected bytes after the data"), HasSubstr("byte 12 of 14")));
}

TEST_F(CnnIdxFileTest, MissingFileAndDirectoryAreNamed) {
  const std::string missing = dir_ + "/nope-idx1-ubyte";
  absl::StatusOr<IdxArray> a = ReadIdxFile(missing);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(a.status().message()),
              AllOf(HasSubstr(missing), HasSubstr("no such file")));
  a = ReadIdxFile(dir_);
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(std::string(a.status().message()),
              AllOf(HasSubstr(dir_), HasSubstr("not a regular file")));
}

TEST_F(CnnIdxFileTest, CorruptGzipIsAnErrorNamingTheFile) {
  const std::vector<uint8_t> bytes = EncodeIdx({4000}, Ramp(4000));
  const std::string good = Write("g.gz", bytes, /*gzip=*/true);
  std::vector<uint8_t> packed(std::filesystem::file_size(good));
  {
    absl::StatusOr<std::vector<uint8_t>> raw = ReadMaybeGzipFile(good);
    ASSERT_TRUE(raw.ok());
    EXPECT_EQ(*raw, bytes);
  }
  FILE* f = std::fopen(good.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(std::fread(packed.data(), 1, packed.size(), f), packed.size());
  std::fclose(f);

  // A flipped byte in the stored CRC: the data inflates but does not check.
  std::vector<uint8_t> bad_crc = packed;
  bad_crc[bad_crc.size() - 6] ^= 0xFF;
  const std::string crc_path = Write("crc.gz", bad_crc);
  absl::StatusOr<IdxArray> a = ReadIdxFile(crc_path);
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(std::string(a.status().message()),
              AllOf(HasSubstr(crc_path), HasSubstr("corrupt gzip data")));

  // Half the compressed stream: a truncated gzip stream.
  std::vector<uint8_t> half(packed.begin(), packed.begin() + packed.size() / 2);
  const std::string half_path = Write("half.gz", half);
  a = ReadIdxFile(half_path);
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(std::string(a.status().message()),
              AllOf(HasSubstr(half_path), HasSubstr("gzip stream truncated")));
}

TEST_F(CnnIdxFileTest, FilesOverTheCapAreRefused) {
  const std::string path = Write("big", EncodeIdx({5000}, Ramp(5000)), /*gzip=*/true);
  absl::StatusOr<std::vector<uint8_t>> raw = ReadMaybeGzipFile(path, /*max_bytes=*/1000);
  ASSERT_FALSE(raw.ok());
  EXPECT_EQ(raw.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(raw.status().message()),
              AllOf(HasSubstr(path), HasSubstr("larger than 1000 bytes")));
  EXPECT_TRUE(ReadMaybeGzipFile(path, /*max_bytes=*/5008).ok());
}

TEST_F(CnnIdxFileTest, WriteToAMissingDirectoryIsAnError) {
  absl::Status s = WriteMaybeGzipFile(dir_ + "/no/such/dir/f", {1, 2}, false);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr(dir_ + "/no/such/dir/f"));
}

}  // namespace
}  // namespace gaia::cnn
