#include "apps/common/device.h"

#include <string>
#include <vector>

#include "apps/common/flags.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gaia::apps {
namespace {

using ::testing::HasSubstr;

// ParseFlags over `args` (argv[0] added) with only --device.
int ParseDeviceArgs(std::vector<std::string> args, Device* device) {
  CLI::App app{"test app"};
  AddDeviceFlag(app, device);
  args.insert(args.begin(), "app");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return ParseFlags(app, static_cast<int>(argv.size()), argv.data());
}

TEST(DeviceFlag, ParsesBothNamesAndRoundTripsThem) {
  for (Device d : {Device::kCpu, Device::kCuda}) {
    absl::StatusOr<Device> parsed = ParseDevice(DeviceName(d));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, d);
  }
  EXPECT_EQ(DeviceName(Device::kCpu), "cpu");
  EXPECT_EQ(DeviceName(Device::kCuda), "cuda");
}

TEST(DeviceFlag, AnUnknownNameIsAnErrorListingTheKnownOnes) {
  absl::StatusOr<Device> parsed = ParseDevice("gpu");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(parsed.status().message(), "unknown device 'gpu' (known: cpu, cuda)");
  EXPECT_FALSE(ParseDevice("CUDA").ok());
  EXPECT_FALSE(ParseDevice("").ok());
}

TEST(DeviceFlag, DefaultsToTheValueGivenAndParsesFromTheCommandLine) {
  Device device = Device::kCpu;
  EXPECT_EQ(ParseDeviceArgs({}, &device), -1);
  EXPECT_EQ(device, Device::kCpu);
  EXPECT_EQ(ParseDeviceArgs({"--device=cuda"}, &device), -1);
  EXPECT_EQ(device, Device::kCuda);
  EXPECT_EQ(ParseDeviceArgs({"--device", "cpu"}, &device), -1);
  EXPECT_EQ(device, Device::kCpu);
}

TEST(DeviceFlag, ABadValueExitsWithTheBadInputCode) {
  Device device = Device::kCpu;
  testing::internal::CaptureStderr();
  EXPECT_EQ(ParseDeviceArgs({"--device=tpu"}, &device), kExitBadInput);
  EXPECT_THAT(testing::internal::GetCapturedStderr(), HasSubstr("unknown device 'tpu'"));
  EXPECT_EQ(device, Device::kCpu);
}

TEST(DeviceFlag, CudaInABuildWithoutCudaIsAClearError) {
  EXPECT_TRUE(CheckDeviceBuilt(Device::kCpu, false, "gaia_mf").ok());
  EXPECT_TRUE(CheckDeviceBuilt(Device::kCpu, true, "gaia_mf").ok());
  EXPECT_TRUE(CheckDeviceBuilt(Device::kCuda, true, "gaia_mf").ok());
  absl::Status s = CheckDeviceBuilt(Device::kCuda, false, "gaia_mf");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("--device=cuda: gaia_mf was built without CUDA"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("use --device=cpu"));
}

}  // namespace
}  // namespace gaia::apps
