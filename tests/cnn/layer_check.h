// Test helpers for apps/cnn layers: parameter storage, and a central-
// difference gradient check of one layer.
//
// The check uses the scalar L = sum_i out_i * r_i (r fixed random weights,
// summed in double), so d(L)/d(out) = r is the upstream gradient. Each
// checked coordinate is moved by +-h; the float32 forward pass makes L
// accurate to about 1e-6 relative, so with h = 1e-2 the numeric derivative
// is good to about 1e-3 absolute, and a tolerance of 5e-3 + 2e-2 * |value|
// leaves room for the O(h^2) truncation of the smooth layers (BN, GN)
// without hiding a wrong formula (those are off by O(1)).
#ifndef GAIA_TESTS_CNN_LAYER_CHECK_H_
#define GAIA_TESTS_CNN_LAYER_CHECK_H_

#include <cmath>
#include <string>
#include <vector>

#include "apps/cnn/layers/layer.h"
#include "apps/cnn/random.h"
#include "apps/cnn/thread_pool.h"
#include "gtest/gtest.h"

namespace gaia::cnn::testing {

// Owns a layer's parameters (random values, or the ParamSpec's init when
// `random` is false) and binds them.
class BoundParams {
 public:
  BoundParams(Layer& layer, uint64_t seed, bool random = true) {
    Random rng(seed);
    for (const ParamSpec& p : layer.ParamSpecs()) {
      values_.emplace_back(p.size);
      grads_.emplace_back(p.trainable ? p.size : 0);
      for (float& v : values_.back()) {
        if (random) {
          v = static_cast<float>(0.5 * rng.Normal() + (p.init == Init::kOne ? 1.0 : 0.0));
        } else {
          v = p.init == Init::kOne ? 1.0f : 0.0f;
        }
      }
      specs_.push_back(p);
    }
    for (size_t i = 0; i < values_.size(); ++i) {
      value_spans_.emplace_back(values_[i]);
      grad_spans_.emplace_back(grads_[i]);
    }
    layer.Bind(value_spans_, grad_spans_);
  }
  std::vector<float>& value(size_t i) { return values_[i]; }
  std::vector<float>& grad(size_t i) { return grads_[i]; }
  const ParamSpec& spec(size_t i) const { return specs_[i]; }
  size_t size() const { return values_.size(); }

 private:
  std::vector<ParamSpec> specs_;
  std::vector<std::vector<float>> values_;
  std::vector<std::vector<float>> grads_;
  std::vector<std::span<float>> value_spans_;
  std::vector<std::span<float>> grad_spans_;
};

inline void FillNormal(Tensor& t, uint64_t seed, double scale = 1.0) {
  Random rng(seed);
  for (float& v : t.span()) v = static_cast<float>(scale * rng.Normal());
}

struct CheckOptions {
  double h = 1e-2;
  double atol = 5e-3;
  double rtol = 2e-2;
  int max_coords = 80;   // per tensor: a spread-out subset when larger
  bool training = true;  // RunContext::training for the check
  int threads = 2;
};

// Compares every backward output of `layer` (din for each input, the grads
// of trainable params) with central differences of L at up to max_coords
// coordinates each. Returns the number of coordinates checked.
inline int CheckLayerGradients(Layer& layer, std::vector<Tensor>& inputs, BoundParams& params,
                               const CheckOptions& o = {}) {
  ThreadPool pool(o.threads);
  const RunContext ctx{.pool = &pool, .training = o.training, .update_stats = false};
  std::vector<const Tensor*> in;
  for (Tensor& t : inputs) in.push_back(&t);
  Tensor out;
  layer.Forward(in, out, ctx);
  Tensor r(out.shape());
  FillNormal(r, 99);
  auto loss = [&] {
    Tensor y;
    layer.Forward(in, y, ctx);
    double l = 0;
    for (size_t i = 0; i < y.size(); ++i) l += static_cast<double>(y.data()[i]) * r.data()[i];
    return l;
  };
  std::vector<Tensor> din(inputs.size());
  std::vector<Tensor*> din_ptr;
  for (Tensor& t : din) din_ptr.push_back(&t);
  layer.Forward(in, out, ctx);
  layer.Backward(in, out, r, din_ptr, ctx);

  int checked = 0;
  auto check = [&](float* x, size_t n, const float* analytic, const std::string& what) {
    const size_t stride = n <= static_cast<size_t>(o.max_coords) ? 1 : n / o.max_coords + 1;
    for (size_t i = 0; i < n; i += stride) {
      const float saved = x[i];
      x[i] = static_cast<float>(saved + o.h);
      const double up = loss();
      x[i] = static_cast<float>(saved - o.h);
      const double down = loss();
      x[i] = saved;
      const double numeric = (up - down) / (2 * o.h);
      const double a = analytic[i];
      EXPECT_NEAR(a, numeric, o.atol + o.rtol * std::max(std::abs(a), std::abs(numeric)))
          << layer.kind() << " " << what << "[" << i << "]";
      ++checked;
    }
  };
  for (size_t k = 0; k < inputs.size(); ++k) {
    if (din[k].shape() != inputs[k].shape()) {
      ADD_FAILURE() << layer.kind() << ": din " << k << " has the wrong shape";
      return checked;
    }
    check(inputs[k].data(), inputs[k].size(), din[k].data(), "input" + std::to_string(k));
  }
  for (size_t p = 0; p < params.size(); ++p) {
    if (!params.spec(p).trainable) continue;
    check(params.value(p).data(), params.value(p).size(), params.grad(p).data(),
          params.spec(p).name);
  }
  return checked;
}

}  // namespace gaia::cnn::testing

#endif  // GAIA_TESTS_CNN_LAYER_CHECK_H_
