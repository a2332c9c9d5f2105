// `gaia wan up|down|status|check`: the kernel WAN emulator
// (src/wan/netns_emulator.h, docs/WAN_KERNEL.md).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "src/cli/commands.h"
#include "src/wan/link_check.h"
#include "src/wan/link_matrix.h"
#include "src/wan/netns_emulator.h"
#include "src/wan/netns_plan.h"

namespace gaia::cli {
namespace {

using wan::EmulatorState;
using wan::NetnsPlan;

int Fail(const std::string& what, int code) {
  std::cerr << "gaia wan: " << what << "\n";
  return code;
}

// Exit code for a library error: bad input is 2, everything else 1.
int CodeOf(const absl::Status& s) { return s.code() == absl::StatusCode::kInvalidArgument ? 2 : 1; }

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

std::string Pad(const std::string& s, size_t width) {
  return s.size() >= width ? s + " " : s + std::string(width - s.size(), ' ');
}

std::string DelayMode(const NetnsPlan& plan) {
  return plan.kernel_delay ? "netem in the kernel" : "userspace relay (no netem)";
}

void PrintDcs(const NetnsPlan& plan) {
  size_t w = 4;
  for (const wan::NetnsDc& dc : plan.dcs) w = std::max(w, dc.dc.size() + 2);
  std::cout << "  " << Pad("DC", w) << Pad("address", 17) << Pad("namespace", w + 12)
            << "host veth\n";
  for (const wan::NetnsDc& dc : plan.dcs) {
    std::cout << "  " << Pad(dc.dc, w) << Pad(dc.ip, 17) << Pad(dc.netns, w + 12) << dc.veth_host
              << "\n";
  }
  std::cout << "  host: " << plan.host_ip << "/" << plan.prefix_len << " on bridge " << plan.bridge
            << " (unshaped to every DC)\n";
}

}  // namespace

int WanUpCommand(const WanFlags& flags) {
  if (flags.preset.empty() == flags.matrix_path.empty()) {
    return Fail("up needs exactly one of --preset NAME or --matrix FILE", 2);
  }
  absl::StatusOr<wan::LinkMatrix> matrix =
      flags.preset.empty() ? wan::LoadLinkMatrix(flags.matrix_path, flags.symmetric)
                           : wan::LoadPreset(flags.preset, flags.symmetric);
  if (!matrix.ok()) return Fail(std::string(matrix.status().message()), 2);
  const std::vector<std::string> dcs = flags.dcs.empty() ? matrix->regions() : flags.dcs;

  wan::NetnsOptions options;
  options.name = flags.name;
  if (!flags.subnet.empty()) options.subnet = flags.subnet;
  // Input errors (name, DCs, subnet, missing links) before anything else.
  if (absl::StatusOr<NetnsPlan> p = wan::PlanNetns(*matrix, dcs, options); !p.ok()) {
    return Fail(std::string(p.status().message()), 2);
  }
  const wan::KernelSupport support = wan::ProbeKernel();
  if (!support.ok) return Fail(support.reason, 1);
  if (flags.subnet.empty()) {
    absl::StatusOr<std::string> subnet = wan::ChooseSubnet(flags.name);
    if (!subnet.ok()) return Fail(std::string(subnet.status().message()), 1);
    options.subnet = *subnet;
  }
  absl::StatusOr<NetnsPlan> plan = wan::Up(*matrix, dcs, options);
  if (!plan.ok()) return Fail(std::string(plan.status().message()), CodeOf(plan.status()));
  std::cout << "gaia wan: emulator " << plan->name << " is up: " << plan->dcs.size() << " DCs, "
            << plan->links.size() << " shaped links from " << matrix->source() << "\n";
  PrintDcs(*plan);
  std::cout << "  delay: " << DelayMode(*plan) << "\n";
  if (!support.netem) std::cout << "  (" << support.reason << ")\n";
  std::cout << "measure with: gaia wan check --name " << plan->name
            << "; remove with: gaia wan down --name " << plan->name << "\n";
  return 0;
}

int WanDownCommand(const WanFlags& flags) {
  std::vector<std::string> names;
  if (flags.all) {
    absl::StatusOr<std::vector<EmulatorState>> states = wan::ListEmulators();
    if (!states.ok()) return Fail(std::string(states.status().message()), 1);
    for (const EmulatorState& s : *states) names.push_back(s.name);
    if (names.empty()) {
      std::cout << "gaia wan: no emulator is up\n";
      return 0;
    }
  } else {
    if (absl::Status s = wan::ValidateNetnsName(flags.name); !s.ok()) {
      return Fail(std::string(s.message()), 2);
    }
    names.push_back(flags.name);
  }
  if (geteuid() != 0) {
    return Fail("down needs root to delete namespaces and interfaces", 1);
  }
  int code = 0;
  for (const std::string& name : names) {
    if (absl::Status s = wan::Down(name); !s.ok()) {
      code = Fail(std::string(s.message()), 1);
    } else {
      std::cout << "gaia wan: emulator " << name << " is down\n";
    }
  }
  return code;
}

int WanStatusCommand() {
  absl::StatusOr<std::vector<EmulatorState>> states = wan::ListEmulators();
  if (!states.ok()) return Fail(std::string(states.status().message()), 1);
  if (states->empty()) std::cout << "gaia wan: no emulator is up (" << wan::StateDir() << ")\n";
  for (const EmulatorState& s : *states) {
    std::cout << s.name << ": " << wan::HealthName(s.health) << ", matrix " << s.matrix_source
              << ", subnet " << s.plan.subnet << ", delay: " << DelayMode(s.plan) << "\n";
    switch (s.health) {
      case EmulatorState::Health::kUp:
        break;
      case EmulatorState::Health::kCreating:
        std::cout << "  being created by process " << s.creator_pid << "\n";
        break;
      case EmulatorState::Health::kStale:
        std::cout << "  left by a crashed run or partly removed";
        if (!s.missing.empty()) std::cout << " (missing: " << absl::StrJoin(s.missing, ", ") << ")";
        std::cout << "; clean with: gaia wan down --name " << s.name << "\n";
        break;
    }
    PrintDcs(s.plan);
  }
  const std::vector<std::string> unlisted = wan::UnlistedNamespaces();
  if (!unlisted.empty()) {
    std::cout << "namespaces named like gaia wan's but in no state file (not touched): "
              << absl::StrJoin(unlisted, ", ") << "\n";
  }
  return 0;
}

int WanCheckCommand(const WanFlags& flags) {
  if (!(flags.seconds > 0 && flags.seconds <= 600)) {
    return Fail("--seconds must be in (0, 600]", 2);
  }
  if (absl::Status s = wan::ValidateNetnsName(flags.name); !s.ok()) {
    return Fail(std::string(s.message()), 2);
  }
  absl::StatusOr<EmulatorState> state = wan::FindEmulator(flags.name);
  if (!state.ok()) return Fail(std::string(state.status().message()), 1);
  if (state->health != EmulatorState::Health::kUp) {
    return Fail(absl::StrCat("emulator ", flags.name, " is ", wan::HealthName(state->health),
                             ", not up; see gaia wan status"),
                1);
  }
  const wan::KernelSupport support = wan::ProbeKernel();
  if (!support.ok) return Fail(support.reason, 1);
  std::cout << "gaia wan: measuring " << state->plan.links.size() << " links of " << flags.name
            << ", " << flags.seconds << " s each\n";
  absl::StatusOr<std::vector<wan::LinkMeasurement>> links =
      wan::CheckLinks(state->plan, state->matrix, flags.seconds);
  if (!links.ok()) return Fail(std::string(links.status().message()), 1);
  size_t w = 6;
  for (const wan::LinkMeasurement& m : *links) w = std::max(w, m.from.size() + m.to.size() + 4);
  std::cout << Pad("link", w) << Pad("set Mbit/s", 12) << Pad("measured Mbit/s", 17)
            << Pad("error %", 9) << Pad("set ms", 8) << "measured ms\n";
  for (const wan::LinkMeasurement& m : *links) {
    const double err = wan::RateErrorPercent(m);
    std::cout << Pad(m.from + "->" + m.to, w) << Pad(Fixed(m.set_mbps, 2), 12)
              << Pad(Fixed(m.mbps, 2), 17) << Pad((err >= 0 ? "+" : "") + Fixed(err, 1), 9)
              << Pad(Fixed(m.set_delay_ms, 1), 8) << Fixed(m.delay_ms, 2)
              << (m.delay_in_kernel ? "" : " *") << "\n";
  }
  if (!state->plan.kernel_delay) {
    std::cout << "* no netem in this kernel: the userspace relay adds the set delay; the "
                 "measured ms is the kernel path alone\n";
  }
  return 0;
}

}  // namespace gaia::cli
