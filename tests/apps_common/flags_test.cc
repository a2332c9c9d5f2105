#include "apps/common/flags.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace gaia::apps {
namespace {

// Runs ParseFlags on `args` (argv[0] added) with the worker flags and one
// app flag; returns its result.
int Parse(std::vector<std::string> args, WorkerFlags* flags, int* rank) {
  CLI::App app{"test app"};
  AddWorkerFlags(app, flags);
  app.add_option("--rank", *rank, "rank");
  args.insert(args.begin(), "app");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return ParseFlags(app, static_cast<int>(argv.size()), argv.data());
}

TEST(AppFlags, ParsesTheWorkerFlagsAndTheAppsOwn) {
  WorkerFlags flags;
  int rank = 0;
  EXPECT_EQ(Parse({"--gaia-config=w.json", "--clocks", "7", "--rank=3"}, &flags, &rank), -1);
  EXPECT_EQ(flags.gaia_config, "w.json");
  EXPECT_EQ(flags.clocks, 7);
  EXPECT_EQ(rank, 3);
}

TEST(AppFlags, ClocksKeepTheDefaultGiven) {
  WorkerFlags flags;
  flags.clocks = 25;
  int rank = 0;
  EXPECT_EQ(Parse({"--gaia-config=w.json"}, &flags, &rank), -1);
  EXPECT_EQ(flags.clocks, 25);
}

TEST(AppFlags, BadFlagsExitTwoAndHelpExitsZero) {
  WorkerFlags flags;
  int rank = 0;
  EXPECT_EQ(Parse({"--gaia-config=w.json", "--no-such-flag"}, &flags, &rank), kExitBadInput);
  EXPECT_EQ(Parse({"--clocks=3"}, &flags, &rank), kExitBadInput) << "--gaia-config is required";
  EXPECT_EQ(Parse({"--gaia-config=w.json", "--clocks=0"}, &flags, &rank), kExitBadInput);
  EXPECT_EQ(Parse({"--gaia-config=w.json", "--rank=x"}, &flags, &rank), kExitBadInput);
  EXPECT_EQ(Parse({"--help"}, &flags, &rank), kExitOk);
}

}  // namespace
}  // namespace gaia::apps
