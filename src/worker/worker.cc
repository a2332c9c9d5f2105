// gaia::Worker and gaia::Table: thin forwarding to internal::WorkerImpl.
#include "gaia/worker.h"

#include <utility>

#include "src/worker/worker_impl.h"

namespace gaia {
namespace {

absl::Status Unbound() {
  return absl::FailedPreconditionError(
      "gaia::Table is default-constructed; get one from Worker::GetTable");
}

}  // namespace

const std::string& Table::name() const {
  static const std::string* const kEmpty = new std::string();
  return impl_ == nullptr ? *kEmpty : impl_->TableName(id_);
}

absl::Status Table::Get(uint64_t row, std::span<float> out) const {
  if (impl_ == nullptr) return Unbound();
  return impl_->GetMany(id_, std::span<const uint64_t>(&row, 1), out);
}

absl::Status Table::GetMany(std::span<const uint64_t> rows, std::span<float> out) const {
  if (impl_ == nullptr) return Unbound();
  return impl_->GetMany(id_, rows, out);
}

absl::Status Table::Inc(uint64_t row, std::span<const float> delta) const {
  if (impl_ == nullptr) return Unbound();
  return impl_->Inc(id_, row, delta);
}

absl::Status Table::IncMany(std::span<const uint64_t> rows, std::span<const float> deltas) const {
  if (impl_ == nullptr) return Unbound();
  return impl_->IncMany(id_, rows, deltas);
}

absl::Status Table::IncSparse(uint64_t row, std::span<const uint32_t> cols,
                              std::span<const float> vals) const {
  if (impl_ == nullptr) return Unbound();
  return impl_->IncSparse(id_, row, cols, vals);
}

absl::StatusOr<std::unique_ptr<Worker>> Worker::Connect(const WorkerOptions& options) {
  absl::StatusOr<std::unique_ptr<internal::WorkerImpl>> impl =
      internal::WorkerImpl::Connect(options);
  if (!impl.ok()) return impl.status();
  return std::unique_ptr<Worker>(new Worker(std::move(*impl)));
}

Worker::Worker(std::unique_ptr<internal::WorkerImpl> impl) : impl_(std::move(impl)) {}

Worker::~Worker() = default;  // WorkerImpl's destructor Finish()es

absl::StatusOr<Table> Worker::GetTable(std::string_view name) const {
  return impl_->GetTable(name);
}

absl::Status Worker::Clock() { return impl_->Clock(); }
int64_t Worker::clock() const { return impl_->clock(); }
int32_t Worker::staleness() const { return impl_->staleness(); }
void Worker::ReportObjective(double objective) { impl_->ReportObjective(objective); }
void Worker::ReportLearningRate(double rate) { impl_->ReportLearningRate(rate); }
void Worker::ReportHeldOut(std::string_view name, double sum, double count,
                           bool root_of_mean) {
  impl_->ReportHeldOut(name, sum, count, root_of_mean);
}
void Worker::ReportInputBytes(uint64_t bytes) { impl_->ReportInputBytes(bytes); }
absl::Status Worker::Finish() { return impl_->Finish(); }
const WorkerOptions& Worker::options() const { return impl_->options(); }

}  // namespace gaia
