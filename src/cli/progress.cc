#include "src/cli/progress.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace gaia::cli {

std::map<std::string, uint64_t> LinkBytes(const RelayStats* relay, const MirrorTotals* mirror,
                                          const common::Topology& topo) {
  std::map<std::string, uint64_t> bytes;
  if (relay != nullptr) {
    for (const auto& [name, b] : relay->links) bytes[name] += b;
  } else if (mirror != nullptr && mirror->ok) {
    for (const auto& [key, link] : mirror->links) {
      bytes[absl::StrCat(topo.host_dcs[key.first], "->", topo.host_dcs[key.second])] += link.bytes;
    }
  }
  return bytes;
}

std::vector<LinkRate> LinkRates(const std::map<std::string, uint64_t>& now,
                                const std::map<std::string, uint64_t>& before, double dt_s) {
  std::vector<LinkRate> rates;
  for (const auto& [name, b] : now) {
    auto it = before.find(name);
    const uint64_t prev = it == before.end() ? 0 : std::min(it->second, b);
    rates.push_back({name, static_cast<double>(b - prev) / dt_s / 1e6});
  }
  std::stable_sort(rates.begin(), rates.end(),
                   [](const LinkRate& a, const LinkRate& b) { return a.mb_per_s > b.mb_per_s; });
  return rates;
}

std::string FormatProgress(const ProgressState& state) {
  std::string line =
      absl::StrFormat("[%s] %6.1fs  clock", common::ModeName(state.mode), state.elapsed_s);
  for (size_t d = 0; d < state.dcs.size(); ++d) {
    const int64_t clock = state.dc_clocks[d];
    absl::StrAppend(&line, " ", state.dcs[d], "=",
                    clock < 0 ? std::string("-") : absl::StrCat(clock + 1), "/", state.clocks);
  }
  if (state.objective)
    absl::StrAppend(&line, absl::StrFormat("  objective %.6g", *state.objective));
  if (state.held_out) {
    absl::StrAppend(&line, "  ", state.held_out_name, absl::StrFormat(" %.6g", *state.held_out));
  }
  absl::StrAppend(&line, absl::StrFormat("  updates/s %.3gk", state.updates_per_s / 1000.0));
  if (state.dcs.size() > 1) {
    absl::StrAppend(&line,
                    absl::StrFormat("  wan %.2f MB", static_cast<double>(state.wan_bytes) / 1e6));
  }
  // Per-link MB/s, busiest first; at most three links on the line.
  constexpr size_t kLinksShown = 3;
  const std::vector<LinkRate>& links = state.links;
  for (size_t i = 0; i < links.size() && i < kLinksShown; ++i) {
    absl::StrAppend(&line, i == 0 ? " [" : ", ", links[i].name,
                    absl::StrFormat(" %.2f MB/s", links[i].mb_per_s));
  }
  if (links.size() > kLinksShown)
    absl::StrAppend(&line, ", +", links.size() - kLinksShown, " links");
  if (!links.empty()) absl::StrAppend(&line, "]");
  if (state.mirror != nullptr && state.mirror->ok) {
    absl::StrAppend(
        &line, absl::StrFormat("  filtered %.1f%%", 100.0 * state.mirror->filtered_fraction()));
  }
  return line;
}

}  // namespace gaia::cli
