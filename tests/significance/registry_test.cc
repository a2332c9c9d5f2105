// significance::Registry: names, Register's rejections, Find, and loading
// plugins (the example plugin in examples/significance_plugin/ and a library
// without the entry point, both built by tests/significance/CMakeLists.txt).
#include "src/significance/registry.h"

#include <cstdint>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/significance/significance_filter.h"

#ifndef GAIA_TEST_PLUGIN_PATH
#error "GAIA_TEST_PLUGIN_PATH must name the example significance plugin"
#endif
#ifndef GAIA_TEST_NO_ENTRY_PLUGIN_PATH
#error "GAIA_TEST_NO_ENTRY_PLUGIN_PATH must name a library without the entry point"
#endif

namespace gaia::significance {
namespace {

using ::testing::ElementsAre;
using ::testing::FloatEq;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;

constexpr double kFloor = 1e-3;

// A function recognisable by its output.
gaia::SignificanceFn Constant(float c) {
  return [c](std::span<const float>, std::span<const float>, std::span<float> out) {
    for (float& o : out) o = c;
  };
}

std::vector<float> Score(const gaia::SignificanceFn& fn, std::vector<float> acc,
                         std::vector<float> value) {
  std::vector<float> out(acc.size(), -1.0f);
  fn(acc, value, out);
  return out;
}

TEST(Registry, HasTheBuiltIns) {
  Registry registry(kFloor);
  EXPECT_THAT(registry.Names(), ElementsAre("absolute", "relative", "row_relative"));
  for (const char* name : {"relative", "absolute", "row_relative"}) {
    absl::StatusOr<gaia::SignificanceFn> fn = registry.Find(name);
    ASSERT_TRUE(fn.ok()) << name << ": " << fn.status();
    EXPECT_TRUE(static_cast<bool>(*fn)) << name;
  }
}

TEST(Registry, BuiltInsUseTheRegistryFloor) {
  Registry registry(/*value_floor=*/0.5);
  absl::StatusOr<gaia::SignificanceFn> relative = registry.Find("relative");
  ASSERT_TRUE(relative.ok()) << relative.status();
  EXPECT_THAT(Score(*relative, {0.25f, 1.0f}, {0.0f, 4.0f}),
              ElementsAre(FloatEq(0.5f), FloatEq(0.25f)));
  absl::StatusOr<gaia::SignificanceFn> row = registry.Find("row_relative");
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_THAT(Score(*row, {0.3f, 0.4f}, {0.0f, 0.0f}), ElementsAre(FloatEq(1.0f), FloatEq(1.0f)));
  absl::StatusOr<gaia::SignificanceFn> absolute = registry.Find("absolute");
  ASSERT_TRUE(absolute.ok()) << absolute.status();
  EXPECT_THAT(Score(*absolute, {-0.25f}, {0.0f}), ElementsAre(FloatEq(0.25f)));
}

TEST(Registry, RegisterAddsAFunction) {
  Registry registry(kFloor);
  ASSERT_TRUE(registry.Register("Mine_2", Constant(7.0f)));
  absl::StatusOr<gaia::SignificanceFn> fn = registry.Find("Mine_2");
  ASSERT_TRUE(fn.ok()) << fn.status();
  EXPECT_THAT(Score(*fn, {1.0f, 2.0f}, {1.0f, 1.0f}), ElementsAre(FloatEq(7.0f), FloatEq(7.0f)));
  EXPECT_THAT(registry.Names(), ElementsAre("Mine_2", "absolute", "relative", "row_relative"));
}

TEST(Registry, RegisterRejectsInvalidNamesAndChangesNothing) {
  Registry registry(kFloor);
  const std::vector<std::string> before = registry.Names();
  const std::vector<std::string> invalid = {
      "", " ", "my fn", "my-fn", "my.fn", "fn/x", "f\xc3\xa9", "tab\t", std::string("nul\0x", 5)};
  for (const std::string& name : invalid) {
    EXPECT_FALSE(registry.Register(name, Constant(1.0f))) << "'" << name << "'";
    EXPECT_FALSE(registry.Find(name).ok()) << "'" << name << "'";
  }
  EXPECT_EQ(registry.Names(), before);
}

TEST(Registry, RegisterRejectsDuplicatesAndKeepsTheFirst) {
  Registry registry(kFloor);
  ASSERT_TRUE(registry.Register("mine", Constant(1.0f)));
  const std::vector<std::string> before = registry.Names();
  EXPECT_FALSE(registry.Register("mine", Constant(2.0f)));
  absl::StatusOr<gaia::SignificanceFn> mine = registry.Find("mine");
  ASSERT_TRUE(mine.ok()) << mine.status();
  EXPECT_THAT(Score(*mine, {5.0f}, {5.0f}), ElementsAre(FloatEq(1.0f)));

  // Built-in names are taken too, and the built-in survives.
  for (const char* name : {"relative", "absolute", "row_relative"}) {
    EXPECT_FALSE(registry.Register(name, Constant(2.0f))) << name;
  }
  absl::StatusOr<gaia::SignificanceFn> relative = registry.Find("relative");
  ASSERT_TRUE(relative.ok()) << relative.status();
  EXPECT_THAT(Score(*relative, {1.0f}, {4.0f}), ElementsAre(FloatEq(0.25f)));
  EXPECT_EQ(registry.Names(), before);
}

TEST(Registry, RegisterRejectsANullFunction) {
  Registry registry(kFloor);
  const std::vector<std::string> before = registry.Names();
  EXPECT_FALSE(registry.Register("empty", gaia::SignificanceFn()));
  EXPECT_FALSE(registry.Register("null", nullptr));
  EXPECT_FALSE(registry.Find("empty").ok());
  EXPECT_EQ(registry.Names(), before);
  // The rejected name is still free.
  EXPECT_TRUE(registry.Register("empty", Constant(1.0f)));
}

TEST(Registry, FindUnknownIsNotFoundAndListsTheKnownNames) {
  Registry registry(kFloor);
  ASSERT_TRUE(registry.Register("mine", Constant(1.0f)));
  absl::StatusOr<gaia::SignificanceFn> fn = registry.Find("nope");
  ASSERT_FALSE(fn.ok());
  EXPECT_EQ(fn.status().code(), absl::StatusCode::kNotFound);
  const std::string message(fn.status().message());
  EXPECT_THAT(message, HasSubstr("nope"));
  for (const char* known : {"relative", "absolute", "row_relative", "mine"}) {
    EXPECT_THAT(message, HasSubstr(known));
  }
  // Names are case-sensitive.
  EXPECT_EQ(registry.Find("Relative").status().code(), absl::StatusCode::kNotFound);
}

TEST(RegistryPlugin, MissingFileIsNotFoundNamingThePath) {
  Registry registry(kFloor);
  const std::string path = ::testing::TempDir() + "/no_such_significance_plugin.so";
  absl::Status status = registry.LoadPlugin(path);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(path));
  EXPECT_THAT(registry.Names(), ElementsAre("absolute", "relative", "row_relative"));
}

TEST(RegistryPlugin, NonLibraryFileIsNotFoundNamingThePath) {
  const std::string path = ::testing::TempDir() + "/significance_not_a_library.so";
  {
    std::ofstream file(path, std::ios::trunc);
    file << "this is not an ELF file\n";
  }
  Registry registry(kFloor);
  absl::Status status = registry.LoadPlugin(path);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(path));
}

