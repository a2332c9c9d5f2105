#include "src/cli/mirror_monitor.h"

#include <algorithm>
#include <chrono>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "src/common/rpc_options.h"
#include "src/mirror/link_call.h"

namespace gaia::cli {

uint64_t MirrorTotals::bytes() const {
  uint64_t total = 0;
  for (const auto& [key, link] : links) total += link.bytes;
  return total;
}

double MirrorTotals::filtered_fraction() const {
  if (elements_seen == 0) return 0;
  return 1.0 - static_cast<double>(std::min(elements_sent, elements_seen)) /
                   static_cast<double>(elements_seen);
}

double MirrorTotals::insignificant_fraction() const {
  if (updates_scored == 0) return 0;
  return static_cast<double>(updates_insignificant) / static_cast<double>(updates_scored);
}

MirrorMonitor::MirrorMonitor(const std::vector<std::string>& addresses,
                             std::shared_ptr<const common::LinkSecurity> security)
    : addresses_(addresses) {
  for (const std::string& address : addresses_) {
    stubs_.push_back(rpc::Mirror::NewStub(mirror::MirrorChannel(address, security)));
  }
}

MirrorTotals MirrorMonitor::Poll(absl::Duration rpc_deadline) const {
  MirrorTotals totals;
  totals.ok = true;
  totals.settled = true;
  for (const auto& stub : stubs_) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         absl::ToChronoMilliseconds(rpc_deadline));
    rpc::MirrorStatusRequest request;
    rpc::MirrorStatusReply reply;
    if (!stub->Status(&context, request, &reply).ok()) {
      totals.ok = false;
      totals.settled = false;
      continue;
    }
    totals.settled = totals.settled && reply.final_flush_done() && reply.idle();
    totals.elements_seen += reply.elements_seen();
    totals.elements_sent += reply.elements_sent();
    totals.updates_scored += reply.updates_scored();
    totals.updates_insignificant += reply.updates_insignificant();
    totals.hard_threshold = std::max(totals.hard_threshold, reply.hard_threshold());
    totals.soft_threshold = std::max(totals.soft_threshold, reply.soft_threshold());
    for (const rpc::MirrorLinkStats& link : reply.links()) {
      totals.messages += link.messages();
      if (link.outgoing()) {
        MirrorLinkTotals& t = totals.links[{reply.dc(), link.peer_dc()}];
        t.bytes += link.bytes();
        t.messages += link.messages();
        t.elements += link.elements();
        t.barriers += link.barriers();
        t.retransmitted += link.retransmitted();
      } else {
        MirrorLinkTotals& t = totals.links[{link.peer_dc(), reply.dc()}];
        t.rejected += link.rejected();
        t.barrier_blocked_s += link.barrier_blocked_s();
        t.clock_stall_s += link.clock_stall_s();
      }
    }
  }
  return totals;
}

absl::Status MirrorMonitor::AwaitSettled(absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  uint64_t last_messages = ~uint64_t{0};
  MirrorTotals totals;
  while (absl::Now() < deadline) {
    totals = Poll();
    if (totals.settled && totals.messages == last_messages) return absl::OkStatus();
    last_messages = totals.settled ? totals.messages : ~uint64_t{0};
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "the mirrors did not settle after the final flush within ", absl::FormatDuration(timeout),
      totals.ok ? " (a WAN link may be down or too slow)" : " (a shard did not answer)"));
}

absl::StatusOr<uint64_t> MirrorMonitor::FlushAll() const {
  uint64_t total = 0;
  for (size_t i = 0; i < stubs_.size(); ++i) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    rpc::FlushRequest request;
    rpc::FlushReply reply;
    grpc::Status status = stubs_[i]->Flush(&context, request, &reply);
    if (!status.ok()) {
      return absl::UnavailableError(
          absl::StrCat("flush of ", addresses_[i], " failed: ", status.error_message()));
    }
    total += reply.elements_flushed();
  }
  return total;
}

}  // namespace gaia::cli
