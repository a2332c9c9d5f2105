// DeviceCollective: a non-blocking NCCL communicator, so that every wait can
// be bounded and abandoned (ncclCommAbort) rather than hang on a lost peer.
#include "apps/cnn/nccl_collective.h"

#include <nccl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "apps/cnn/nccl_status.h"

namespace gaia::cnn {
namespace {

using Clock = std::chrono::steady_clock;
using internal::CudaStatus;
using internal::NcclStatus;

std::string IdPath(const std::string& dir) { return dir + "/nccl-id"; }

// Sleeps a little longer each time, up to 1 ms: the waits below poll CUDA
// and NCCL, which offer no deadline-bounded blocking wait.
class Backoff {
 public:
  void Wait() {
    std::this_thread::sleep_for(pause_);
    pause_ = std::min(pause_ * 2, std::chrono::microseconds(1000));
  }

 private:
  std::chrono::microseconds pause_{20};
};

// Rank 0: writes the id to a temporary and renames it into place.
absl::Status WriteId(const std::string& dir, const ncclUniqueId& id) {
  const std::string path = IdPath(dir);
  const std::string tmp = absl::StrCat(path, ".tmp-", getpid());
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
  }
  const bool wrote = std::fwrite(&id, sizeof(id), 1, f) == 1;
  const bool closed = std::fclose(f) == 0;
  if (!wrote || !closed || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    return absl::UnavailableError(absl::StrCat("cannot write ", path, ": ", why));
  }
  return absl::OkStatus();
}

// Ranks > 0: polls for the id file until the deadline.
absl::StatusOr<ncclUniqueId> ReadId(const std::string& dir, Clock::time_point deadline) {
  const std::string path = IdPath(dir);
  Backoff backoff;
  while (true) {
    if (FILE* f = std::fopen(path.c_str(), "rb"); f != nullptr) {
      ncclUniqueId id;
      const bool read = std::fread(&id, sizeof(id), 1, f) == 1;
      std::fclose(f);
      if (!read) return absl::DataLossError(absl::StrCat(path, " is shorter than an NCCL id"));
      return id;
    }
    if (errno != ENOENT) {
      return absl::UnavailableError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
    }
    if (Clock::now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("rank 0 did not write ", path, " in time (is it running, with the same "
                       "rendezvous dir?)"));
    }
    backoff.Wait();
  }
}

}  // namespace

absl::Status NcclDeviceAvailable() {
  int count = 0;
  const cudaError_t result = cudaGetDeviceCount(&count);
  if (result != cudaSuccess) {
    return absl::FailedPreconditionError(absl::StrCat(
        "nccl collective: no usable CUDA device (cudaGetDeviceCount: ",
        cudaGetErrorString(result), ")"));
  }
  if (count == 0) return absl::FailedPreconditionError("nccl collective: no CUDA device");
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<DeviceCollective>> DeviceCollective::Create(
    const CollectiveOptions& options) {
  if (absl::Status s = ValidateCollectiveOptions(options); !s.ok()) return s;
  if (absl::Status s = NcclDeviceAvailable(); !s.ok()) return s;
  int count = 0;
  if (absl::Status s = CudaStatus(cudaGetDeviceCount(&count), "cudaGetDeviceCount"); !s.ok()) {
    return s;
  }
  const int device = options.device >= 0 ? options.device : options.rank % count;
  if (device >= count) {
    return absl::InvalidArgumentError(absl::StrCat(
        "collective options: device ", device, " but only ", count, " CUDA devices are visible"));
  }
  std::unique_ptr<DeviceCollective> dc(new DeviceCollective(options, device));
  if (absl::Status s = dc->Join(); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("collective rank ", options.rank,
                                               " (nccl): joining: ", s.message()));
  }
  return dc;
}

DeviceCollective::DeviceCollective(const CollectiveOptions& options, int device)
    : options_(options), device_(device) {}

DeviceCollective::~DeviceCollective() { Close().IgnoreError(); }

absl::Status DeviceCollective::Join() {
  const Deadline deadline = Clock::now() + std::chrono::milliseconds(options_.timeout_ms);
  if (absl::Status s = CudaStatus(cudaSetDevice(device_), "cudaSetDevice"); !s.ok()) return s;
  if (absl::Status s = CudaStatus(cudaEventCreateWithFlags(&done_, cudaEventDisableTiming),
                                  "cudaEventCreateWithFlags");
      !s.ok()) {
    return s;
  }
  ncclUniqueId id;
  if (options_.rank == 0) {
    if (absl::Status s = NcclStatus(ncclGetUniqueId(&id), "ncclGetUniqueId", nullptr); !s.ok()) {
      return s;
    }
    if (options_.size > 1) {
      if (absl::Status s = WriteId(options_.rendezvous_dir, id); !s.ok()) return s;
    }
  } else {
    absl::StatusOr<ncclUniqueId> read = ReadId(options_.rendezvous_dir, deadline);
    if (!read.ok()) return read.status();
    id = *read;
  }
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = 0;  // every wait below is ours, bounded by the deadline
  ncclComm_t comm = nullptr;
  const ncclResult_t result =
      ncclCommInitRankConfig(&comm, options_.size, id, options_.rank, &config);
  comm_ = comm;
  absl::Status s = Issued(result, "ncclCommInitRankConfig", deadline);
  // Every rank has read the id once any rank's communicator is up (or this
  // one gave up).
  if (options_.rank == 0 && options_.size > 1) unlink(IdPath(options_.rendezvous_dir).c_str());
  if (!s.ok() && comm_ != nullptr) {
    ncclCommAbort(comm_);  // half-initialized: finalizing could wait on absent peers
    comm_ = nullptr;
  }
  return s;
}

