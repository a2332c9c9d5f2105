// WorkerImpl::GetMany: cache lookup, one ReadRequest per shard touched (all in
// flight at once), then scatter into the caller's buffer.
#include <algorithm>
#include <chrono>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "src/worker/worker_impl.h"

namespace gaia::internal {
namespace {

// Rows of one GetMany that go to one shard.
struct ShardRead {
  std::vector<uint32_t> positions;  // indexes into the caller's rows
  bool identity = false;            // positions == 0, 1, ..., rows.size() - 1
  std::shared_ptr<PendingRead> pending;
};

}  // namespace

absl::Status WorkerImpl::GetMany(uint32_t table_id, std::span<const uint64_t> rows,
                                 std::span<float> out) {
  if (table_id >= tables_.size()) {
    return absl::InvalidArgumentError(absl::StrCat("unknown table id ", table_id));
  }
  const TableMeta& meta = tables_[table_id];
  const uint32_t width = meta.width;
  if (out.size() != rows.size() * width) {
    return absl::InvalidArgumentError(
        absl::StrCat("table '", meta.name, "': output holds ", out.size(), " floats, ",
                     rows.size(), " rows of width ", width, " need ", rows.size() * width));
  }
  for (uint64_t row : rows) {
    if (row >= meta.num_rows) return CheckTableAndRow(table_id, row);  // names the row
  }
  if (finished_.load(std::memory_order_acquire)) {
    return absl::FailedPreconditionError("worker already finished");
  }
  if (absl::Status s = BackgroundError(); !s.ok()) return s;
  reads_.fetch_add(rows.size(), std::memory_order_relaxed);
  if (rows.empty()) return absl::OkStatus();

  // DESIGN.md §4.1: at clock c with staleness s, every update of clocks
  // <= c - s - 1 must be visible, i.e. shard clock >= c - s.
  const int64_t min_clock = std::max<int64_t>(0, clock() - staleness_);

  std::vector<uint32_t> missing;
  missing.reserve(rows.size());
  if (cache_ != nullptr) {
    cache_->LookupMany(table_id, rows, min_clock, width, out, &missing);
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

  const auto started = std::chrono::steady_clock::now();
  absl::Status status;
  for (size_t k = 0; k < reads.size() && status.ok(); ++k) {
    ShardRead& read = reads[k];
    if (read.positions.empty()) continue;
    std::string packed(read.positions.size() * sizeof(uint64_t), '\0');
    char* dst = packed.data();
    if (read.identity) {
      std::memcpy(dst, rows.data(), packed.size());
    } else {
      for (uint32_t i : read.positions) {
        std::memcpy(dst, &rows[i], sizeof(uint64_t));
        dst += sizeof(uint64_t);
      }
    }
    absl::StatusOr<std::shared_ptr<PendingRead>> pending =
        shards_[k]->session->Read(table_id, std::move(packed), min_clock);
    if (!pending.ok()) {
      status = pending.status();
    } else {
      read.pending = std::move(*pending);
    }
  }

  const absl::Time deadline = absl::Now() + absl::Milliseconds(options_.read_timeout_ms);
  const size_t row_bytes = size_t{width} * sizeof(float);
  for (size_t k = 0; k < reads.size(); ++k) {
    ShardRead& read = reads[k];
    if (read.pending == nullptr) continue;
    ShardSession& session = *shards_[k]->session;
    if (!status.ok() || !read.pending->done.WaitForNotificationWithDeadline(deadline)) {
      session.Abandon(read.pending->request_id);
      if (status.ok()) {
        status = absl::DeadlineExceededError(absl::StrCat(
            "shard ", session.address(), ": read of table '", meta.name, "' at min_clock ",
            min_clock, " not answered within read_timeout_ms=", options_.read_timeout_ms));
      }
      continue;
    }
    if (!read.pending->status.ok()) {
      status = read.pending->status;
      continue;
    }
    const rpc::ReadReply& reply = read.pending->reply;
    if (reply.values().size() != read.positions.size() * row_bytes) {
      status = absl::InternalError(absl::StrCat(
          "shard ", session.address(), ": read reply holds ", reply.values().size(),
          " bytes, expected ", read.positions.size() * row_bytes));
      continue;
    }
    const char* src = reply.values().data();
    if (read.identity) {
      std::memcpy(out.data(), src, reply.values().size());
    } else if (width == 1) {  // a constant-size copy the compiler inlines
      for (uint32_t i : read.positions) {
        std::memcpy(out.data() + i, src, sizeof(float));
        src += sizeof(float);
      }
    } else {
      for (uint32_t i : read.positions) {
        std::memcpy(out.data() + size_t{i} * width, src, row_bytes);
        src += row_bytes;
      }
    }
    if (cache_ != nullptr) {
      // Rows of this reply in request order, for the cache's batch insert.
      std::vector<uint64_t> ids(read.positions.size());
      for (size_t j = 0; j < ids.size(); ++j) ids[j] = rows[read.positions[j]];
      cache_->InsertMany(table_id, ids, reply.shard_clock(), width, reply.values().data());
    }
  }
  read_wait_ns_.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count(),
                          std::memory_order_relaxed);
  return status;
}

}  // namespace gaia::internal
