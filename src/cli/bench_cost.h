// Prices the runs `gaia bench` made with the cost model (cost_model.h):
// every mode of a repeat, and the CENTRALIZED estimate next to them.
#ifndef GAIA_SRC_CLI_BENCH_COST_H_
#define GAIA_SRC_CLI_BENCH_COST_H_

#include "absl/status/status.h"
#include "src/cli/bench_report.h"
#include "src/cli/cost_model.h"

namespace gaia::cli {

// Sets the cost of each of `outcome`'s modes from its run folder
// (ReadRunUsage; DCs are priced as the regions they are named after, lan in
// the job's first DC) and appends a kCentralized mode: its time is moving
// the raw data plus the lan run's time to target, its WAN bytes the data
// moved, its cost training (computing), the low-cost instances that move the
// data (waiting on the network) and the transfer (WAN). Without a lan run
// or a multi-DC run there is no CENTRALIZED mode. The cost model's notes go
// to outcome->notes. An error (a run folder the cost model cannot read)
// leaves `outcome` unpriced.
absl::Status AddCosts(const PriceTable& prices, RepeatOutcome* outcome);

}  // namespace gaia::cli

#endif  // GAIA_SRC_CLI_BENCH_COST_H_
