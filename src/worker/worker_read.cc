// WorkerImpl::GetMany: cache lookup, then the missing rows read from their
// shards in chunks of at most max_batch_bytes of values, a few chunks in
// flight per shard, each scattered into the caller's buffer as it arrives.
// Bounded chunks keep every message, and the shard's reply buffers, small
// however many rows one call asks for. Last, the worker's own updates that
// each row's snapshot does not show are added (read-my-writes).
#include <algorithm>
#include <chrono>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "src/worker/worker_impl.h"

namespace gaia::internal {
namespace {

// Chunks of one shard's rows in flight at once: enough to keep the link and
// the shard busy while a reply is scattered.
constexpr size_t kReadWindow = 4;

// A read whose reply comes back within tens of microseconds on a LAN is
// polled for, for up to kReplyPoll, before the reader blocks: that saves the
// sleep and the wake-up (about a third of a 1-row round trip here,
// docs/PERFORMANCE.md). It does so when the shard has at most
// kPolledWorkBytes to take in for it: the reply, and what the worker sent
// ahead of the request and the shard may not have handled yet (a clock's
// pushes, sent just before a read). Anything more takes longer than the
// poll, and polling would only take CPU from the threads doing that work:
// a 4 MB push then read ran up to 14% slower with the reader polling (2
// vCPUs, docs/PERFORMANCE.md).
constexpr absl::Duration kReplyPoll = absl::Microseconds(50);
constexpr uint64_t kPolledWorkBytes = 64 << 10;

// Rows of one GetMany that go to one shard, and its chunks.
struct ShardRead {
  std::vector<uint32_t> positions;  // indexes into the caller's rows
  bool identity = false;            // positions == 0, 1, ..., rows.size() - 1
  size_t chunks = 0;                // ceil(positions / chunk_rows)
  std::vector<std::shared_ptr<PendingRead>> pending;  // by chunk; null once done
};

// What one GetMany reads from the shards: the caller's rows and buffer, and
// how they are cut into chunks.
struct ReadPlan {
  uint32_t table_id = 0;
  absl::string_view table_name;
  uint32_t width = 0;
  std::span<const uint64_t> rows;
  std::span<float> out;
  int64_t min_clock = 0;
  size_t chunk_rows = 1;
  absl::Time deadline;
  int64_t read_timeout_ms = 0;
  RowCache* cache = nullptr;  // null when caching is off
  // stamps[i]: the shard clock of the snapshot rows[i] was served from;
  // null when the read adds no own updates and needs none.
  int64_t* stamps = nullptr;
};

// The reads of one GetMany's missing rows: chunk j of shard k is sent, at
// most kReadWindow chunks of a shard in flight; chunks are received (and
// scattered into the caller's buffer) chunk index by chunk index across the
// shards, each answer making room for the shard's next chunk. The first
// error stops it and abandons what is still in flight.
class ChunkedRead {
 public:
  ChunkedRead(const ReadPlan& plan, std::vector<ShardRead> reads,
              std::span<ShardSession* const> sessions)
      : plan_(plan), row_bytes_(size_t{plan.width} * sizeof(float)),
        reads_(std::move(reads)), sessions_(sessions) {}

  absl::Status Run() {
    size_t most_chunks = 0;
    for (size_t k = 0; k < reads_.size() && status_.ok(); ++k) {
      most_chunks = std::max(most_chunks, reads_[k].chunks);
      for (size_t j = 0; j < std::min(reads_[k].chunks, kReadWindow) && status_.ok(); ++j) {
        Send(k, j);
      }
    }
    for (size_t j = 0; j < most_chunks && status_.ok(); ++j) {
      for (size_t k = 0; k < reads_.size() && status_.ok(); ++k) {
        if (j >= reads_[k].chunks) continue;
        Receive(k, j);
        if (status_.ok() && j + kReadWindow < reads_[k].chunks) Send(k, j + kReadWindow);
      }
    }
    if (!status_.ok()) AbandonInFlight();
    return status_;
  }

 private:
  size_t Begin(size_t j) const { return j * plan_.chunk_rows; }
  size_t End(const ShardRead& read, size_t j) const {
    return std::min(Begin(j) + plan_.chunk_rows, read.positions.size());
  }

  // Sends chunk j of shard k.
  void Send(size_t k, size_t j) {
    ShardRead& read = reads_[k];
    const size_t begin = Begin(j);
    const size_t end = End(read, j);
    std::string packed((end - begin) * sizeof(uint64_t), '\0');
    char* dst = packed.data();
    if (read.identity) {
      std::memcpy(dst, plan_.rows.data() + begin, packed.size());
    } else {
      for (size_t p = begin; p < end; ++p) {
        std::memcpy(dst, &plan_.rows[read.positions[p]], sizeof(uint64_t));
        dst += sizeof(uint64_t);
      }
    }
    absl::StatusOr<std::shared_ptr<PendingRead>> pending =
        sessions_[k]->Read(plan_.table_id, std::move(packed), plan_.min_clock);
    if (!pending.ok()) {
      status_ = pending.status();
    } else {
      read.pending[j] = std::move(*pending);
    }
  }

