#include "apps/cnn/graph.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "apps/cnn/random.h"

namespace gaia::cnn {

int Graph::Add(std::string name, std::unique_ptr<Layer> layer, std::vector<int> inputs) {
  Node& node = nodes_.emplace_back();
  node.name = std::move(name);
  node.layer = std::move(layer);
  node.inputs = std::move(inputs);
  return static_cast<int>(nodes_.size()) - 1;
}

absl::Status Graph::CheckShapes(Shape sample) {
  if (nodes_.empty()) return absl::InvalidArgumentError("Graph: no layers");
  sample.n = 1;
  std::vector<Shape> shapes;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    Node& node = nodes_[i];
    if (node.layer == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("Graph: layer ", node.name, " is null"));
    }
    if (static_cast<int>(node.inputs.size()) != node.layer->num_inputs()) {
      return absl::InvalidArgumentError(absl::StrCat("Graph: layer ", node.name, " takes ",
                                                     node.layer->num_inputs(), " inputs"));
    }
    std::vector<Shape> in;
    for (int id : node.inputs) {
      if (id != kInput && (id < 0 || id >= static_cast<int>(i))) {
        return absl::InvalidArgumentError(
            absl::StrCat("Graph: layer ", node.name, " reads ", id, ", not an earlier layer"));
      }
      in.push_back(id == kInput ? sample : shapes[id]);
    }
    absl::StatusOr<Shape> out = node.layer->OutputShape(in);
    if (!out.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(node.name, ": ", out.status().message()));
    }
    shapes.push_back(*out);
  }
  output_shape_ = shapes.back();
  return absl::OkStatus();
}

void Graph::LayOut() {
  // Two passes: trainable blocks, then state, each in layer order.
  size_t offset = 0;
  for (bool trainable : {true, false}) {
    for (Node& node : nodes_) {
      for (const ParamSpec& p : node.layer->ParamSpecs()) {
        if (p.trainable != trainable) continue;
        layout_.push_back({.name = absl::StrCat(node.name, ".", p.name),
                           .offset = offset, .size = p.size, .trainable = p.trainable});
        init_.push_back(p.init);
        fan_in_.push_back(p.fan_in);
        offset += p.size;
      }
    }
    if (trainable) grads_.assign(offset, 0.0f);
  }
  params_.assign(offset, 0.0f);
  for (Node& node : nodes_) {
    const std::vector<ParamSpec> specs = node.layer->ParamSpecs();
    std::vector<std::span<float>> values;
    std::vector<std::span<float>> grads;
    for (const ParamSpec& p : specs) {
      const std::string name = absl::StrCat(node.name, ".", p.name);
      // Blocks of one layer are few; a scan finds each one's place.
      size_t block = 0;
      while (layout_[block].name != name) ++block;
      const ParamBlock& b = layout_[block];
      values.emplace_back(params_.data() + b.offset, b.size);
      grads.push_back(b.trainable ? std::span<float>(grads_.data() + b.offset, b.size)
                                  : std::span<float>());
    }
    if (!specs.empty()) node.layer->Bind(values, grads);
  }
}

void Graph::Initialize(uint64_t seed) {
  Random rng(seed);
  for (size_t b = 0; b < layout_.size(); ++b) {
    float* p = params_.data() + layout_[b].offset;
    const size_t size = layout_[b].size;
    switch (init_[b]) {
      case Init::kZero:
        std::fill(p, p + size, 0.0f);
        break;
      case Init::kOne:
        std::fill(p, p + size, 1.0f);
        break;
      case Init::kKaimingNormal: {
        const double stddev = std::sqrt(2.0 / std::max(fan_in_[b], 1));
        for (size_t i = 0; i < size; ++i) p[i] = static_cast<float>(stddev * rng.Normal());
        break;
      }
    }
  }
}

absl::Status Graph::Finalize(Shape sample, uint64_t seed) {
  if (!layout_.empty() || !params_.empty()) {
    return absl::FailedPreconditionError("Graph: Finalize called twice");
  }
  if (absl::Status s = CheckShapes(sample); !s.ok()) return s;
  // Names must be unique: they key the layout.
  for (size_t i = 0; i < nodes_.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (nodes_[i].name == nodes_[j].name) {
        return absl::InvalidArgumentError(
            absl::StrCat("Graph: two layers are named ", nodes_[i].name));
      }
    }
  }
  LayOut();
  Initialize(seed);
  return absl::OkStatus();
}

const Tensor& Graph::Forward(const Tensor& input, const RunContext& ctx) {
  input_ = &input;
  std::vector<const Tensor*> in;
  for (Node& node : nodes_) {
    in.clear();
    for (int id : node.inputs) in.push_back(id == kInput ? &input : &nodes_[id].out);
    node.layer->Forward(in, node.out, ctx);
  }
  return nodes_.back().out;
}

void Graph::Backward(const Tensor& doutput, const RunContext& ctx) {
  for (Node& node : nodes_) node.grad_set = false;
  std::vector<const Tensor*> in;
  std::vector<Tensor*> din;
  std::vector<int> add_into;  // per input: the node whose set gradient gets scratch_ added
  for (int i = static_cast<int>(nodes_.size()) - 1; i >= 0; --i) {
    Node& node = nodes_[i];
    const Tensor& dout = i + 1 == static_cast<int>(nodes_.size()) ? doutput : node.grad;
    if (i + 1 != static_cast<int>(nodes_.size()) && !node.grad_set) continue;  // no path to loss
    in.clear();
    din.clear();
    add_into.assign(node.inputs.size(), -1);
    if (scratch_.size() < node.inputs.size()) scratch_.resize(node.inputs.size());
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      const int id = node.inputs[k];
      in.push_back(id == kInput ? input_ : &nodes_[id].out);
      if (id == kInput) {
        din.push_back(nullptr);  // nobody needs d(loss)/d(input)
      } else if (!nodes_[id].grad_set) {
        nodes_[id].grad_set = true;
        din.push_back(&nodes_[id].grad);
      } else {
        // A second reader of that node (a residual fork): add after.
        add_into[k] = id;
        din.push_back(&scratch_[k]);
      }
    }
    node.layer->Backward(in, node.out, dout, din, ctx);
    for (size_t k = 0; k < din.size(); ++k) {
      if (add_into[k] < 0) continue;
      float* t = nodes_[add_into[k]].grad.data();
      const float* s = scratch_[k].data();
      ctx.pool->ParallelFor(scratch_[k].size(), [&](size_t b, size_t e, int) {
        for (size_t j = b; j < e; ++j) t[j] += s[j];
      });
    }
  }
  input_ = nullptr;
}

}  // namespace gaia::cnn
