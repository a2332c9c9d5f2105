// ModeRun: the run's other hosts (docs/MULTI_HOST.md). What each host gets
// before anything starts there, the files the launcher hands its processes,
// their metrics coming back, and the final check that nothing is left.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "src/cli/mode_run.h"
#include "src/common/data_files.h"
#include "src/common/logging.h"
#include "yaml-cpp/yaml.h"

namespace gaia::cli {
namespace fs = std::filesystem;

namespace {

constexpr auto kMetricsFetchInterval = std::chrono::seconds(1);

// The job spec as a remote `gaia server` reads it: the inventory file is the
// launcher's and is not copied, so its key goes (shards never place anything).
absl::StatusOr<std::string> RemoteSpecText(const std::string& path) {
  try {
    YAML::Node root = YAML::LoadFile(path);
    if (root.IsMap()) root.remove("inventory");
    YAML::Emitter out;
    out << root;
    return std::string(out.c_str()) + "\n";
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("cannot re-read ", path, ": ", e.what()));
  }
}

// The local file or folder a DC's data names ("format:path,options" or a
// path), or "" when it names none (synthetic data, the app's default).
std::string LocalDataPath(const std::string& data) {
  if (data.empty() || data.rfind("synthetic", 0) == 0) return "";
  const size_t colon = data.find(':');
  const size_t start = colon == std::string::npos || data.find('/') < colon ? 0 : colon + 1;
  const size_t comma = data.find(',', start);
  std::string path = data.substr(start, comma == std::string::npos ? std::string::npos
                                                                     : comma - start);
  std::error_code ec;
  return fs::exists(path, ec) ? path : "";
}

}  // namespace

absl::Status ModeRun::PrepareHosts() {
  remote_paths_ = {options_.run_dir, RemoteRunDir(spec_.ssh, spec_.name, options_.run_dir)};
  if (placement_.hosts.empty()) return absl::OkStatus();
  for (const std::string& binary : {(fs::path(options_.bin_dir) / "gaia").string(), program_}) {
    absl::StatusOr<std::string> id = BuildId(binary);
    if (!id.ok()) return id.status();
    build_ids_[binary] = *id;
  }
  // ssh's connection sharing: a short folder of the launcher's own (the
  // socket path must stay under about 100 bytes).
  std::string control = (fs::temp_directory_path() / "gaia-ssh-XXXXXX").string();
  if (mkdtemp(control.data()) != nullptr) ssh_control_dir_ = control;
  for (const RemoteHost& host : placement_.hosts) {
    hosts_.emplace(host.address,
                   HostSession{RemoteHostAccess(host, spec_.ssh, ssh_control_dir_), {}, {}, {}});
  }
  // The spec every host reads, written here once.
  absl::StatusOr<std::string> spec_text = RemoteSpecText(spec_.source);
  if (!spec_text.ok()) return spec_text.status();
  const std::string local_spec = (fs::path(layout_.work_dir(mode_name_)) / "job-remote.yaml");
  if (auto st = common::WriteFileAtomically(local_spec, *spec_text); !st.ok()) return st;
  // Side by side: each host is a dozen or more ssh round trips (its first
  // connection alone ~0.8 s on a loaded machine), and hosts share nothing
  // but what PrepareHost only reads.
  std::vector<absl::Status> prepared(hosts_.size());
  {
    std::vector<std::thread> threads;
    size_t i = 0;
    for (auto& [address, session] : hosts_) {
      threads.emplace_back([this, &session, &local_spec, status = &prepared[i++]] {
        *status = PrepareHost(&session, local_spec);
      });
    }
    for (std::thread& thread : threads) thread.join();
  }
  for (const absl::Status& status : prepared) {
    if (!status.ok()) return status;
  }
  if (!hosts_.empty()) {
    common::Logger("launcher")
        ->info("{}: {} other host(s) ready, run folder {} there; placement:\n{}", mode_name_,
               hosts_.size(), remote_paths_.remote_root, DescribePlacement(placement_, topo_));
  }
  return absl::OkStatus();
}

