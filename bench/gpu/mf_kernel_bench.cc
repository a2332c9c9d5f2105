// mf_kernel_bench: the MF SGD pass (apps/mf/cuda/sgd_kernels.h, the kernel
// gaia_mf --device=cuda runs) on Netflix-shaped synthetic data: 480,189 users x
// 17,770 items, 100M ratings, rank 128, or the largest that fits the GPU.
// Per epoch and for fp32 and fp16 storage of L it prints the pass time,
// rating updates/s, the train RMSE, and the achieved bandwidth of the
// streamed bytes (the rating, and the user's L row read and written: the
// traffic that cannot stay in L2) against --copy-gbps, the card's measured
// copy rate (gpu_copy_bandwidth). Needs only the CUDA runtime.
//
//   mf_kernel_bench [--users=480189 --items=17770 --ratings=100000000 --rank=128
//                    --epochs=10 --copy-gbps=<GB/s>]
//
// Exit codes: 0 ok, 2 bad arguments, 1 a CUDA error (no GPU included).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "apps/mf/cuda/sgd_kernels.h"
#include "bench/gpu/mf_synthetic.h"
#include "apps/common/gpu/buffers.h"
#include "apps/common/gpu/device.h"
#include "apps/common/gpu/stream.h"

namespace {

using gaia::gpu::CudaResult;
using gaia::gpu::DeviceBuffer;
namespace mfc = gaia::mf::cuda;

struct Options {
  gaia::bench::SyntheticShape shape;
  uint32_t rank = 128;
  int epochs = 10;
  double copy_gbps = 0;  // 0: not given
  float learning_rate = 0.005f;
  float lr_decay = 0.05f;  // eta_t = eta0 / (1 + decay t), as the app
  float lambda = 0.01f;
  float init_stddev = 0.1f;
};

// "--name=value" as a number into *out; false if arg is not that flag.
template <typename T>
bool ParseNumber(const char* arg, const char* name, T* out, bool* bad) {
  const size_t n = std::strlen(name);
  if (std::strncmp(arg, name, n) != 0 || arg[n] != '=') return false;
  char* end = nullptr;
  const double v = std::strtod(arg + n + 1, &end);
  if (end == arg + n + 1 || *end != '\0' || !(v > 0)) *bad = true;
  *out = static_cast<T>(v);
  return true;
}

bool ParseArgs(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    bool bad = false;
    const bool known =
        ParseNumber(a, "--users", &o->shape.users, &bad) ||
        ParseNumber(a, "--items", &o->shape.items, &bad) ||
        ParseNumber(a, "--ratings", &o->shape.ratings, &bad) ||
        ParseNumber(a, "--rank", &o->rank, &bad) || ParseNumber(a, "--epochs", &o->epochs, &bad) ||
        ParseNumber(a, "--copy-gbps", &o->copy_gbps, &bad) ||
        ParseNumber(a, "--lr", &o->learning_rate, &bad) ||
        ParseNumber(a, "--lambda", &o->lambda, &bad);
    if (!known || bad || o->rank > 4096 || o->shape.ratings >= (uint64_t{1} << 32)) {
      std::fprintf(stderr,
                   "mf_kernel_bench: bad argument '%s' (known: --users --items --ratings "
                   "(< 2^32) --rank (<= 4096) --epochs --copy-gbps --lr --lambda, all > 0)\n",
                   a);
      return false;
    }
  }
  return true;
}

// Shrinks users and ratings together until the data, L in both storages and
// R fit in 85% of the free memory; says so when it does.
void FitToMemory(Options* o) {
  size_t free_bytes = 0, total_bytes = 0;
  if (cudaMemGetInfo(&free_bytes, &total_bytes) != cudaSuccess) return;
  auto need = [o]() {
    return o->shape.ratings * 12.0 + o->shape.users * static_cast<double>(o->rank) * 6.0 +
           o->shape.items * static_cast<double>(o->rank) * 4.0 * 2;
  };
  const double budget = 0.85 * static_cast<double>(free_bytes);
  if (need() <= budget) return;
  const double f = budget / need();
  o->shape.ratings = static_cast<uint64_t>(o->shape.ratings * f);
  o->shape.users = std::max<uint32_t>(1, static_cast<uint32_t>(o->shape.users * f));
  std::printf("scaled to fit %.1f GiB free: %u users, %llu ratings\n",
              free_bytes / 1073741824.0, o->shape.users,
              static_cast<unsigned long long>(o->shape.ratings));
}

