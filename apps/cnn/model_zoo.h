// The networks apps/cnn trains, by name:
//
//   "lenet":    conv5x5(C->16, pad 2) -> norm -> relu -> maxpool2 ->
//               conv5x5(16->32, pad 2) -> norm -> relu -> maxpool2 ->
//               linear(32*(H/4)*(W/4) -> 128) -> relu -> linear(128 -> classes)
//   "resnet8", "resnet20": the CIFAR ResNet of He et al. 2016 §4.2 with n = 1
//               or 3 basic blocks per stage: conv3x3(C->16) -> norm -> relu,
//               stages of 16, 32, 64 channels (stride 2 at stages 2 and 3;
//               a 1x1 conv + norm projection where the shape changes),
//               global average pool, linear(64 -> classes).
//
// norm is "group" (GroupNorm with `groups` groups), "batch" (BatchNorm2d) or
// "none"; convolutions carry a bias only with "none". Layer names follow
// PyTorch's module paths: conv1, norm1, fc1, layer2.0.conv1, layer2.0.shortcut.conv, ...
//
//   ModelSpec spec{.name = "resnet8", .norm = "batch", .in_channels = 3,
//                  .in_height = 32, .in_width = 32};
//   Graph graph;
//   absl::Status s = BuildModelGraph(spec, &graph);   // then graph.Finalize(...)
//
// (Model::Create does both; this is for code that wants the bare graph.)
#ifndef GAIA_APPS_CNN_MODEL_ZOO_H_
#define GAIA_APPS_CNN_MODEL_ZOO_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "apps/cnn/graph.h"

namespace gaia::cnn {

struct ModelSpec {
  std::string name = "lenet";   // "lenet", "resnet8", "resnet20"
  std::string norm = "group";   // "group", "batch", "none"
  int groups = 4;               // GroupNorm groups; must divide 16, 32 (and 64 for ResNets)
  int in_channels = 1;          // input image: channels x height x width
  int in_height = 28;
  int in_width = 28;
  int classes = 10;             // outputs; >= 2
  uint64_t seed = 1;            // initialization
  int threads = 0;              // CPU threads per step; 0 = std::thread::hardware_concurrency()
};

// The names ModelSpec.name accepts.
std::vector<std::string> ModelNames();

// InvalidArgument naming the ModelSpec field that is out of range (unknown
// name or norm, groups not dividing a normalized layer's channels, an image
// too small for the network, ...).
absl::Status ValidateModelSpec(const ModelSpec& spec);

// Validates spec and appends the network's layers to an empty graph (not
// finalized).
absl::Status BuildModelGraph(const ModelSpec& spec, Graph* graph);

}  // namespace gaia::cnn

#endif  // GAIA_APPS_CNN_MODEL_ZOO_H_
