#include "src/cli/remote_host.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "src/common/data_files.h"
#include "src/wan/system_tools.h"

namespace gaia::cli {
namespace fs = std::filesystem;

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string RemoteRunDir(const common::SshSpec& ssh, const std::string& job,
                         const std::string& run_dir) {
  return (fs::path(ssh.remote_dir) / job / fs::path(run_dir).filename()).string();
}

absl::Status CheckHostsSupported(const common::JobSpec& spec) {
  if (!common::JobSpansHosts(spec)) return absl::OkStatus();
  if (spec.wan.emulate != common::WanEmulation::kNone) {
    return absl::InvalidArgumentError(
        "wan.emulate: a job that spans hosts runs over the real network between them; "
        "shape it there (tc) and leave wan.emulate out");
  }
  for (size_t d = 0; d < spec.dcs.size(); ++d) {
    const common::DcSpec& dc = spec.dcs[d];
    if (dc.hosts.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "dcs[", d, "].hosts: DC ", dc.name,
          " lists no hosts but the job spans hosts: its processes would run on the launcher's "
          "host, which the others cannot reach; list that host by an address they can"));
    }
    for (size_t h = 0; h < dc.hosts.size(); ++h) {
      if (IsLoopback(dc.hosts[h].address)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "dcs[", d, "].hosts[", h, "].address: ", dc.hosts[h].address,
            " is loopback but the job spans hosts; use an address the other hosts can reach"));
      }
    }
  }
  return absl::OkStatus();
}

std::string RemoteHostAccess::Destination() const {
  return host_.ssh_user.empty() ? host_.address : absl::StrCat(host_.ssh_user, "@", host_.address);
}

std::string RemoteHostAccess::ScpDestination() const {
  // scp reads "a:b:c" as host "a"; an IPv6 address goes in brackets.
  if (host_.address.find(':') == std::string::npos) return Destination();
  const std::string bracketed = absl::StrCat("[", host_.address, "]");
  return host_.ssh_user.empty() ? bracketed : absl::StrCat(host_.ssh_user, "@", bracketed);
}

std::vector<std::string> RemoteHostAccess::CommonOptions(const char* port_flag,
                                                         bool shared) const {
  // BatchMode: keys only, a missing key or host key fails at once instead of
  // prompting a launcher nobody watches.
  std::vector<std::string> argv = {"-o", "BatchMode=yes",
                                   "-o", "PasswordAuthentication=no",
                                   "-o", "KbdInteractiveAuthentication=no",
                                   "-o", "ConnectTimeout=10",
                                   "-o", "ServerAliveInterval=5",
                                   "-o", "ServerAliveCountMax=3",
                                   port_flag, absl::StrCat(host_.ssh_port)};
  if (!ssh_.identity_file.empty()) {
    argv.insert(argv.end(), {"-i", ssh_.identity_file, "-o", "IdentitiesOnly=yes"});
  }
  if (!ssh_.known_hosts.empty()) {
    argv.insert(argv.end(), {"-o", absl::StrCat("UserKnownHostsFile=", ssh_.known_hosts)});
  }
  if (!control_dir_.empty()) {
    // The master outlives its first client by ControlPersist at most, and
    // CloseSharedConnection ends it sooner.
    const std::string path = absl::StrCat("ControlPath=", control_dir_, "/%C");
    if (shared) {
      argv.insert(argv.end(), {"-o", "ControlMaster=auto", "-o", path, "-o",
                               "ControlPersist=30"});
    } else {
      argv.insert(argv.end(), {"-o", "ControlMaster=no", "-o", "ControlPath=none"});
    }
  }
  argv.insert(argv.end(), ssh_.options.begin(), ssh_.options.end());
  return argv;
}

void RemoteHostAccess::CloseSharedConnection() const {
  if (control_dir_.empty()) return;
  std::vector<std::string> argv = {wan::FindTool("ssh"), "-O", "exit"};
  for (std::string& option : CommonOptions("-p", true)) argv.push_back(std::move(option));
  argv.push_back(Destination());
  (void)wan::RunTool(argv, 10);
}

std::vector<std::string> RemoteHostAccess::SshArgv(const std::string& remote_command,
                                                   bool shared) const {
  std::vector<std::string> argv = {wan::FindTool("ssh"), "-T"};
  for (std::string& option : CommonOptions("-p", shared)) argv.push_back(std::move(option));
  argv.push_back(Destination());
  argv.push_back(remote_command);
  return argv;
}

std::vector<std::string> RemoteHostAccess::ScpArgv(const std::string& from, const std::string& to,
                                                   bool recursive) const {
  std::vector<std::string> argv = {wan::FindTool("scp"), "-q", "-p"};
  if (recursive) argv.push_back("-r");
  for (std::string& option : CommonOptions("-P", true)) argv.push_back(std::move(option));
  argv.push_back(from);
  argv.push_back(to);
  return argv;
}