struct Data {
  DeviceBuffer<uint32_t> user, item;
  DeviceBuffer<float> value, l_init, l, r_init, r;
  DeviceBuffer<uint16_t> l_half;
  DeviceBuffer<double> sums;
  mfc::RatingArrays Ratings() const {
    return {user.data(), item.data(), value.data(), user.size()};
  }
};

CudaResult MakeData(const Options& o, cudaStream_t s, Data* d) {
  const uint64_t n = o.shape.ratings;
  const size_t l_size = size_t{o.shape.users} * o.rank, r_size = size_t{o.shape.items} * o.rank;
  GAIA_CUDA_RETURN_IF_FAILED(d->user.Allocate(n));
  GAIA_CUDA_RETURN_IF_FAILED(d->item.Allocate(n));
  GAIA_CUDA_RETURN_IF_FAILED(d->value.Allocate(n));
  GAIA_CUDA_RETURN_IF_FAILED(d->l_init.Allocate(l_size));
  GAIA_CUDA_RETURN_IF_FAILED(d->l.Allocate(l_size));
  GAIA_CUDA_RETURN_IF_FAILED(d->l_half.Allocate(l_size));
  GAIA_CUDA_RETURN_IF_FAILED(d->r_init.Allocate(r_size));
  GAIA_CUDA_RETURN_IF_FAILED(d->r.Allocate(r_size));
  GAIA_CUDA_RETURN_IF_FAILED(d->sums.Allocate(2));
  GAIA_CUDA_RETURN_IF_FAILED(gaia::bench::LaunchSyntheticRatings(
      o.shape, d->user.data(), d->item.data(), d->value.data(), s));
  GAIA_CUDA_RETURN_IF_FAILED(
      gaia::bench::LaunchRandomRows(d->l_init.data(), l_size, o.init_stddev, 11, s));
  GAIA_CUDA_RETURN_IF_FAILED(
      gaia::bench::LaunchRandomRows(d->r_init.data(), r_size, o.init_stddev, 12, s));
  return GAIA_CUDA_CALL(cudaStreamSynchronize(s));
}

struct RunResult {
  double updates_per_s = 0;  // over the epochs after the first (warm-up)
  double final_rmse = 0;
};

CudaResult TrainRmse(Data& d, const mfc::FactorArrays& f, const Options& o, int sms,
                     cudaStream_t s, double* rmse) {
  GAIA_CUDA_RETURN_IF_FAILED(mfc::LaunchObjective(d.Ratings(), f, o.lambda, d.sums.data(),
                                                  sms, s));
  double sums[2] = {0, 0};
  GAIA_CUDA_RETURN_IF_FAILED(d.sums.CopyToHostAsync(sums, 2, s));
  GAIA_CUDA_RETURN_IF_FAILED(GAIA_CUDA_CALL(cudaStreamSynchronize(s)));
  *rmse = std::sqrt(sums[0] / static_cast<double>(o.shape.ratings));
  return CudaResult();
}

