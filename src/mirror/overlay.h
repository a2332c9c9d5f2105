// Who sends what to whom between DCs (DESIGN.md §4.2.6, thesis §5.3.5).
//
// DCs form groups. Inside a group every DC sends its significant updates to
// every other member. Towards another group H, group G sends through one hub:
// hub(G→H), a member of G, forwards what it receives from its own group (and
// its own updates) to hub(H→G), which applies them and re-broadcasts them in
// H, marked `relayed` so that nobody in H forwards them again. Without an
// overlay all DCs are one group: a full broadcast.
//
//   Overlay overlay = Overlay::FromSpec(spec);       // spec validated already
//   for (uint32_t dc : overlay.OwnTargets(self)) ... // where my updates go
//   for (const Overlay::Forward& f : overlay.ForwardTargets(self, from, relayed)) ...
//
// Immutable; thread-safe.
#ifndef GAIA_SRC_MIRROR_OVERLAY_H_
#define GAIA_SRC_MIRROR_OVERLAY_H_

#include <cstdint>
#include <vector>

#include "src/common/job_spec.h"

namespace gaia::mirror {

class Overlay {
 public:
  struct Forward {
    uint32_t dc = 0;
    bool relayed = false;  // MirrorBatch.relayed on that link
  };

  // Groups and hubs from spec.overlay (one group of all DCs if empty).
  // REQUIRES: the spec passed ParseJobSpec (every DC in one group, every
  // group with a hub towards every other).
  static Overlay FromSpec(const common::JobSpec& spec);

  // group_of[dc] = group; hub[g][h] = the DC of group g that sends to group h
  // (unused when g == h). REQUIRES: consistent sizes and memberships.
  Overlay(std::vector<uint32_t> group_of, std::vector<std::vector<uint32_t>> hub);

  uint32_t num_dcs() const { return static_cast<uint32_t>(group_of_.size()); }
  uint32_t group_of(uint32_t dc) const { return group_of_[dc]; }

  // The DCs `self` sends its own significant updates and clocks to.
  std::vector<uint32_t> OwnTargets(uint32_t self) const;

  // Where `self` forwards a batch it received from `from` (with the
  // batch's `relayed` flag): nowhere, on to other groups' hubs, or around
  // its own group.
  std::vector<Forward> ForwardTargets(uint32_t self, uint32_t from, bool relayed) const;

  // Every DC `self` ever sends to: its own targets and forward targets.
  std::vector<uint32_t> OutLinks(uint32_t self) const;

 private:
  std::vector<uint32_t> group_of_;
  std::vector<std::vector<uint32_t>> hub_;
};

}  // namespace gaia::mirror

#endif  // GAIA_SRC_MIRROR_OVERLAY_H_
