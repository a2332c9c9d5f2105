#include "apps/mf/cuda/device_sgd.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "apps/mf/cuda/sgd_kernels.h"
#include "apps/mf/random.h"
#include "apps/mf/step_rule.h"
#include "apps/common/gpu/buffers.h"
#include "apps/common/gpu/status.h"
#include "apps/common/gpu/stream.h"

namespace gaia::mf::cuda {
namespace {

using gaia::gpu::DeviceBuffer;
using gaia::gpu::PinnedBuffer;

constexpr uint64_t kPlacementSalt = 0x706C6163;  // "plac"

class DeviceSgd : public SgdEngine {
 public:
  DeviceSgd(LocalSgd model, const DeviceSgdOptions& options, gaia::gpu::DeviceInfo info)
      : model_(std::move(model)), options_(options), info_(std::move(info)) {}

  // Copies the ratings (shuffled once) and L to the device.
  absl::Status Upload(const std::vector<Rating>& ratings);

  const LocalSgd& model() const override { return model_; }
  absl::StatusOr<LocalSgd::ClockResult> RunClock(int64_t clock, std::span<float> r,
                                                 std::span<float> delta) override;
  absl::Status SyncModel() override;
  std::string Describe() const override {
    return absl::StrCat("cuda (", gaia::gpu::Describe(info_),
                        options_.fp16_user_factors ? ", L in fp16)" : ", L in fp32)");
  }

 private:
  RatingArrays Ratings() const {
    return RatingArrays{user_.data(), item_.data(), value_.data(), count_};
  }
  FactorArrays Factors() {
    void* l = options_.fp16_user_factors ? static_cast<void*>(l_half_.data())
                                         : static_cast<void*>(l_.data());
    return FactorArrays{l,
                        options_.fp16_user_factors ? FactorStorage::kFloat16
                                                   : FactorStorage::kFloat32,
                        r_.data(), model_.rank()};
  }
  // Queues the clock's device work; the results land in the pinned buffers.
  gaia::gpu::CudaResult QueueClock(int64_t clock, size_t n, float eta, uint64_t visits);

