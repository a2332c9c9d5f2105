#include "apps/cnn/collective_ring.h"

#include <chrono>
#include <cstdio>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace gaia::cnn {
namespace {

const char* OpName(uint32_t op) {
  return op == internal::kOpAllReduce ? "AllReduceSum" : "ReduceScatterSum";
}

int Mod(int a, int p) { return ((a % p) + p) % p; }

// <dir>/rank-<r>.failed: why rank r gave up, for its neighbours' errors.
std::string FailureNotePath(const std::string& dir, int rank) {
  return absl::StrCat(dir, "/rank-", rank, ".failed");
}

// Best effort: a note that cannot be written only makes errors less precise.
void WriteNote(const std::string& path, const std::string& text) {
  if (FILE* f = std::fopen(path.c_str(), "w"); f != nullptr) {
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
  }
}

// The note's first kMaxNoteBytes, or "" when there is none.
std::string ReadNote(const std::string& path) {
  constexpr size_t kMaxNoteBytes = 1000;
  std::string text(kMaxNoteBytes, '\0');
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return "";
  text.resize(std::fread(text.data(), 1, text.size(), f));
  std::fclose(f);
  return text;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RingCollective>> RingCollective::Create(
    const CollectiveOptions& options) {
  if (absl::Status s = ValidateCollectiveOptions(options); !s.ok()) return s;
  internal::RingLink link;
  if (options.size > 1) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options.timeout_ms);
    absl::StatusOr<internal::RingLink> connected =
        internal::RingLink::Connect(options.rendezvous_dir, options.rank, options.size, deadline);
    if (!connected.ok()) {
      return absl::Status(connected.status().code(),
                          absl::StrCat("collective rank ", options.rank, " (cpu): ",
                                       connected.status().message()));
    }
    link = *std::move(connected);
  }
  return std::unique_ptr<RingCollective>(new RingCollective(options, std::move(link)));
}

RingCollective::RingCollective(const CollectiveOptions& options, internal::RingLink link)
    : options_(options),
      chunk_elems_(options.chunk_bytes / sizeof(float)),
      link_(std::move(link)) {}

RingCollective::~RingCollective() { Close().IgnoreError(); }

absl::Status RingCollective::Close() {
  closed_ = true;
  link_.Close();
  return absl::OkStatus();
}

absl::Status RingCollective::AllReduceSum(std::span<float> data) {
  return Run(internal::kOpAllReduce, data, /*gather=*/true);
}

absl::Status RingCollective::ReduceScatterSum(std::span<float> data, SliceRange* mine) {
  if (mine == nullptr) {
    ++seq_;  // still a step: the peers' call fails instead of pairing with our next one
    return absl::InvalidArgumentError(absl::StrCat(
        "collective rank ", rank(), " (cpu): ReduceScatterSum call #", seq_, ": mine is null"));
  }
  absl::Status s = Run(internal::kOpReduceScatter, data, /*gather=*/false);
  if (s.ok()) *mine = Slice(data.size(), rank(), size());
  return s;
}

absl::Status RingCollective::Run(uint32_t op, std::span<float> data, bool gather) {
  ++seq_;
  if (closed_) {
    return absl::FailedPreconditionError(
        absl::StrCat("collective rank ", rank(), " (cpu): used after Close"));
  }
  if (!broken_.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "collective rank ", rank(), " (cpu) failed earlier: ", broken_.message()));
  }
  const int p = size();
  if (p == 1) return absl::OkStatus();
  if (scratch_.size() < chunk_elems_) scratch_.resize(chunk_elems_);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.timeout_ms);
  const int r = rank();
  const size_t n = data.size();
  uint32_t step = 0;
  // Reduce-scatter: at step s send slice r-s-1 (which holds s+1 ranks'
  // sum) and add slice r-s-2 from the previous rank; after p-1 steps slice r
  // holds all p.
  for (int s = 0; s + 1 < p; ++s, ++step) {
    const internal::StepFrames frames{.seq = seq_, .op = op, .n = n, .step = step};
    absl::Status st = link_.Step(frames, Slice(n, Mod(r - s - 1, p), p),
                                 Slice(n, Mod(r - s - 2, p), p), internal::RecvMode::kAdd, data,
                                 scratch_, chunk_elems_, deadline);
    if (!st.ok()) return Fail(op, st);
  }
  if (!gather) return absl::OkStatus();
  // All-gather: at step s pass on slice r-s (complete) and take r-s-1.
  for (int s = 0; s + 1 < p; ++s, ++step) {
    const internal::StepFrames frames{.seq = seq_, .op = op, .n = n, .step = step};
    absl::Status st =
        link_.Step(frames, Slice(n, Mod(r - s, p), p), Slice(n, Mod(r - s - 1, p), p),
                   internal::RecvMode::kCopy, data, scratch_, chunk_elems_, deadline);
    if (!st.ok()) return Fail(op, st);
  }
  return absl::OkStatus();
}

absl::Status RingCollective::Fail(uint32_t op, const absl::Status& status) {
  std::string context = absl::StrCat("collective rank ", rank(), " (cpu): ", OpName(op),
                                     " call #", seq_, ": ");
  if (status.code() == absl::StatusCode::kDeadlineExceeded) {
    absl::StrAppend(&context, "after ", options_.timeout_ms, " ms, ");
  }
  std::string message = absl::StrCat(context, status.message());
  if (const int peer = link_.lost_peer(); peer >= 0) {
    // A neighbour that failed first left its reason: quote it, so the error
    // names where the ring broke, not only the neighbour that closed.
    const std::string note = ReadNote(FailureNotePath(options_.rendezvous_dir, peer));
    if (!note.empty()) absl::StrAppend(&message, "; rank ", peer, " reported: ", note);
  }
  broken_ = absl::Status(status.code(), message);
  // The note first, then the close: a neighbour reads it after our sockets
  // close, so it is complete by then.
  WriteNote(FailureNotePath(options_.rendezvous_dir, rank()), message);
  // Closing at once lets the neighbours fail now rather than at their deadline.
  link_.Close();
  return broken_;
}

}  // namespace gaia::cnn