  // Waits for chunk j of shard k and scatters it.
  void Receive(size_t k, size_t j) {
    ShardRead& read = reads_[k];
    std::shared_ptr<PendingRead> pending = std::move(read.pending[j]);
    ShardSession& session = *sessions_[k];
    const size_t begin = Begin(j);
    const size_t end = End(read, j);
    if ((end - begin) * row_bytes_ + session.BytesAheadOf(*pending) <= kPolledWorkBytes) {
      const absl::Time poll_until = absl::Now() + kReplyPoll;
      while (!pending->done.HasBeenNotified() && absl::Now() < poll_until) {
      }
    }
    if (!pending->done.WaitForNotificationWithDeadline(plan_.deadline)) {
      session.Abandon(pending->request_id);
      status_ = absl::DeadlineExceededError(absl::StrCat(
          "shard ", session.address(), ": read of table '", plan_.table_name, "' at min_clock ",
          plan_.min_clock, " not answered within read_timeout_ms=", plan_.read_timeout_ms));
      return;
    }
    if (!pending->status.ok()) {
      status_ = pending->status;
      return;
    }
    ReplyValues& values = pending->values;
    if (values.size() != (end - begin) * row_bytes_) {
      status_ = absl::InternalError(absl::StrCat("shard ", session.address(),
                                                 ": read reply holds ", values.size(),
                                                 " bytes, expected ", (end - begin) * row_bytes_));
      return;
    }
    Scatter(read, begin, end, values);
    if (plan_.stamps != nullptr) {
      for (size_t p = begin; p < end; ++p) plan_.stamps[read.positions[p]] = pending->shard_clock;
    }
    if (plan_.cache != nullptr) {
      // Rows of this reply in request order, for the cache's batch insert.
      std::vector<uint64_t> ids(end - begin);
      for (size_t p = begin; p < end; ++p) ids[p - begin] = plan_.rows[read.positions[p]];
      std::string scratch;
      plan_.cache->InsertMany(plan_.table_id, ids, pending->shard_clock, plan_.width,
                              values.Contiguous(&scratch));
    }
  }

  // The values are copied once, from gRPC's receive buffer into place.
  void Scatter(const ShardRead& read, size_t begin, size_t end, ReplyValues& values) {
    char* const dst = reinterpret_cast<char*>(plan_.out.data());
    if (read.identity) {
      values.Read(dst + begin * row_bytes_, values.size());
    } else if (plan_.width == 1) {  // a constant-size copy the compiler inlines
      for (size_t p = begin; p < end; ++p) {
        values.Read(dst + size_t{read.positions[p]} * sizeof(float), sizeof(float));
      }
    } else {
      for (size_t p = begin; p < end; ++p) {
        values.Read(dst + size_t{read.positions[p]} * row_bytes_, row_bytes_);
      }
    }
  }

  void AbandonInFlight() {
    for (size_t k = 0; k < reads_.size(); ++k) {
      for (const std::shared_ptr<PendingRead>& pending : reads_[k].pending) {
        if (pending != nullptr) sessions_[k]->Abandon(pending->request_id);
      }
    }
  }

