#include "apps/common/progress.h"

#include <cmath>
#include <cstdio>
#include <string>

#include "gtest/gtest.h"

namespace gaia::apps {
namespace {

TEST(ProgressLine, ClockAndObjectiveFirstThenHeldOutElapsedRateAndExtras) {
  ProgressLine line;
  line.clock = 3;
  line.clocks = 60;
  line.objective = 210345.25;
  line.held_out_name = "test_rmse";
  line.held_out = 0.531234;
  line.elapsed_s = 1.254;
  line.rate_name = "ratings_per_s";
  line.rate = 4.1e6;
  line.extra = {{"lr", 0.0061}, {"read_ms", 1.25}};
  EXPECT_EQ(FormatProgressLine(line),
            "clock 3/60 objective 210345 test_rmse 0.53123 elapsed_s 1.25 "
            "ratings_per_s 4.1e+06 lr 0.0061 read_ms 1.25");
}

TEST(ProgressLine, LeavesOutWhatWasNotMeasured) {
  ProgressLine line;
  line.clock = 1;
  line.clocks = 2;
  line.objective = 5;
  line.held_out_name = "test_rmse";  // named, but no value this clock
  EXPECT_EQ(FormatProgressLine(line), "clock 1/2 objective 5 elapsed_s 0.00");
  line.held_out = std::nan("");
  line.held_out_name = "acc";
  EXPECT_EQ(FormatProgressLine(line), "clock 1/2 objective 5 acc nan elapsed_s 0.00");
}

TEST(ProgressLine, PrintWritesOneLine) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  ProgressLine line;
  line.clock = 1;
  line.clocks = 1;
  PrintProgressLine(line, f);
  std::rewind(f);
  char buffer[128] = {};
  ASSERT_NE(std::fgets(buffer, sizeof(buffer), f), nullptr);
  EXPECT_EQ(std::string(buffer), "clock 1/1 objective 0 elapsed_s 0.00\n");
  std::fclose(f);
}

}  // namespace
}  // namespace gaia::apps