absl::Status ModeRun::PrepareHost(HostSession* host, const std::string& local_spec) const {
  const RemoteHostAccess& access = host->access;
  // The run's folders, and the DC folders of the workers it runs.
  std::string mkdirs =
      absl::StrCat("mkdir -p ", ShellQuote(remote_paths_.ToRemote(layout_.logs_dir(mode_name_))),
                   " ", ShellQuote(remote_paths_.ToRemote(layout_.work_dir(mode_name_))));
  for (size_t w = 0; w < topo_.workers.size(); ++w) {
    if (placement_.workers[w].where.host != access.host().address) continue;
    absl::StrAppend(&mkdirs, " ",
                    ShellQuote(remote_paths_.ToRemote(layout_.dc_dir(
                        mode_name_, spec_.dcs[topo_.workers[w].data_dc].name))));
  }
  if (absl::StatusOr<std::string> made = access.Run(mkdirs); !made.ok()) return made.status();
  // Binaries: the same build is reused where it is already installed.
  for (const auto& [binary, id] : build_ids_) {
    absl::StatusOr<std::string> installed = access.InstallBinary(binary, id);
    if (!installed.ok()) return installed.status();
    host->binaries[binary] = *installed;
  }
  absl::StatusOr<std::vector<HostFile>> files = FilesFor(host, local_spec);
  if (!files.ok()) return files.status();
  for (const HostFile& file : *files) {
    if (auto st = access.CopyTo(file.local, file.remote, file.recursive); !st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ModeRun::HostFile>> ModeRun::FilesFor(
    HostSession* host, const std::string& local_spec) const {
  std::vector<HostFile> files;
  files.push_back({local_spec, remote_paths_.ToRemote(layout_.job_yaml()), false});
  // Each DC's data goes to the hosts that run its workers, under data/<dc>/.
  for (size_t w = 0; w < topo_.workers.size(); ++w) {
    if (placement_.workers[w].where.host != host->access.host().address) continue;
    const uint32_t d = topo_.workers[w].data_dc;
    if (host->data.count(d) != 0) continue;
    const std::string& data = spec_.dcs[d].data;
    const std::string local = LocalDataPath(data);
    if (local.empty()) {
      host->data[d] = data;
      continue;
    }
    const std::string remote = (fs::path(remote_paths_.remote_root) / "data" / spec_.dcs[d].name /
                                fs::path(local).filename())
                                   .string();
    std::error_code ec;
    files.push_back({local, remote, fs::is_directory(local, ec)});
    std::string rewritten = data;
    rewritten.replace(rewritten.find(local), local.size(), remote);
    host->data[d] = rewritten;
  }
  return TlsFilesFor(host, files);
}

absl::StatusOr<std::vector<ModeRun::HostFile>> ModeRun::TlsFilesFor(
    HostSession* host, std::vector<HostFile> files) const {
  if (options_.tls.empty()) return files;
  absl::StatusOr<common::TlsFiles> theirs =
      HostTlsFiles(spec_, options_.tls, options_.run_dir, host->access.host().address);
  if (!theirs.ok()) return theirs.status();
  // Fixed names there: scp keeps the 0600 of the key and the token.
  const fs::path dir = fs::path(remote_paths_.remote_root) / "tls";
  host->tls = {.cert = (dir / "host.crt").string(),
               .key = (dir / "host.key").string(),
               .ca = (dir / "ca.crt").string(),
               .token = (dir / "token").string(),
               .server_name = theirs->server_name};
  files.push_back({theirs->cert, host->tls.cert, false});
  files.push_back({theirs->key, host->tls.key, false});
  files.push_back({theirs->ca, host->tls.ca, false});
  files.push_back({theirs->token, host->tls.token, false});
  return files;
}

const common::TlsFiles& ModeRun::TlsFor(const Location& where) const {
  auto host = hosts_.find(where.host);
  if (where.host.empty() || host == hosts_.end()) return options_.tls;
  return host->second.tls;
}

std::string ModeRun::DataFor(const Location& where, uint32_t spec_dc) const {
  auto host = hosts_.find(where.host);
  if (where.host.empty() || host == hosts_.end()) return spec_.dcs[spec_dc].data;
  auto data = host->second.data.find(spec_dc);
  return data == host->second.data.end() ? spec_.dcs[spec_dc].data : data->second;
}

absl::Status ModeRun::PutRunFile(const Location& where, const std::string& local_path) {
  if (where.host.empty()) return absl::OkStatus();
  return hosts_.at(where.host).access.CopyTo(local_path, remote_paths_.ToRemote(local_path));
}

void ModeRun::FetchRemoteMetrics(bool all) {
  if (hosts_.empty()) return;
  const Clock::time_point now = Clock::now();
  if (!all && now - last_metrics_fetch_ < kMetricsFetchInterval) return;
  last_metrics_fetch_ = now;
  for (size_t w = 0; w < children_.workers.size(); ++w) {
    if (children_.workers[w]->host().empty()) continue;
    if (!all && children_.worker_done[w]) continue;
    // Missing until the worker writes its first line; the next round retries.
    (void)children_.workers[w]->FetchFile(worker_sources_[w].metrics_path);
  }
}

void ModeRun::CloseHostConnections() {
  for (const auto& [address, host] : hosts_) host.access.CloseSharedConnection();
  if (ssh_control_dir_.empty()) return;
  std::error_code ec;
  fs::remove_all(ssh_control_dir_, ec);
  ssh_control_dir_.clear();
}

absl::Status ModeRun::CheckNothingLeft() {
  std::vector<std::string> problems;
  for (const auto& [address, host] : hosts_) {
    absl::StatusOr<std::vector<std::string>> left =
        host.access.ProcessesOf(remote_paths_.remote_root);
    if (!left.ok()) {
      problems.push_back(absl::StrCat("host ", address, ": cannot list processes: ",
                                      left.status().message()));
    } else if (!left->empty()) {
      problems.push_back(absl::StrCat("host ", address, ": ", left->size(),
                                      " process(es) of this run still running: ",
                                      absl::StrJoin(*left, "; ")));
    }
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::InternalError(absl::StrJoin(problems, "\n"));
}

}  // namespace gaia::cli