absl::StatusOr<std::string> RemoteHostAccess::Run(const std::string& command,
                                                  double timeout_s) const {
  absl::StatusOr<wan::CommandResult> result = wan::RunTool(SshArgv(command), timeout_s);
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    return absl::UnavailableError(absl::StrCat(
        "host ", host_.address, ": `", command, "` exited with code ", result->exit_code,
        result->exit_code == 255 ? " (ssh could not connect or the command was killed)" : "",
        ": ", absl::StripAsciiWhitespace(result->err)));
  }
  return result->out;
}

absl::Status RemoteHostAccess::CopyTo(const std::string& local_path,
                                      const std::string& remote_path, bool recursive) const {
  static std::atomic<uint64_t> copies{0};
  const std::string tmp = (fs::path(ssh_.remote_dir) /
                           absl::StrCat(".part-", getpid(), "-", copies.fetch_add(1), "-",
                                        fs::path(remote_path).filename().string()))
                              .string();
  absl::StatusOr<wan::CommandResult> copied = wan::RunTool(
      ScpArgv(local_path, absl::StrCat(ScpDestination(), ":", tmp), recursive),
      kSshCommandTimeoutS);
  if (!copied.ok()) return copied.status();
  if (copied->exit_code != 0) {
    return absl::UnavailableError(absl::StrCat("host ", host_.address, ": scp ", local_path,
                                               " failed (code ", copied->exit_code, "): ",
                                               absl::StripAsciiWhitespace(copied->err)));
  }
  const std::string parent = fs::path(remote_path).parent_path().string();
  return Run(absl::StrCat("mkdir -p ", ShellQuote(parent), " && rm -rf ", ShellQuote(remote_path),
                          " && mv ", ShellQuote(tmp), " ", ShellQuote(remote_path)))
      .status();
}

absl::Status RemoteHostAccess::FetchGrowing(const std::string& remote_path,
                                            const std::string& local_path) const {
  std::error_code ec;
  const uintmax_t have = fs::exists(local_path, ec) ? fs::file_size(local_path, ec) : 0;
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot read ", local_path, ": ", ec.message()));
  }
  absl::StatusOr<std::string> more = Run(
      absl::StrCat("test -f ", ShellQuote(remote_path), " && tail -c +", have + 1, " ",
                   ShellQuote(remote_path)));
  if (!more.ok()) {
    return absl::NotFoundError(
        absl::StrCat("host ", host_.address, ": cannot read ", remote_path));
  }
  if (more->empty()) return absl::OkStatus();
  std::ofstream out(local_path, std::ios::binary | std::ios::app);
  out << *more;
  out.flush();
  if (!out) return absl::UnavailableError(absl::StrCat("cannot append to ", local_path));
  return absl::OkStatus();
}

absl::StatusOr<std::string> BuildId(const std::string& path) {
  absl::StatusOr<wan::CommandResult> sum = wan::RunTool({"sha256sum", path}, 120);
  if (!sum.ok()) return sum.status();
  const std::string id(absl::StripAsciiWhitespace(sum->out).substr(0, 64));
  if (sum->exit_code != 0 || id.size() != 64) {
    return absl::UnavailableError(
        absl::StrCat("cannot compute the build id of ", path, ": ", sum->err));
  }
  return id;
}

absl::StatusOr<std::string> RemoteHostAccess::InstallBinary(const std::string& local_path,
                                                            const std::string& build_id) const {
  const std::string remote = (fs::path(ssh_.remote_dir) / "builds" / build_id /
                              fs::path(local_path).filename())
                                 .string();
  // The same build is there already: its id is the file's own hash.
  absl::StatusOr<std::string> have = Run(absl::StrCat(
      "test -x ", ShellQuote(remote), " && sha256sum ", ShellQuote(remote), " || true"));
  if (!have.ok()) return have.status();
  if (absl::StartsWith(*have, build_id)) return remote;
  if (absl::Status st = CopyTo(local_path, remote); !st.ok()) return st;
  return remote;
}

absl::StatusOr<std::vector<std::string>> RemoteHostAccess::ProcessesOf(
    const std::string& marker) const {
  // "[/]..." matches the marker but not this command's own line, which
  // holds the bracket.
  std::string pattern = marker;
  if (!pattern.empty()) pattern = absl::StrCat("[", pattern.substr(0, 1), "]", pattern.substr(1));
  absl::StatusOr<std::string> out =
      Run(absl::StrCat("pgrep -a -f -- ", ShellQuote(pattern), "; test $? -le 1"));
  if (!out.ok()) return out.status();
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(*out, '\n', absl::SkipWhitespace())) {
    lines.emplace_back(line);
  }
  return lines;
}

}  // namespace gaia::cli
