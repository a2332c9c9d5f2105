// Test helper: run a program as a child, bounded in time, capturing its
// output; end it (by its PID only) if it overstays.
#ifndef GAIA_TESTS_TESTING_SUBPROCESS_H_
#define GAIA_TESTS_TESTING_SUBPROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace gaia::testing {

struct ProcessResult {
  int exit_code = -1;     // code, or 128 + signal
  bool timed_out = false;
  std::string output;     // stdout and stderr, interleaved
};

// Runs argv (argv[0] a path) to completion or `timeout`.
ProcessResult RunProcess(const std::vector<std::string>& argv, std::chrono::seconds timeout);

// A running child for tests that interact with it (signals, files).
class Subprocess {
 public:
  explicit Subprocess(const std::vector<std::string>& argv);
  ~Subprocess();  // SIGKILLs the child if still running
  pid_t pid() const { return pid_; }
  void Signal(int sig);
  // Waits up to `timeout`; returns the result (timed_out if it did not end).
  ProcessResult Wait(std::chrono::seconds timeout);
  std::string OutputSoFar() const;

 private:
  pid_t pid_ = -1;
  std::string output_path_;
  bool reaped_ = false;
  int exit_code_ = -1;
};

// $GAIA_BIN_DIR (set by CTest) or the build's bin folder next to the test.
std::string BinDir();
// $GAIA_SOURCE_DIR (set by CTest).
std::string SourceDir();
// A fresh temporary directory, unique per call.
std::string MakeTempDir(const std::string& prefix);
void WriteTextFile(const std::string& path, const std::string& text);
std::string ReadTextFile(const std::string& path);
// Every file named `name` under `root` (recursively), sorted; none if root
// does not exist (e.g. the summary.json of each run under a job's results).
std::vector<std::string> FindFilesNamed(const std::string& root, const std::string& name);

}  // namespace gaia::testing

#endif  // GAIA_TESTS_TESTING_SUBPROCESS_H_
