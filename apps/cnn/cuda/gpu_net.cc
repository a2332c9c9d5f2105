#include "apps/cnn/cuda/gpu_net.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "apps/cnn/cuda/cuda_status.h"
#include "apps/cnn/cuda/kernels.h"

namespace gaia::cnn::gpu {
namespace {

// model_zoo.cc's Builder, making GPU layers. Keep the two in step: names and
// parameterized layers are checked against the CPU layout in Bind, the rest
// by the CPU-vs-GPU tests (tests/cnn/cuda_model_test.cc).
class Builder {
 public:
  Builder(const ModelSpec& spec, GpuNet* net) : spec_(spec), net_(net) {}

  int Conv(const std::string& name, int input, int in, int out, int kernel, int stride, int pad) {
    return net_->Add(name,
                     MakeGpuConv2d({.in_channels = in,
                                    .out_channels = out,
                                    .kernel = kernel,
                                    .stride = stride,
                                    .pad = pad,
                                    .bias = spec_.norm == "none"}),
                     {input});
  }
  int Norm(const std::string& name, int input, int channels) {
    if (spec_.norm == "batch") {
      return net_->Add(name, MakeGpuBatchNorm2d(BatchNorm2dOptions{channels}), {input});
    }
    if (spec_.norm == "group") {
      return net_->Add(name, MakeGpuGroupNorm({.channels = channels, .groups = spec_.groups}),
                       {input});
    }
    return input;
  }
  int Relu(const std::string& name, int input) { return net_->Add(name, MakeGpuReLU(), {input}); }
  int Linear(const std::string& name, int input, int in, int out) {
    return net_->Add(name, MakeGpuLinear({.in_features = in, .out_features = out}), {input});
  }
  int MaxPool(const std::string& name, int input) {
    return net_->Add(name, MakeGpuMaxPool2d(MaxPool2dOptions{2, 2}), {input});
  }
  int Sum(const std::string& name, int a, int b) { return net_->Add(name, MakeGpuAdd(), {a, b}); }
  int AvgPool(const std::string& name, int input) {
    return net_->Add(name, MakeGpuGlobalAvgPool(), {input});
  }

 private:
  const ModelSpec& spec_;
  GpuNet* net_;
};

void BuildLenet(const ModelSpec& spec, Builder& b) {
  int x = b.Conv("conv1", GpuNet::kInput, spec.in_channels, 16, 5, 1, 2);
  x = b.Relu("relu1", b.Norm("norm1", x, 16));
  x = b.MaxPool("pool1", x);
  x = b.Conv("conv2", x, 16, 32, 5, 1, 2);
  x = b.Relu("relu2", b.Norm("norm2", x, 32));
  x = b.MaxPool("pool2", x);
  const int features = 32 * (spec.in_height / 2 / 2) * (spec.in_width / 2 / 2);
  x = b.Relu("relu3", b.Linear("fc1", x, features, 128));
  b.Linear("fc2", x, 128, spec.classes);
}

int BasicBlock(Builder& b, const std::string& p, int x, int in, int out, int stride) {
  int y = b.Conv(p + "conv1", x, in, out, 3, stride, 1);
  y = b.Relu(p + "relu1", b.Norm(p + "norm1", y, out));
  y = b.Norm(p + "norm2", b.Conv(p + "conv2", y, out, out, 3, 1, 1), out);
  int shortcut = x;
  if (stride != 1 || in != out) {
    shortcut = b.Conv(p + "shortcut.conv", x, in, out, 1, stride, 0);
    shortcut = b.Norm(p + "shortcut.norm", shortcut, out);
  }
  return b.Relu(p + "relu2", b.Sum(p + "add", y, shortcut));
}

void BuildResnet(const ModelSpec& spec, int blocks_per_stage, Builder& b) {
  int x = b.Conv("conv1", GpuNet::kInput, spec.in_channels, 16, 3, 1, 1);
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
  x = b.AvgPool("pool", x);
  b.Linear("fc", x, 64, spec.classes);
}

}  // namespace

int GpuNet::Add(std::string name, std::unique_ptr<GpuLayer> layer, std::vector<int> inputs) {
  Node& node = nodes_.emplace_back();
  node.name = std::move(name);
  node.layer = std::move(layer);
  node.inputs = std::move(inputs);
  return static_cast<int>(nodes_.size()) - 1;
}

absl::StatusOr<std::unique_ptr<GpuNet>> GpuNet::Create(const ModelSpec& spec,
                                                       const std::vector<ParamBlock>& layout,
                                                       float* params, float* grads) {
  if (absl::Status s = ValidateModelSpec(spec); !s.ok()) return s;
  std::unique_ptr<GpuNet> net(new GpuNet());
  Builder builder(spec, net.get());
  if (spec.name == "lenet") {
    BuildLenet(spec, builder);
  } else {
    BuildResnet(spec, spec.name == "resnet8" ? 1 : 3, builder);
  }
  if (absl::Status s = net->CheckShapes(spec); !s.ok()) return s;
  if (absl::Status s = net->Bind(layout, params, grads); !s.ok()) return s;
  return net;
}

absl::Status GpuNet::CheckShapes(const ModelSpec& spec) const {
  std::vector<Shape> shapes;
  const Shape sample{1, spec.in_channels, spec.in_height, spec.in_width};
  for (const Node& node : nodes_) {
    std::vector<Shape> in;
    for (int id : node.inputs) in.push_back(id == kInput ? sample : shapes[id]);
    if (static_cast<int>(in.size()) != node.layer->twin().num_inputs()) {
      return absl::InternalError(
          absl::StrCat("GPU network: ", node.name, " has ", in.size(), " inputs"));
    }
    absl::StatusOr<Shape> out = node.layer->twin().OutputShape(in);
    if (!out.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("GPU network: ", node.name, ": ", out.status().message()));
    }
    shapes.push_back(*out);
  }
  if (shapes.empty() || shapes.back().sample_size() != static_cast<size_t>(spec.classes)) {
    return absl::InternalError("GPU network: the output is not one logit per class");
  }
  return absl::OkStatus();
}

