#include "apps/cnn/model_zoo.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "apps/cnn/layers/conv2d.h"
#include "apps/cnn/layers/elementwise.h"
#include "apps/cnn/layers/linear.h"
#include "apps/cnn/layers/norm.h"
#include "apps/cnn/layers/pool.h"

namespace gaia::cnn {
namespace {

constexpr int kMaxImageSide = 4096;
constexpr int kMaxChannels = 4096;
constexpr int kMaxClasses = 1 << 20;
constexpr int kMaxThreads = 1024;

// Appends layers to a graph under a name prefix.
class Builder {
 public:
  Builder(const ModelSpec& spec, Graph* graph) : spec_(spec), graph_(graph) {}

  int Conv(const std::string& name, int input, int in, int out, int kernel, int stride,
           int pad) {
    return graph_->Add(name,
                       std::make_unique<Conv2d>(Conv2dOptions{
                           .in_channels = in, .out_channels = out, .kernel = kernel,
                           .stride = stride, .pad = pad, .bias = spec_.norm == "none"}),
                       {input});
  }
  // The spec's normalization, or the input unchanged for "none".
  int Norm(const std::string& name, int input, int channels) {
    if (spec_.norm == "batch") {
      return graph_->Add(name, std::make_unique<BatchNorm2d>(BatchNorm2dOptions{channels}),
                         {input});
    }
    if (spec_.norm == "group") {
      return graph_->Add(
          name,
          std::make_unique<GroupNorm>(GroupNormOptions{.channels = channels,
                                                       .groups = spec_.groups}),
          {input});
    }
    return input;
  }
  int Relu(const std::string& name, int input) {
    return graph_->Add(name, std::make_unique<ReLU>(), {input});
  }
  int Linear(const std::string& name, int input, int in, int out) {
    return graph_->Add(name,
                       std::make_unique<gaia::cnn::Linear>(
                           LinearOptions{.in_features = in, .out_features = out}),
                       {input});
  }
  Graph* graph() { return graph_; }

