#include "src/common/job_spec_hosts.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <cerrno>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "src/common/job_spec_sections.h"

namespace gaia::common::internal {
namespace {

// Letters, digits, '.', '-', ':' (IPv6) and '_': a host name or an address,
// never anything a shell or ssh would read as an option.
bool IsAddress(const std::string& s) {
  if (s.empty() || s.size() > kMaxAddressLen || s[0] == '-') return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' &&
        c != ':' && c != '_') {
      return false;
    }
  }
  return true;
}

bool IsUserName(const std::string& s) {
  return IsName(s, "_.-", 64) && s[0] != '-';
}

// The addresses of this machine's interfaces in the calling thread's
// network namespace, as text.
std::vector<std::string> OwnAddresses() {
  std::vector<std::string> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  std::unique_ptr<ifaddrs, void (*)(ifaddrs*)> owner(list, &freeifaddrs);
  for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr) continue;
    char text[INET6_ADDRSTRLEN] = {};
    if (a->ifa_addr->sa_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, text,
                sizeof(text));
    } else if (a->ifa_addr->sa_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(a->ifa_addr)->sin6_addr, text,
                sizeof(text));
    } else {
      continue;
    }
    out.push_back(text);
  }
  return out;
}

}  // namespace

void ParseHosts(YamlReader* r, const YAML::Node& node, const std::string& path,
                std::vector<HostSpec>* out) {
  const std::vector<YAML::Node> elems = r->Sequence(node, path);
  if (!r->ok()) return;
  if (!r->Check(!elems.empty() && elems.size() <= kMaxHostsPerDc, node, path,
                absl::StrCat("must list between 1 and ", kMaxHostsPerDc, " hosts, got ",
                             elems.size()))) {
    return;
  }
  for (size_t i = 0; i < elems.size() && r->ok(); ++i) {
    const std::string host_path = Index(path, i);
    const YamlFields f =
        r->Fields(elems[i], host_path, {"address", "ssh_user", "ssh_port", "shards", "workers"});
    HostSpec host;
    if (const YAML::Node* n = f.Get("address", true)) {
      r->String(*n, f.PathOf("address"), &host.address);
      r->Check(!r->ok() || IsAddress(host.address), *n, f.PathOf("address"),
               absl::StrCat("must be a host name or IP address (letters, digits, '.', '-', "
                            "':', '_'; not starting with '-'), got ",
                            Describe(*n)));
      for (size_t j = 0; j < out->size() && r->ok(); ++j) {
        r->Check((*out)[j].address != host.address, *n, f.PathOf("address"),
                 absl::StrCat("host ", host.address, " is listed twice (also ", Index(path, j),
                              ")"));
      }
    }
    if (const YAML::Node* n = f.Get("ssh_user")) {
      r->String(*n, f.PathOf("ssh_user"), &host.ssh_user);
      r->Check(!r->ok() || IsUserName(host.ssh_user), *n, f.PathOf("ssh_user"),
               absl::StrCat("must be a user name (letters, digits, '_', '.', '-'), got ",
                            Describe(*n)));
    }
    if (const YAML::Node* n = f.Get("ssh_port")) {
      r->Unsigned(*n, f.PathOf("ssh_port"), 1, 65535, &host.ssh_port);
    }
    if (const YAML::Node* n = f.Get("shards")) {
      uint32_t v = 0;
      r->Unsigned(*n, f.PathOf("shards"), 0, kMaxShardsPerDc, &v);
      host.shards = v;
    }
    if (const YAML::Node* n = f.Get("workers")) {
      uint32_t v = 0;
      r->Unsigned(*n, f.PathOf("workers"), 0, kMaxWorkersPerDc, &v);
      host.workers = v;
    }
    out->push_back(std::move(host));
  }
}

void CheckHostCounts(YamlReader* r, const DcSpec& dc, const YAML::Node& node,
                     const std::string& path) {
  struct Role {
    const char* name;
    uint32_t want;
    std::optional<uint32_t> HostSpec::*count;
  };
  for (const Role& role : {Role{"shards", dc.shards, &HostSpec::shards},
                           Role{"workers", dc.workers, &HostSpec::workers}}) {
    size_t given = 0;
    uint64_t sum = 0;
    for (const HostSpec& h : dc.hosts) {
      if (h.*role.count) {
        ++given;
        sum += *(h.*role.count);
      }
    }
    if (given == 0) continue;
    if (!r->Check(given == dc.hosts.size(), node, path,
                  absl::StrCat("DC ", dc.name, ": ", given, " of ", dc.hosts.size(),
                               " hosts give '", role.name,
                               "'; give it for every host or for none (round-robin)"))) {
      return;
    }
    if (!r->Check(sum == role.want, node, path,
                  absl::StrCat("DC ", dc.name, ": the hosts' '", role.name, "' add up to ", sum,
                               " but the DC has ", role.want))) {
      return;
    }
  }
}