absl::Status DeviceCollective::Issued(int result, const char* call, Deadline deadline) {
  ncclResult_t state = static_cast<ncclResult_t>(result);
  Backoff backoff;
  while (state == ncclInProgress) {
    if (Clock::now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat(call, " did not complete within ", options_.timeout_ms,
                       " ms (a peer rank missing or out of step?)"));
    }
    backoff.Wait();
    if (absl::Status s = NcclStatus(ncclCommGetAsyncError(comm_, &state),
                                    "ncclCommGetAsyncError", comm_);
        !s.ok()) {
      return s;
    }
  }
  return NcclStatus(state, call, comm_);
}

absl::Status DeviceCollective::Begin(const char* op, Deadline* deadline) {
  ++seq_;
  op_ = op;
  *deadline = Clock::now() + std::chrono::milliseconds(options_.timeout_ms);
  if (comm_ == nullptr && broken_.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("collective rank ", rank(), " (nccl): used after Close"));
  }
  if (!broken_.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "collective rank ", rank(), " (nccl) failed earlier: ", broken_.message()));
  }
  return CudaStatus(cudaSetDevice(device_), "cudaSetDevice");
}

absl::Status DeviceCollective::Finish(cudaStream_t stream, Deadline deadline) {
  if (absl::Status s = CudaStatus(cudaEventRecord(done_, stream), "cudaEventRecord"); !s.ok()) {
    return s;
  }
  Backoff backoff;
  while (true) {
    const cudaError_t query = cudaEventQuery(done_);
    if (query == cudaSuccess) return absl::OkStatus();
    if (query != cudaErrorNotReady) return CudaStatus(query, "cudaEventQuery");
    ncclResult_t async = ncclSuccess;
    if (absl::Status s = NcclStatus(ncclCommGetAsyncError(comm_, &async),
                                    "ncclCommGetAsyncError", comm_);
        !s.ok()) {
      return s;
    }
    if (async != ncclSuccess && async != ncclInProgress) {
      return NcclStatus(async, "the running collective", comm_);
    }
    if (Clock::now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("not done within ", options_.timeout_ms,
                       " ms (a peer rank missing, stuck or out of step?)"));
    }
    backoff.Wait();
  }
}

absl::Status DeviceCollective::Fail(absl::Status status) {
  broken_ = absl::Status(status.code(), absl::StrCat("collective rank ", rank(), " (nccl): ", op_,
                                                     " call #", seq_, ": ", status.message()));
  if (comm_ != nullptr) {
    // Abort, not finalize: the peers may never join the pending work.
    ncclCommAbort(comm_);
    comm_ = nullptr;
  }
  return broken_;
}

absl::Status DeviceCollective::AllReduceSum(float* data, size_t n, cudaStream_t stream) {
  Deadline deadline;
  if (absl::Status s = Begin("AllReduceSum", &deadline); !s.ok()) return s;
  if (n == 0) return absl::OkStatus();
  absl::Status s = Issued(ncclAllReduce(data, data, n, ncclFloat32, ncclSum, comm_, stream),
                          "ncclAllReduce", deadline);
  if (s.ok()) s = Finish(stream, deadline);
  return s.ok() ? s : Fail(s);
}

absl::Status DeviceCollective::ReduceScatterSum(float* data, size_t n, cudaStream_t stream,
                                                SliceRange* mine) {
  Deadline deadline;
  if (absl::Status s = Begin("ReduceScatterSum", &deadline); !s.ok()) return s;
  if (mine == nullptr) return absl::InvalidArgumentError("ReduceScatterSum: mine is null");
  *mine = Collective::Slice(n, rank(), size());
  if (n == 0) return absl::OkStatus();
  // One ncclReduce per slice to its owner, fused by the group; every rank
  // issues the same list (empty slices are skipped by all alike).
  absl::Status s = NcclStatus(ncclGroupStart(), "ncclGroupStart", comm_);
  for (int root = 0; s.ok() && root < size(); ++root) {
    const SliceRange slice = Collective::Slice(n, root, size());
    if (slice.size() == 0) continue;
    float* at = data + slice.begin;
    const ncclResult_t r =
        ncclReduce(at, at, slice.size(), ncclFloat32, ncclSum, root, comm_, stream);
    if (r != ncclInProgress) s = NcclStatus(r, "ncclReduce", comm_);
  }
  const ncclResult_t ended = ncclGroupEnd();
  if (s.ok()) s = Issued(ended, "ncclGroupEnd", deadline);
  if (s.ok()) s = Finish(stream, deadline);
  return s.ok() ? s : Fail(s);
}

absl::Status DeviceCollective::Close() {
  absl::Status s;
  if (comm_ != nullptr) {
    cudaSetDevice(device_);
    const Deadline deadline = Clock::now() + std::chrono::milliseconds(options_.timeout_ms);
    s = Issued(ncclCommFinalize(comm_), "ncclCommFinalize", deadline);
    if (s.ok()) {
      s = NcclStatus(ncclCommDestroy(comm_), "ncclCommDestroy", nullptr);
    } else {
      ncclCommAbort(comm_);
    }
    comm_ = nullptr;
  }
  if (done_ != nullptr) {
    cudaEventDestroy(done_);
    done_ = nullptr;
  }
  return s;
}

}  // namespace gaia::cnn
