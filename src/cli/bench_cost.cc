#include "src/cli/bench_cost.h"

#include <algorithm>
#include <string>
#include <vector>

namespace gaia::cli {
namespace {

void AddNote(std::vector<std::string>* notes, const std::string& note) {
  if (std::find(notes->begin(), notes->end(), note) == notes->end()) notes->push_back(note);
}

}  // namespace

absl::Status AddCosts(const PriceTable& prices, RepeatOutcome* outcome) {
  absl::StatusOr<std::vector<RunUsage>> usage = ReadRunUsage(outcome->run_dir);
  if (!usage.ok()) return usage.status();
  const RunUsage* lan = nullptr;
  const RunUsage* multi_dc = nullptr;
  for (const RunUsage& u : *usage) {
    if (u.mode == "lan") {
      lan = &u;
    } else if (multi_dc == nullptr) {
      multi_dc = &u;
    }
    const RunCost cost = PriceRun(u, prices, /*region_of=*/{});
    for (const std::string& note : cost.notes) AddNote(&outcome->notes, note);
    for (ModeOutcome& m : outcome->modes) {
      if (m.mode == u.mode) m.cost = CostBreakdown{cost.compute_usd, cost.wait_usd, cost.wan_usd};
    }
  }
  if (lan == nullptr || multi_dc == nullptr) return absl::OkStatus();

  absl::StatusOr<std::map<std::pair<std::string, std::string>, double>> mbps =
      ReadLinkMbps(outcome->run_dir);
  if (!mbps.ok()) return mbps.status();
  const CentralizedCost c = PriceCentralized(*lan, *multi_dc, *mbps, prices, /*region_of=*/{});
  for (const std::string& note : c.notes) AddNote(&outcome->notes, note);
  ModeOutcome centralized;
  centralized.mode = kCentralized;
  if (lan->to_target) centralized.time_to_target_s = c.total_s();
  centralized.wan_bytes = c.moved_bytes;
  centralized.cost = CostBreakdown{c.train_usd, c.mover_usd, c.transfer_usd};
  outcome->modes.push_back(centralized);
  return absl::OkStatus();
}

}  // namespace gaia::cli