void ParseSsh(YamlReader* r, const YAML::Node& node, SshSpec* out) {
  const YamlFields f =
      r->Fields(node, "ssh", {"identity_file", "known_hosts", "options", "remote_dir"});
  if (const YAML::Node* n = f.Get("identity_file")) {
    ReadPath(r, *n, f.PathOf("identity_file"), &out->identity_file);
  }
  if (const YAML::Node* n = f.Get("known_hosts")) {
    ReadPath(r, *n, f.PathOf("known_hosts"), &out->known_hosts);
  }
  if (const YAML::Node* n = f.Get("options")) {
    const std::vector<YAML::Node> elems = r->Sequence(*n, f.PathOf("options"));
    for (size_t i = 0; i < elems.size() && r->ok(); ++i) {
      std::string option;
      r->String(elems[i], Index(f.PathOf("options"), i), &option);
      out->options.push_back(option);
    }
  }
  if (const YAML::Node* n = f.Get("remote_dir")) {
    std::string dir;
    ReadPath(r, *n, f.PathOf("remote_dir"), &dir);
    if (!r->ok()) return;
    // It is spliced into remote shell commands: keep it to plain path characters.
    bool plain = dir[0] == '/';
    for (char c : dir) {
      plain = plain && (absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                        c == '/' || c == '.' || c == '_' || c == '-');
    }
    if (r->Check(plain, *n, f.PathOf("remote_dir"),
                 absl::StrCat("must be an absolute path of letters, digits, '/', '.', '_', '-', "
                              "got ", Describe(*n)))) {
      out->remote_dir = dir;
    }
  }
}

absl::Status MergeInventory(const std::string& path, const std::string& spec_source,
                            const std::vector<int>& spec_hosts_lines, std::vector<DcSpec>* dcs) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("inventory: cannot read ", path, ": ",
                     std::error_code(errno, std::generic_category()).message()));
  }
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<YAML::Node> root = LoadOneDocument(text.str(), path);
  if (!root.ok()) return root.status();
  YamlReader r(path);
  if (root->IsNull()) {
    r.FailAtLine(1, "", "empty inventory (expected a map with dcs)");
    return r.status();
  }
  const YamlFields top = r.Fields(*root, "", {"dcs"});
  const YAML::Node* by_dc = top.Get("dcs", true);
  if (!r.ok()) return r.status();
  const YamlFields entries = r.AnyFields(*by_dc, "dcs");
  for (const YamlEntry& e : entries.entries()) {
    if (!r.ok()) break;
    const std::string entry_path = entries.PathOf(e.key);
    size_t d = 0;
    while (d < dcs->size() && (*dcs)[d].name != e.key) ++d;
    if (!r.Check(d < dcs->size(), e.key_node, entry_path,
                 absl::StrCat("DC ", e.key, " is not in the job spec's dcs"))) {
      break;
    }
    if (spec_hosts_lines[d] != 0) {
      r.Fail(e.key_node, entry_path,
             absl::StrCat("DC ", e.key, " lists hosts here and in ",
                          spec_source.empty() ? "<string>" : spec_source, ":",
                          spec_hosts_lines[d], " (dcs[", d,
                          "].hosts); keep one of the two"));
      break;
    }
    ParseHosts(&r, e.value, entry_path, &(*dcs)[d].hosts);
    if (r.ok()) CheckHostCounts(&r, (*dcs)[d], e.value, entry_path);
  }
  return r.status();
}

}  // namespace gaia::common::internal

namespace gaia::common {

bool IsLocalAddress(const std::string& address) {
  if (address == "localhost" || address == "::1") return true;
  in_addr v4;
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127) {
    return true;
  }
  for (const std::string& own : internal::OwnAddresses()) {
    if (own == address) return true;
  }
  return false;
}

bool JobSpansHosts(const JobSpec& spec) {
  for (const DcSpec& dc : spec.dcs) {
    for (const HostSpec& host : dc.hosts) {
      if (!IsLocalAddress(host.address)) return true;
    }
  }
  return false;
}

}  // namespace gaia::common
