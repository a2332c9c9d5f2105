#include "apps/cnn/thread_pool.h"

namespace gaia::cnn {

ThreadPool::ThreadPool(int threads) : size_(threads < 1 ? 1 : threads) {
  workers_.reserve(size_ - 1);
  for (int p = 1; p < size_; ++p) workers_.emplace_back([this, p] { WorkerLoop(p); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::Run(size_t n, const void* fn, Call call) {
  if (n == 0) return;
  const size_t parts = Parts(n);
  if (parts == 1) {
    call(fn, 0, n, 0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_n_ = n;
    job_parts_ = parts;
    job_fn_ = fn;
    job_call_ = call;
    pending_ = static_cast<int>(parts) - 1;
    ++generation_;
  }
  work_cv_.notify_all();
  call(fn, 0, Begin(n, parts, 1), 0);
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [this] { return pending_ == 0; });
}

void ThreadPool::WorkerLoop(int part) {
  uint64_t seen = 0;
  while (true) {
    size_t n = 0;
    size_t parts = 0;
    const void* fn = nullptr;
    Call call = nullptr;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      n = job_n_;
      parts = job_parts_;
      fn = job_fn_;
      call = job_call_;
    }
    // A job with fewer parts than threads leaves the rest idle.
    if (static_cast<size_t>(part) >= parts) continue;
    call(fn, Begin(n, parts, part), Begin(n, parts, part + 1), part);
    bool last = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      last = --pending_ == 0;
    }
    if (last) done_cv_.notify_one();
  }
}

}  // namespace gaia::cnn