absl::Status GpuNet::Bind(const std::vector<ParamBlock>& layout, float* params, float* grads) {
  std::map<std::string, size_t> index;
  for (size_t b = 0; b < layout.size(); ++b) index[layout[b].name] = b;
  std::vector<bool> bound(layout.size(), false);
  for (Node& node : nodes_) {
    std::vector<float*> values;
    std::vector<float*> grad_ptrs;
    for (const ParamSpec& p : node.layer->twin().ParamSpecs()) {
      const std::string name = absl::StrCat(node.name, ".", p.name);
      auto it = index.find(name);
      if (it == index.end()) {
        return absl::InternalError(
            absl::StrCat("GPU network block ", name, " is not in the CPU Model's layout"));
      }
      const ParamBlock& block = layout[it->second];
      if (block.size != p.size || block.trainable != p.trainable || bound[it->second]) {
        return absl::InternalError(absl::StrCat("GPU network block ", name, " (", p.size,
                                                " floats) does not match the CPU layout's (",
                                                block.size, " floats) or is bound twice"));
      }
      bound[it->second] = true;
      values.push_back(params + block.offset);
      grad_ptrs.push_back(block.trainable ? grads + block.offset : nullptr);
    }
    if (!values.empty()) node.layer->Bind(values, grad_ptrs);
  }
  for (size_t b = 0; b < layout.size(); ++b) {
    if (!bound[b]) {
      return absl::InternalError(
          absl::StrCat("CPU layout block ", layout[b].name, " has no GPU layer"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<const DeviceTensor*> GpuNet::Forward(const DeviceTensor& input,
                                                    const GpuContext& ctx) {
  input_ = &input;
  std::vector<const DeviceTensor*> in;
  for (Node& node : nodes_) {
    in.clear();
    for (int id : node.inputs) in.push_back(id == kInput ? &input : &nodes_[id].out);
    if (absl::Status s = node.layer->Forward(in, node.out, ctx); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat(node.name, " forward: ", s.message()));
    }
  }
  return &nodes_.back().out;
}

absl::Status GpuNet::Backward(const DeviceTensor& doutput, const GpuContext& ctx) {
  for (Node& node : nodes_) node.grad_set = false;
  std::vector<const DeviceTensor*> in;
  std::vector<DeviceTensor*> din;
  std::vector<int> add_into;  // per input: the node whose set gradient gets scratch_ added
  const int last = static_cast<int>(nodes_.size()) - 1;
  for (int i = last; i >= 0; --i) {
    Node& node = nodes_[i];
    if (i != last && !node.grad_set) continue;  // no path to the loss
    const DeviceTensor& dout = i == last ? doutput : node.grad;
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
        add_into[k] = id;  // a second reader of that node (a residual fork): add after
        din.push_back(&scratch_[k]);
      }
    }
    if (absl::Status s = node.layer->Backward(in, node.out, dout, din, ctx); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat(node.name, " backward: ", s.message()));
    }
    for (size_t k = 0; k < din.size(); ++k) {
      if (add_into[k] < 0) continue;
      DeviceTensor& target = nodes_[add_into[k]].grad;
      GAIA_CUDA_RETURN_IF_ERROR(
          CudartStatus(AccumulateInto(target.data(), scratch_[k].data(), target.size(), ctx.stream),
                       absl::StrCat(node.name, " backward: AccumulateInto")));
    }
  }
  input_ = nullptr;
  return absl::OkStatus();
}

}  // namespace gaia::cnn::gpu