 private:
  const ModelSpec& spec_;
  Graph* graph_;
};

void BuildLenet(const ModelSpec& spec, Builder& b) {
  int x = b.Conv("conv1", Graph::kInput, spec.in_channels, 16, 5, 1, 2);
  x = b.Relu("relu1", b.Norm("norm1", x, 16));
  x = b.graph()->Add("pool1", std::make_unique<MaxPool2d>(MaxPool2dOptions{2, 2}), {x});
  x = b.Conv("conv2", x, 16, 32, 5, 1, 2);
  x = b.Relu("relu2", b.Norm("norm2", x, 32));
  x = b.graph()->Add("pool2", std::make_unique<MaxPool2d>(MaxPool2dOptions{2, 2}), {x});
  const int features = 32 * (spec.in_height / 2 / 2) * (spec.in_width / 2 / 2);
  x = b.Relu("relu3", b.Linear("fc1", x, features, 128));
  b.Linear("fc2", x, 128, spec.classes);
}

// One basic block: conv3x3(stride) -> norm -> relu -> conv3x3 -> norm, plus
// the shortcut, then relu.
int BasicBlock(Builder& b, const std::string& p, int x, int in, int out, int stride) {
  int y = b.Conv(p + "conv1", x, in, out, 3, stride, 1);
  y = b.Relu(p + "relu1", b.Norm(p + "norm1", y, out));
  y = b.Norm(p + "norm2", b.Conv(p + "conv2", y, out, out, 3, 1, 1), out);
  int shortcut = x;
  if (stride != 1 || in != out) {
    shortcut = b.Conv(p + "shortcut.conv", x, in, out, 1, stride, 0);
    shortcut = b.Norm(p + "shortcut.norm", shortcut, out);
  }
  const int sum = b.graph()->Add(p + "add", std::make_unique<Add>(), {y, shortcut});
  return b.Relu(p + "relu2", sum);
}

void BuildResnet(const ModelSpec& spec, int blocks_per_stage, Builder& b) {
  int x = b.Conv("conv1", Graph::kInput, spec.in_channels, 16, 3, 1, 1);
  x = b.Relu("relu1", b.Norm("norm1", x, 16));
  int in = 16;
  for (int stage = 0; stage < 3; ++stage) {
    const int out = 16 << stage;
    for (int i = 0; i < blocks_per_stage; ++i) {
      const int stride = stage > 0 && i == 0 ? 2 : 1;
      x = BasicBlock(b, absl::StrCat("layer", stage + 1, ".", i, "."), x, in, out, stride);
      in = out;
    }
  }
  x = b.graph()->Add("pool", std::make_unique<GlobalAvgPool>(), {x});
  b.Linear("fc", x, 64, spec.classes);
}

}  // namespace

std::vector<std::string> ModelNames() { return {"lenet", "resnet8", "resnet20"}; }

absl::Status ValidateModelSpec(const ModelSpec& spec) {
  const std::vector<std::string> names = ModelNames();
  if (std::find(names.begin(), names.end(), spec.name) == names.end()) {
    return absl::InvalidArgumentError(absl::StrCat("ModelSpec.name: unknown model '",
                                                   spec.name, "' (known: ",
                                                   absl::StrJoin(names, ", "), ")"));
  }
  if (spec.norm != "group" && spec.norm != "batch" && spec.norm != "none") {
    return absl::InvalidArgumentError(absl::StrCat("ModelSpec.norm: unknown norm '", spec.norm,
                                                   "' (group, batch, none)"));
  }
  if (spec.norm == "group") {
    const int widest = spec.name == "lenet" ? 32 : 64;
    for (int channels = 16; channels <= widest; channels *= 2) {
      if (spec.groups < 1 || channels % spec.groups != 0) {
        return absl::InvalidArgumentError(absl::StrCat("ModelSpec.groups: ", spec.groups,
                                                       " does not divide the ", channels,
                                                       " channels of a normalized layer"));
      }
    }
  }
  if (spec.in_channels < 1 || spec.in_channels > kMaxChannels) {
    return absl::InvalidArgumentError(absl::StrCat("ModelSpec.in_channels must be in [1, ",
                                                   kMaxChannels, "], got ", spec.in_channels));
  }
  // lenet pools twice by 2, so it needs 4 pixels a side; ResNets need 1.
  const int min_side = spec.name == "lenet" ? 4 : 1;
  for (auto [field, side] : {std::pair{"in_height", spec.in_height},
                             std::pair{"in_width", spec.in_width}}) {
    if (side < min_side || side > kMaxImageSide) {
      return absl::InvalidArgumentError(absl::StrCat("ModelSpec.", field, " must be in [",
                                                     min_side, ", ", kMaxImageSide, "] for ",
                                                     spec.name, ", got ", side));
    }
  }
  if (spec.classes < 2 || spec.classes > kMaxClasses) {
    return absl::InvalidArgumentError(absl::StrCat("ModelSpec.classes must be in [2, ",
                                                   kMaxClasses, "], got ", spec.classes));
  }
  if (spec.threads < 0 || spec.threads > kMaxThreads) {
    return absl::InvalidArgumentError(absl::StrCat("ModelSpec.threads must be in [0, ",
                                                   kMaxThreads, "], got ", spec.threads));
  }
  return absl::OkStatus();
}

absl::Status BuildModelGraph(const ModelSpec& spec, Graph* graph) {
  if (absl::Status s = ValidateModelSpec(spec); !s.ok()) return s;
  Builder builder(spec, graph);
  if (spec.name == "lenet") {
    BuildLenet(spec, builder);
  } else {
    BuildResnet(spec, spec.name == "resnet8" ? 1 : 3, builder);
  }
  return absl::OkStatus();
}

}  // namespace gaia::cnn