// Trains from the same initial L and R with L stored as `storage`.
CudaResult Run(Data& d, const Options& o, mfc::FactorStorage storage, int sms,
               cudaStream_t s, RunResult* out) {
  const bool half = storage == mfc::FactorStorage::kFloat16;
  const char* name = half ? "fp16" : "fp32";
  const double streamed = 12.0 + 2.0 * o.rank * (half ? 2 : 4);  // bytes per update
  GAIA_CUDA_RETURN_IF_FAILED(GAIA_CUDA_CALL(cudaMemcpyAsync(
      d.l.data(), d.l_init.data(), d.l.bytes(), cudaMemcpyDeviceToDevice, s)));
  GAIA_CUDA_RETURN_IF_FAILED(GAIA_CUDA_CALL(cudaMemcpyAsync(
      d.r.data(), d.r_init.data(), d.r.bytes(), cudaMemcpyDeviceToDevice, s)));
  if (half) GAIA_CUDA_RETURN_IF_FAILED(mfc::LaunchToHalf(d.l.data(), d.l_half.data(),
                                                         d.l.size(), s));
  const mfc::FactorArrays f{half ? static_cast<void*>(d.l_half.data()) : d.l.data(), storage,
                            d.r.data(), o.rank};
  gaia::gpu::EventTimer timer;
  GAIA_CUDA_RETURN_IF_FAILED(timer.Create());
  double rmse = 0, timed_ms = 0;
  GAIA_CUDA_RETURN_IF_FAILED(TrainRmse(d, f, o, sms, s, &rmse));
  std::printf("%s epoch 0: train RMSE %.5f (initial)\n", name, rmse);
  for (int e = 0; e < o.epochs; ++e) {
    mfc::PassParams p;
    p.visits = o.shape.ratings;
    p.order = mfc::ChooseVisitOrder(o.shape.ratings, 1, e);
    p.step = o.learning_rate / (1.0f + o.lr_decay * e);
    p.lambda = o.lambda;
    GAIA_CUDA_RETURN_IF_FAILED(timer.Start(s));
    GAIA_CUDA_RETURN_IF_FAILED(mfc::LaunchSgdPass(d.Ratings(), f, p, sms, s));
    GAIA_CUDA_RETURN_IF_FAILED(timer.Stop(s));
    float ms = 0;
    GAIA_CUDA_RETURN_IF_FAILED(timer.ElapsedMs(&ms));
    GAIA_CUDA_RETURN_IF_FAILED(TrainRmse(d, f, o, sms, s, &rmse));
    const double rate = static_cast<double>(o.shape.ratings) / (ms * 1e-3);
    const double gbps = rate * streamed / 1e9;
    std::printf("%s epoch %d: pass %.2f ms, %.3f G updates/s, %.0f GB/s streamed", name,
                e + 1, ms, rate / 1e9, gbps);
    if (o.copy_gbps > 0) std::printf(" (%.0f%% of copy)", 100.0 * gbps / o.copy_gbps);
    std::printf(", train RMSE %.5f\n", rmse);
    if (e > 0 || o.epochs == 1) timed_ms += ms;
  }
  const int timed = o.epochs > 1 ? o.epochs - 1 : 1;
  out->updates_per_s = static_cast<double>(o.shape.ratings) * timed / (timed_ms * 1e-3);
  out->final_rmse = rmse;
  const double gbps = out->updates_per_s * streamed / 1e9;
  std::printf("mf %s rank %u: %.3f G rating updates/s (epochs 2..%d), %.0f GB/s streamed "
              "(%.0f bytes/update)", name, o.rank, out->updates_per_s / 1e9, o.epochs, gbps,
              streamed);
  if (o.copy_gbps > 0) {
    std::printf(", %.0f%% of the %.0f GB/s copy rate; the streaming bound is %.2f G/s",
                100.0 * gbps / o.copy_gbps, o.copy_gbps, o.copy_gbps / streamed);
  }
  std::printf("; train RMSE after %d epochs %.5f\n", o.epochs, out->final_rmse);
  return CudaResult();
}

int Fail(const CudaResult& r) {
  std::fprintf(stderr, "mf_kernel_bench: %s\n", r.message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseArgs(argc, argv, &o)) return 2;
  gaia::gpu::DeviceInfo info;
  if (CudaResult r = gaia::gpu::UseDevice(0, &info); !r.ok()) return Fail(r);
  std::printf("%s\n", gaia::gpu::Describe(info).c_str());
  FitToMemory(&o);
  std::printf("data: %u users x %u items, %llu ratings, rank %u, %d epochs, lr %g, "
              "lambda %g\n", o.shape.users, o.shape.items,
              static_cast<unsigned long long>(o.shape.ratings), o.rank, o.epochs,
              o.learning_rate, o.lambda);
  gaia::gpu::Stream stream;
  if (CudaResult r = stream.Create(); !r.ok()) return Fail(r);
  Data data;
  if (CudaResult r = MakeData(o, stream.get(), &data); !r.ok()) return Fail(r);
  const int sms = info.multiprocessors;  // the launchers size their grids from it
  RunResult fp32, fp16;
  if (CudaResult r = Run(data, o, mfc::FactorStorage::kFloat32, sms, stream.get(), &fp32);
      !r.ok()) {
    return Fail(r);
  }
  if (CudaResult r = Run(data, o, mfc::FactorStorage::kFloat16, sms, stream.get(), &fp16);
      !r.ok()) {
    return Fail(r);
  }
  std::printf("fp16 L: %.2fx the fp32 rate; train RMSE %+.2f%% against fp32's\n",
              fp16.updates_per_s / fp32.updates_per_s,
              100.0 * (fp16.final_rmse - fp32.final_rmse) / fp32.final_rmse);
  std::printf("target (issue 17, H100, rank 128, fp32): 1.5 G updates/s; this card: %.3f\n",
              fp32.updates_per_s / 1e9);
  return 0;
}
