// MirrorOptions (src/mirror/mirror_options.h): what ValidateMirrorOptions
// refuses, and sender incarnations.
#include "src/mirror/mirror_options.h"

#include <cstdint>
#include <set>

#include <gtest/gtest.h>

#include "src/significance/registry.h"

namespace gaia::mirror {
namespace {

// The read gate's REQUIRES (ds != 0) is checked where a mirror is created:
// reads stop once a DC is ds clocks ahead, so 0 would stop them for good.
TEST(MirrorOptions, DsZeroIsRefused) {
  MirrorOptions options;
  options.tables = {common::TableSpec{}};
  options.significance = significance::AbsoluteSignificance();
  for (int32_t ds : {-1, 1, 2}) {
    options.ds = ds;
    EXPECT_TRUE(ValidateMirrorOptions(options).ok()) << "ds " << ds;
  }
  options.ds = 0;
  const absl::Status status = ValidateMirrorOptions(options);
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_NE(status.message().find("ds"), absl::string_view::npos) << status;
}

// Zero is what a sender from before incarnations sends; every sender built
// gets a new one (a restarted sender must differ from its predecessor).
TEST(MirrorOptions, IncarnationsAreNonzeroAndNewEachTime) {
  std::set<uint64_t> seen;
  for (int i = 0; i < 100; ++i) {
    const uint64_t incarnation = NewIncarnation();
    EXPECT_NE(incarnation, 0u);
    EXPECT_TRUE(seen.insert(incarnation).second) << "drawn twice: " << incarnation;
  }
}

}  // namespace
}  // namespace gaia::mirror