TEST(RegistryPlugin, LibraryWithoutEntryPointIsNotFoundNamingThePath) {
  Registry registry(kFloor);
  const std::string path = GAIA_TEST_NO_ENTRY_PLUGIN_PATH;
  absl::Status status = registry.LoadPlugin(path);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(path));
  EXPECT_THAT(std::string(status.message()), HasSubstr(gaia::kSignificancePluginEntry));
  EXPECT_THAT(registry.Names(), ElementsAre("absolute", "relative", "row_relative"));
}

TEST(RegistryPlugin, ExamplePluginRegistersGroupedProduct) {
  Registry registry(kFloor);
  ASSERT_TRUE(registry.LoadPlugin(GAIA_TEST_PLUGIN_PATH).ok());
  EXPECT_THAT(registry.Names(), IsSupersetOf({"grouped_product", "relative", "absolute",
                                              "row_relative"}));
  EXPECT_EQ(registry.Names().size(), 4u);
  EXPECT_TRUE(registry.Find("grouped_product").ok());
}

// Loading the same plugin twice keeps the first registration and still works.
TEST(RegistryPlugin, LoadingTwiceIsHarmless) {
  Registry registry(kFloor);
  ASSERT_TRUE(registry.LoadPlugin(GAIA_TEST_PLUGIN_PATH).ok());
  ASSERT_TRUE(registry.LoadPlugin(GAIA_TEST_PLUGIN_PATH).ok());
  EXPECT_EQ(registry.Names().size(), 4u);
  absl::StatusOr<gaia::SignificanceFn> fn = registry.Find("grouped_product");
  ASSERT_TRUE(fn.ok()) << fn.status();
  EXPECT_THAT(Score(*fn, {1.0f}, {2.0f}), ElementsAre(FloatEq(1.0f)));
}

class GroupedProductTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::Status loaded = registry_.LoadPlugin(GAIA_TEST_PLUGIN_PATH);
    ASSERT_TRUE(loaded.ok()) << loaded;
    absl::StatusOr<gaia::SignificanceFn> fn = registry_.Find("grouped_product");
    ASSERT_TRUE(fn.ok()) << fn.status();
    fn_ = *fn;
  }
  void TearDown() override {
    // The function's code lives in the plugin: drop it before the registry
    // unloads the library.
    fn_ = nullptr;
  }

  Registry registry_{kFloor};
  gaia::SignificanceFn fn_;
};

