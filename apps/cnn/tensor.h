// A dense float32 tensor in NCHW order (batch, channels, height, width), the
// only layout apps/cnn uses. A Linear layer reads an (n, c, h, w) tensor as n
// rows of c*h*w features, so a flatten costs nothing.
//
//   Tensor t;
//   t.Resize({64, 16, 28, 28});        // keeps its buffer when it shrinks
//   float* sample3 = t.sample(3);      // 16*28*28 floats
#ifndef GAIA_APPS_CNN_TENSOR_H_
#define GAIA_APPS_CNN_TENSOR_H_

#include <cstddef>
#include <span>
#include <vector>

namespace gaia::cnn {

struct Shape {
  int n = 0;  // batch
  int c = 0;  // channels
  int h = 1;
  int w = 1;

  // Floats per sample.
  size_t sample_size() const { return static_cast<size_t>(c) * h * w; }
  size_t size() const { return static_cast<size_t>(n) * sample_size(); }
  size_t plane() const { return static_cast<size_t>(h) * w; }
  bool operator==(const Shape&) const = default;
};

// Owns its floats. Not thread-safe; layers write disjoint samples of one
// tensor from several threads.
class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(Shape shape) { Resize(shape); }

  // Contents are unspecified after a resize (old values or zeros). The buffer
  // only grows, so a smaller evaluation batch does not reallocate.
  void Resize(Shape shape) {
    shape_ = shape;
    if (data_.size() < shape.size()) data_.resize(shape.size());
  }

  const Shape& shape() const { return shape_; }
  size_t size() const { return shape_.size(); }
  float* data() { return data_.data(); }
  const float* data() const { return data_.data(); }
  std::span<float> span() { return {data_.data(), size()}; }
  std::span<const float> span() const { return {data_.data(), size()}; }
  float* sample(int i) { return data_.data() + static_cast<size_t>(i) * shape_.sample_size(); }
  const float* sample(int i) const {
    return data_.data() + static_cast<size_t>(i) * shape_.sample_size();
  }

 private:
  Shape shape_;
  std::vector<float> data_;
};

}  // namespace gaia::cnn

#endif  // GAIA_APPS_CNN_TENSOR_H_