  const ReadPlan& plan_;
  const size_t row_bytes_;
  std::vector<ShardRead> reads_;
  const std::span<ShardSession* const> sessions_;
  absl::Status status_;
};

// At least `rows` stamps of this thread's scratch (grown, never shrunk, so a
// steady read size allocates nothing).
int64_t* StampSpace(std::vector<int64_t>* stamps, size_t rows) {
  if (stamps->size() < rows) stamps->resize(rows);
  return stamps->data();
}

}  // namespace

absl::Status WorkerImpl::GetMany(uint32_t table_id, std::span<const uint64_t> rows,
                                 std::span<float> out) {
  if (absl::Status s = CheckTableAndRows(table_id, rows); !s.ok()) return s;
  const TableMeta& meta = tables_[table_id];
  const uint32_t width = meta.width;
  if (out.size() != rows.size() * width) {
    return absl::InvalidArgumentError(
        absl::StrCat("table '", meta.name, "': output holds ", out.size(), " floats, ",
                     rows.size(), " rows of width ", width, " need ", rows.size() * width));
  }
  if (absl::Status s = BackgroundError(); !s.ok()) return s;
  reads_.fetch_add(rows.size(), std::memory_order_relaxed);
  if (rows.empty()) return absl::OkStatus();

  // DESIGN.md §4.1: at clock c with staleness s, every update of clocks
  // <= c - s - 1 must be visible, i.e. shard clock >= c - s.
  const int64_t min_clock = std::max<int64_t>(0, clock() - staleness_);
  // Read-my-writes: which shards hold own updates a snapshot stamped
  // min_clock or later may lack. Updates made while this read runs are
  // concurrent with it; it may or may not see them, as from the shard.
  thread_local std::vector<uint8_t> unseen;
  thread_local std::vector<int64_t> stamps;
  int64_t* const stamp_out =
      FindUnseenShards(table_id, min_clock, &unseen) ? StampSpace(&stamps, rows.size()) : nullptr;

  const absl::Status status = ReadBase(table_id, rows, min_clock, out, stamp_out);
  if (status.ok() && stamp_out != nullptr) {
    AddOwnUpdates(table_id, rows, stamp_out, unseen, out);
  }
  return status;
}

absl::Status WorkerImpl::ReadBase(uint32_t table_id, std::span<const uint64_t> rows,
                                  int64_t min_clock, std::span<float> out, int64_t* stamps) {
  const TableMeta& meta = tables_[table_id];
  const uint32_t width = meta.width;
  std::vector<uint32_t> missing;
  missing.reserve(rows.size());
  if (cache_ != nullptr) {
    cache_->LookupMany(table_id, rows, min_clock, width, out, &missing, stamps);
    if (missing.empty()) return absl::OkStatus();
  } else {
    for (size_t i = 0; i < rows.size(); ++i) missing.push_back(static_cast<uint32_t>(i));
  }

  std::vector<ShardRead> reads(shards_.size());
  if (shards_.size() == 1) {
    reads[0].identity = missing.size() == rows.size();  // ascending, so 0..n-1
    reads[0].positions = std::move(missing);
  } else {
    for (uint32_t i : missing) reads[ShardFor(table_id, rows[i])].positions.push_back(i);
  }
  const size_t row_bytes = size_t{width} * sizeof(float);
  const ReadPlan plan{
      .table_id = table_id,
      .table_name = meta.name,
      .width = width,
      .rows = rows,
      .out = out,
      .min_clock = min_clock,
      .chunk_rows = std::max<size_t>(
          1, static_cast<size_t>(options_.max_batch_bytes) / std::max<size_t>(row_bytes, 1)),
      .deadline = absl::Now() + absl::Milliseconds(options_.read_timeout_ms),
      .read_timeout_ms = options_.read_timeout_ms,
      .cache = cache_.get(),
      .stamps = stamps,
  };
  for (ShardRead& read : reads) {
    read.chunks = (read.positions.size() + plan.chunk_rows - 1) / plan.chunk_rows;
    read.pending.resize(read.chunks);
  }
  const auto started = std::chrono::steady_clock::now();
  const absl::Status status = ChunkedRead(plan, std::move(reads), sessions_).Run();
  read_wait_ns_.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count(),
                          std::memory_order_relaxed);
  return status;
}

bool WorkerImpl::FindUnseenShards(uint32_t table_id, int64_t min_clock,
                                  std::vector<uint8_t>* unseen) {
  unseen->assign(shards_.size(), 0);
  bool any = false;
  for (size_t k = 0; k < shards_.size(); ++k) {
    ShardState& shard = *shards_[k];
    common::ExclusiveLock lock(&shard.mu);
    (*unseen)[k] = shard.buffer.HasUnseen(table_id, min_clock);
    any = any || (*unseen)[k];
  }
  return any;
}

void WorkerImpl::AddOwnUpdates(uint32_t table_id, std::span<const uint64_t> rows,
                               const int64_t* stamps, const std::vector<uint8_t>& unseen,
                               std::span<float> out) {
  const size_t width = tables_[table_id].width;
  if (shards_.size() == 1) {
    ShardState& shard = *shards_[0];
    common::ExclusiveLock lock(&shard.mu);
    for (size_t i = 0; i < rows.size(); ++i) {
      shard.buffer.AddUnseen(table_id, rows[i], stamps[i], out.data() + i * width);
    }
    return;
  }
  // Positions of the rows of each shard that has something to add, then one
  // lock per such shard. This thread's scratch, reused across calls.
  thread_local std::vector<std::vector<uint32_t>> by_shard;
  by_shard.resize(std::max(by_shard.size(), shards_.size()));
  for (std::vector<uint32_t>& positions : by_shard) positions.clear();
  for (size_t i = 0; i < rows.size(); ++i) {
    const uint32_t k = ShardFor(table_id, rows[i]);
    if (unseen[k]) by_shard[k].push_back(static_cast<uint32_t>(i));
  }
  for (size_t k = 0; k < shards_.size(); ++k) {
    if (by_shard[k].empty()) continue;
    ShardState& shard = *shards_[k];
    common::ExclusiveLock lock(&shard.mu);
    for (uint32_t i : by_shard[k]) {
      shard.buffer.AddUnseen(table_id, rows[i], stamps[i], out.data() + size_t{i} * width);
    }
  }
}

}  // namespace gaia::internal