// a·b·c with a: 1 -> 2 (acc 1), b = 3, c = 4: the product goes 12 -> 24, a
// relative change of 1 for all three factors, even those with acc 0.
TEST_F(GroupedProductTest, EveryFactorScoresTheProductsRelativeChange) {
  EXPECT_THAT(Score(fn_, {1.0f, 0.0f, 0.0f}, {2.0f, 3.0f, 4.0f}),
              ElementsAre(FloatEq(1.0f), FloatEq(1.0f), FloatEq(1.0f)));
  // Two factors moved: (2-0.5)(3)(4-1) = 13.5 -> 24; |24-13.5|/13.5.
  const float expected = static_cast<float>(10.5 / 13.5);
  EXPECT_THAT(Score(fn_, {0.5f, 0.0f, 1.0f}, {2.0f, 3.0f, 4.0f}),
              ElementsAre(FloatEq(expected), FloatEq(expected), FloatEq(expected)));
  // Negative factors: (-2 - 1)(3)(4) = -36 -> (-2)(3)(4) = -24; 12/36.
  EXPECT_THAT(Score(fn_, {1.0f, 0.0f, 0.0f}, {-2.0f, 3.0f, 4.0f}),
              ElementsAre(FloatEq(1.0f / 3), FloatEq(1.0f / 3), FloatEq(1.0f / 3)));
}

TEST_F(GroupedProductTest, ZeroFactorMakesTheOthersInsignificant) {
  // a = 0 throughout: b and c moved a lot, the product stayed 0.
  EXPECT_THAT(Score(fn_, {0.0f, 2.0f, -3.0f}, {0.0f, 5.0f, 7.0f}),
              ElementsAre(FloatEq(0.0f), FloatEq(0.0f), FloatEq(0.0f)));
}

TEST_F(GroupedProductTest, ProductLeavingZeroUsesTheFloor) {
  // a: 0 -> 1e-3 with b = c = 1: old product 0, so |1e-3 - 0| / 1e-6.
  const std::vector<float> out = Score(fn_, {1e-3f, 0.0f, 0.0f}, {1e-3f, 1.0f, 1.0f});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_NEAR(out[0], 1e3, 1.0);
  EXPECT_EQ(out[1], out[0]);
  EXPECT_EQ(out[2], out[0]);
}

// Groups are consecutive triples; the last one may be shorter; groups do not
// influence each other.
TEST_F(GroupedProductTest, GroupsAreConsecutiveTriples) {
  // width 7: {0,1,2} a·b·c 12 -> 24 (1.0); {3,4,5} unchanged (0); {6} 4 -> 5.
  EXPECT_THAT(Score(fn_, {1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 1.0f},
                    {2.0f, 3.0f, 4.0f, 1.0f, 1.0f, 1.0f, 5.0f}),
              ElementsAre(FloatEq(1.0f), FloatEq(1.0f), FloatEq(1.0f), FloatEq(0.0f),
                          FloatEq(0.0f), FloatEq(0.0f), FloatEq(0.25f)));
  // width 5: the tail is a pair: (2-1)(4) = 4 -> 8.
  EXPECT_THAT(Score(fn_, {0.0f, 0.0f, 0.0f, 1.0f, 0.0f}, {1.0f, 1.0f, 1.0f, 2.0f, 4.0f}),
              ElementsAre(FloatEq(0.0f), FloatEq(0.0f), FloatEq(0.0f), FloatEq(1.0f),
                          FloatEq(1.0f)));
}

// Through the filter: the zero-factor group is kept back; in the moving
// group only the factor with a nonzero acc is sent.
TEST_F(GroupedProductTest, FilterSendsOnlyNonzeroAccOfMovingGroups) {
  SignificanceFilter filter({{.width = 6, .slots = 1}}, fn_);
  const std::vector<float> delta = {1.0f, 0.0f, 0.0f, 0.0f, 2.0f, -3.0f};
  const std::vector<float> value = {2.0f, 3.0f, 4.0f, 0.0f, 5.0f, 7.0f};
  filter.Accumulate(0, 0, delta);
  std::vector<uint32_t> cols;
  std::vector<float> sent;
  filter.Sweep(
      0.01, [&](uint32_t, uint64_t) { return std::span<const float>(value); },
      [&](const SignificantRow& row) {
        cols.assign(row.cols.begin(), row.cols.end());
        sent.assign(row.acc.begin(), row.acc.end());
      });
  EXPECT_THAT(cols, ElementsAre(0u));
  EXPECT_THAT(sent, ElementsAre(1.0f));
  EXPECT_THAT(filter.Acc(0, 0), ElementsAre(0.0f, 0.0f, 0.0f, 0.0f, 2.0f, -3.0f));
  EXPECT_EQ(filter.dirty_rows(), 1u);
}

}  // namespace
}  // namespace gaia::significance
