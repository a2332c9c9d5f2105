#include "src/mirror/overlay.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>

namespace gaia::mirror {

Overlay Overlay::FromSpec(const common::JobSpec& spec) {
  const uint32_t num_dcs = static_cast<uint32_t>(spec.dcs.size());
  if (spec.overlay.empty()) {
    return Overlay(std::vector<uint32_t>(num_dcs, 0), {{0}});
  }
  std::map<std::string, uint32_t> dc_index, group_index;
  for (uint32_t d = 0; d < num_dcs; ++d) dc_index[spec.dcs[d].name] = d;
  for (uint32_t g = 0; g < spec.overlay.size(); ++g) group_index[spec.overlay[g].name] = g;
  std::vector<uint32_t> group_of(num_dcs, 0);
  const uint32_t num_groups = static_cast<uint32_t>(spec.overlay.size());
  std::vector<std::vector<uint32_t>> hub(num_groups, std::vector<uint32_t>(num_groups, 0));
  for (uint32_t g = 0; g < num_groups; ++g) {
    const common::OverlayGroupSpec& group = spec.overlay[g];
    for (const std::string& dc : group.dcs) group_of[dc_index.at(dc)] = g;
    for (uint32_t h = 0; h < num_groups; ++h) hub[g][h] = dc_index.at(group.dcs.front());
    for (const auto& [dest, hub_dc] : group.hubs) hub[g][group_index.at(dest)] = dc_index.at(hub_dc);
  }
  return Overlay(std::move(group_of), std::move(hub));
}

Overlay::Overlay(std::vector<uint32_t> group_of, std::vector<std::vector<uint32_t>> hub)
    : group_of_(std::move(group_of)), hub_(std::move(hub)) {}

std::vector<uint32_t> Overlay::OwnTargets(uint32_t self) const {
  const uint32_t g = group_of_[self];
  std::vector<uint32_t> targets;
  for (uint32_t d = 0; d < num_dcs(); ++d) {
    if (d != self && group_of_[d] == g) targets.push_back(d);
  }
  // Towards another group only if `self` is this group's hub for it; the
  // hub forwards the other members' updates.
  for (uint32_t h = 0; h < hub_.size(); ++h) {
    if (h != g && hub_[g][h] == self) targets.push_back(hub_[h][g]);
  }
  return targets;
}

std::vector<Overlay::Forward> Overlay::ForwardTargets(uint32_t self, uint32_t from,
                                                      bool relayed) const {
  const uint32_t g = group_of_[self];
  std::vector<Forward> forwards;
  if (group_of_[from] == g) {
    if (relayed) return forwards;  // came into the group through a hub already
    for (uint32_t h = 0; h < hub_.size(); ++h) {
      if (h != g && hub_[g][h] == self) forwards.push_back({hub_[h][g], false});
    }
    return forwards;
  }
  // From another group's hub: re-broadcast in this group.
  for (uint32_t d = 0; d < num_dcs(); ++d) {
    if (d != self && group_of_[d] == g) forwards.push_back({d, true});
  }
  return forwards;
}

std::vector<uint32_t> Overlay::OutLinks(uint32_t self) const {
  std::vector<uint32_t> links = OwnTargets(self);
  for (uint32_t from = 0; from < num_dcs(); ++from) {
    if (from == self) continue;
    for (bool relayed : {false, true}) {
      for (const Forward& f : ForwardTargets(self, from, relayed)) links.push_back(f.dc);
    }
  }
  std::sort(links.begin(), links.end());
  links.erase(std::unique(links.begin(), links.end()), links.end());
  return links;
}

}  // namespace gaia::mirror
