#include "tests/testing/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace gaia::testing {
namespace {

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

}  // namespace

Subprocess::Subprocess(const std::vector<std::string>& argv) {
  output_path_ = MakeTempDir("proc") + "/output.txt";
  const int fd = open(output_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fd, STDERR_FILENO);
  std::vector<char*> cargv;
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  const int rc = posix_spawn(&pid_, argv[0].c_str(), &actions, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fd);
  if (rc != 0) {
    pid_ = -1;
    reaped_ = true;
    exit_code_ = 127;
    WriteTextFile(output_path_, "spawn failed: " + std::string(strerror(rc)) + "\n");
  }
}

Subprocess::~Subprocess() {
  if (!reaped_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

void Subprocess::Signal(int sig) {
  if (!reaped_ && pid_ > 0) kill(pid_, sig);
}

ProcessResult Subprocess::Wait(std::chrono::seconds timeout) {
  ProcessResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!reaped_) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      exit_code_ = DecodeStatus(status);
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      result.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  result.exit_code = exit_code_;
  result.output = OutputSoFar();
  return result;
}

std::string Subprocess::OutputSoFar() const { return ReadTextFile(output_path_); }

ProcessResult RunProcess(const std::vector<std::string>& argv, std::chrono::seconds timeout) {
  Subprocess process(argv);
  ProcessResult result = process.Wait(timeout);
  if (result.timed_out) {
    process.Signal(SIGKILL);
    result.exit_code = process.Wait(std::chrono::seconds(10)).exit_code;
    result.timed_out = true;
  }
  return result;
}

std::string BinDir() {
  if (const char* dir = std::getenv("GAIA_BIN_DIR")) return dir;
  return GAIA_TEST_BIN_DIR;
}

std::string SourceDir() {
  if (const char* dir = std::getenv("GAIA_SOURCE_DIR")) return dir;
  return GAIA_TEST_SOURCE_DIR;
}

std::string MakeTempDir(const std::string& prefix) {
  std::string templ = (std::filesystem::temp_directory_path() / ("gaia-" + prefix + "-XXXXXX")).string();
  if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return templ;
}

void WriteTextFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

std::vector<std::string> FindFilesNamed(const std::string& root, const std::string& name) {
  std::vector<std::string> found;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path().filename() == name) found.push_back(it->path().string());
  }
  std::sort(found.begin(), found.end());
  return found;
}

std::string ReadTextFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace gaia::testing
