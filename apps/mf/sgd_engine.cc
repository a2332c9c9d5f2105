#include "apps/mf/sgd_engine.h"

#include <utility>

namespace gaia::mf {
namespace {

class CpuEngine : public SgdEngine {
 public:
  explicit CpuEngine(LocalSgd sgd) : sgd_(std::move(sgd)) {}

  const LocalSgd& model() const override { return sgd_; }
  absl::StatusOr<LocalSgd::ClockResult> RunClock(int64_t clock, std::span<float> r,
                                                 std::span<float> delta) override {
    return sgd_.RunClock(clock, r, delta);
  }
  absl::Status SyncModel() override { return absl::OkStatus(); }
  std::string Describe() const override { return "cpu"; }

 private:
  LocalSgd sgd_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<SgdEngine>> CreateCpuEngine(const std::vector<Rating>& ratings,
                                                           const SgdOptions& options) {
  absl::StatusOr<LocalSgd> sgd = LocalSgd::Create(ratings, options);
  if (!sgd.ok()) return sgd.status();
  return std::make_unique<CpuEngine>(std::move(*sgd));
}

}  // namespace gaia::mf