  LocalSgd model_;  // the index and L on the host (current after SyncModel)
  const DeviceSgdOptions options_;
  const gaia::gpu::DeviceInfo info_;
  StepRuleScaler scaler_;
  uint64_t count_ = 0;
  gaia::gpu::Stream stream_;
  DeviceBuffer<uint32_t> user_, item_;
  DeviceBuffer<float> value_;
  DeviceBuffer<float> l_;          // fp32 L, or conversion scratch with fp16
  DeviceBuffer<uint16_t> l_half_;  // fp16 L bits (only with fp16_user_factors)
  DeviceBuffer<float> r_, before_, delta_, curvature_;
  DeviceBuffer<double> sums_;
  PinnedBuffer<float> r_staged_, delta_staged_, curvature_staged_;
  PinnedBuffer<double> sums_staged_;
  std::vector<float> before_host_;
};

absl::Status DeviceSgd::Upload(const std::vector<Rating>& ratings) {
  const uint32_t k = model_.rank();
  const std::vector<uint64_t>& items = model_.items();
  count_ = ratings.size();
  scaler_ = StepRuleScaler(model_.options().step_rule, items.size(), k);
  // A seeded placement, so the affine visit orders walk a random sequence.
  std::vector<uint32_t> user(count_), item(count_);
  std::vector<float> value(count_);
  for (size_t i = 0; i < count_; ++i) {
    user[i] = *model_.LocalUser(ratings[i].user);
    item[i] = static_cast<uint32_t>(
        std::lower_bound(items.begin(), items.end(), ratings[i].item) - items.begin());
    value[i] = ratings[i].value;
  }
  RandomStream rng(model_.options().seed, kPlacementSalt, 0);
  for (size_t i = count_; i > 1; --i) {
    const size_t j = rng.Below(i);
    std::swap(user[i - 1], user[j]);
    std::swap(item[i - 1], item[j]);
    std::swap(value[i - 1], value[j]);
  }
  const size_t rows = items.size() * k;
  const std::span<float> l = model_.mutable_user_factors();
  GAIA_GPU_RETURN_IF_ERROR(stream_.Create());
  GAIA_GPU_RETURN_IF_ERROR(user_.Allocate(count_));
  GAIA_GPU_RETURN_IF_ERROR(item_.Allocate(count_));
  GAIA_GPU_RETURN_IF_ERROR(value_.Allocate(count_));
  GAIA_GPU_RETURN_IF_ERROR(l_.Allocate(l.size()));
  if (options_.fp16_user_factors) GAIA_GPU_RETURN_IF_ERROR(l_half_.Allocate(l.size()));
  for (DeviceBuffer<float>* b : {&r_, &before_, &delta_}) {
    GAIA_GPU_RETURN_IF_ERROR(b->Allocate(rows));
  }
  GAIA_GPU_RETURN_IF_ERROR(curvature_.Allocate(items.size()));
  GAIA_GPU_RETURN_IF_ERROR(sums_.Allocate(2));
  GAIA_GPU_RETURN_IF_ERROR(r_staged_.Allocate(rows));
  GAIA_GPU_RETURN_IF_ERROR(delta_staged_.Allocate(rows));
  GAIA_GPU_RETURN_IF_ERROR(curvature_staged_.Allocate(items.size()));
  GAIA_GPU_RETURN_IF_ERROR(sums_staged_.Allocate(2));
  // Pageable sources: these copies are synchronous, once per run.
  const cudaStream_t s = stream_.get();
  GAIA_GPU_RETURN_IF_ERROR(user_.CopyFromHostAsync(user.data(), count_, s));
  GAIA_GPU_RETURN_IF_ERROR(item_.CopyFromHostAsync(item.data(), count_, s));
  GAIA_GPU_RETURN_IF_ERROR(value_.CopyFromHostAsync(value.data(), count_, s));
  GAIA_GPU_RETURN_IF_ERROR(l_.CopyFromHostAsync(l.data(), l.size(), s));
  if (options_.fp16_user_factors) {
    GAIA_GPU_RETURN_IF_ERROR(LaunchToHalf(l_.data(), l_half_.data(), l.size(), s));
  }
  GAIA_GPU_RETURN_IF_ERROR(stream_.Synchronize());
  // The host L now matches what the device holds (fp16 rounding included).
  return SyncModel();
}

gaia::gpu::CudaResult DeviceSgd::QueueClock(int64_t clock, size_t n, float eta,
                                            uint64_t visits) {
  const cudaStream_t s = stream_.get();
  const size_t rows = model_.items().size();
  GAIA_CUDA_RETURN_IF_FAILED(r_.CopyFromHostAsync(r_staged_.data(), n, s));
  GAIA_CUDA_RETURN_IF_FAILED(GAIA_CUDA_CALL(cudaMemcpyAsync(
      before_.data(), r_.data(), n * sizeof(float), cudaMemcpyDeviceToDevice, s)));
  const FactorArrays factors = Factors();
  const float lambda = static_cast<float>(model_.options().lambda);
  GAIA_CUDA_RETURN_IF_FAILED(
      LaunchObjective(Ratings(), factors, lambda, sums_.data(), info_.multiprocessors, s));
  GAIA_CUDA_RETURN_IF_FAILED(sums_.CopyToHostAsync(sums_staged_.data(), 2, s));
  PassParams pass;
  pass.visits = visits;
  pass.order = ChooseVisitOrder(count_, model_.options().seed, clock);
  pass.step = eta;
  pass.lambda = lambda;
  if (scaler_.Damped() && rows > 0) {
    GAIA_CUDA_RETURN_IF_FAILED(
        GAIA_CUDA_CALL(cudaMemsetAsync(curvature_.data(), 0, rows * sizeof(float), s)));
    pass.curvature = curvature_.data();
  }
  GAIA_CUDA_RETURN_IF_FAILED(LaunchSgdPass(Ratings(), factors, pass, info_.multiprocessors, s));
  GAIA_CUDA_RETURN_IF_FAILED(LaunchDifference(r_.data(), before_.data(), delta_.data(), n, s));
  GAIA_CUDA_RETURN_IF_FAILED(delta_.CopyToHostAsync(delta_staged_.data(), n, s));
  if (pass.curvature != nullptr) {
    GAIA_CUDA_RETURN_IF_FAILED(curvature_.CopyToHostAsync(curvature_staged_.data(), rows, s));
  }
  return gaia::gpu::CudaResult();
}

absl::StatusOr<LocalSgd::ClockResult> DeviceSgd::RunClock(int64_t clock, std::span<float> r,
                                                          std::span<float> delta) {
  LocalSgd::ClockResult result;
  result.learning_rate = LearningRateAt(model_.options(), clock);
  result.updates = std::min<uint64_t>(
      count_, static_cast<uint64_t>(std::ceil(model_.options().minibatch_fraction *
                                              static_cast<double>(count_))));
  const size_t n = r.size();
  if (n > 0) std::memcpy(r_staged_.data(), r.data(), n * sizeof(float));
  GAIA_GPU_RETURN_IF_ERROR(
      QueueClock(clock, n, static_cast<float>(result.learning_rate), result.updates));
  // The host's share of the step rule overlaps the device's pass.
  scaler_.Observe(r);
  before_host_.assign(r.begin(), r.end());
  GAIA_GPU_RETURN_IF_ERROR(stream_.Synchronize());
  result.objective.squared_error = sums_staged_.data()[0];
  result.objective.regularization = sums_staged_.data()[1];
  result.objective.ratings = count_;
  for (size_t j = 0; j < n; ++j) {
    delta[j] = delta_staged_.data()[j];
    r[j] = before_host_[j] + delta[j];
  }
  std::vector<std::vector<float>> curvature;
  if (scaler_.Damped()) {
    curvature.emplace_back(curvature_staged_.data(),
                           curvature_staged_.data() + model_.items().size());
  }
  scaler_.Scale(result.learning_rate, curvature, before_host_, r, delta);
  return result;
}

absl::Status DeviceSgd::SyncModel() {
  const std::span<float> l = model_.mutable_user_factors();
  const cudaStream_t s = stream_.get();
  if (options_.fp16_user_factors) {
    GAIA_GPU_RETURN_IF_ERROR(LaunchFromHalf(l_half_.data(), l_.data(), l.size(), s));
  }
  GAIA_GPU_RETURN_IF_ERROR(l_.CopyToHostAsync(l.data(), l.size(), s));
  GAIA_GPU_RETURN_IF_ERROR(stream_.Synchronize());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SgdEngine>> CreateDeviceEngine(const std::vector<Rating>& ratings,
                                                              const SgdOptions& options,
                                                              const DeviceSgdOptions& device) {
  if (ratings.size() >= (uint64_t{1} << 32)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--device=cuda: ", ratings.size(), " ratings on one worker; the GPU pass takes < 2^32"));
  }
  absl::StatusOr<gaia::gpu::DeviceInfo> info = gaia::gpu::OpenDevice(device.device);
  if (!info.ok()) {
    return absl::Status(info.status().code(),
                        absl::StrCat("--device=cuda: ", info.status().message()));
  }
  absl::StatusOr<LocalSgd> model = LocalSgd::Create(ratings, options);
  if (!model.ok()) return model.status();
  auto engine = std::make_unique<DeviceSgd>(std::move(*model), device, std::move(*info));
  if (absl::Status s = engine->Upload(ratings); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("--device=cuda: ", s.message()));
  }
  return engine;
}

}  // namespace gaia::mf::cuda
