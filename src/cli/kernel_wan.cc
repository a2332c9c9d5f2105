#include "src/cli/kernel_wan.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/common/logging.h"
#include "src/wan/netns_emulator.h"

namespace gaia::cli {

KernelWan::~KernelWan() {
  if (!plan_) return;
  if (absl::Status st = wan::Down(plan_->name); !st.ok()) {
    common::Logger("launcher")->warn("wan emulator {}: {}", plan_->name, std::string(st.message()));
  }
}

absl::Status KernelWan::Start(const wan::LinkMatrix& links, const std::vector<std::string>& dcs) {
  wan::NetnsOptions options;
  // A name of the run's own: two launchers on one host never share an instance.
  options.name = absl::StrFormat("r%x", static_cast<unsigned>(getpid()) & 0xffffffu);
  absl::StatusOr<std::string> subnet = wan::ChooseSubnet(options.name);
  if (!subnet.ok()) return subnet.status();
  options.subnet = *subnet;
  absl::StatusOr<wan::NetnsPlan> plan = wan::Up(links, dcs, options);
  if (!plan.ok()) {
    return absl::Status(plan.status().code(),
                        absl::StrCat("wan.emulate: netns: ", plan.status().message()));
  }
  plan_ = std::move(*plan);
  return absl::OkStatus();
}

}  // namespace gaia::cli
