// A fixed set of threads that runs one parallel-for at a time. The layers of
// a model call it a few dozen times per training step, so the threads are
// started once (a thread start per call would cost tens of microseconds each).
//
//   ThreadPool pool(2);                       // the caller plus one thread
//   pool.ParallelFor(rows, [&](size_t begin, size_t end, int part) {
//     for (size_t i = begin; i < end; ++i) ...;   // part < pool.size()
//   });
//
// Thread safety: ParallelFor must not be called concurrently or from inside
// fn (one caller at a time, as one Model is driven by one thread).
#ifndef GAIA_APPS_CNN_THREAD_POOL_H_
#define GAIA_APPS_CNN_THREAD_POOL_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace gaia::cnn {

class ThreadPool {
 public:
  // threads >= 1 is the parallelism including the calling thread; a value
  // below 1 is taken as 1.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return size_; }

  // Splits [0, n) into min(size(), n) contiguous parts of near-equal length
  // and runs fn(begin, end, part) for each, part 0 on the caller's thread;
  // returns when all are done. The split depends only on n and size(), so a
  // computation is reproducible for a given thread count.
  template <typename Fn>
  void ParallelFor(size_t n, const Fn& fn) {
    Run(n, &fn, [](const void* f, size_t b, size_t e, int part) {
      (*static_cast<const Fn*>(f))(b, e, part);
    });
  }

  // The part boundaries ParallelFor uses: part p covers [Begin(n, p), Begin(n, p + 1)).
  size_t Parts(size_t n) const { return n < static_cast<size_t>(size_) ? n : size_; }
  static size_t Begin(size_t n, size_t parts, size_t p) { return n * p / parts; }

 private:
  using Call = void (*)(const void* fn, size_t begin, size_t end, int part);

  void Run(size_t n, const void* fn, Call call);
  void WorkerLoop(int part);

  const int size_;
  std::vector<std::thread> workers_;

  // The current job, published under mu_ with a new generation_.
  std::mutex mu_;
  std::condition_variable work_cv_;  // workers wait for generation_ or stop_
  std::condition_variable done_cv_;  // the caller waits for pending_ == 0
  uint64_t generation_ = 0;          // guarded by mu_
  bool stop_ = false;                // guarded by mu_
  int pending_ = 0;                  // guarded by mu_: worker parts not finished
  size_t job_n_ = 0;                 // guarded by mu_
  size_t job_parts_ = 0;             // guarded by mu_
  const void* job_fn_ = nullptr;     // guarded by mu_
  Call job_call_ = nullptr;          // guarded by mu_
};

}  // namespace gaia::cnn

#endif  // GAIA_APPS_CNN_THREAD_POOL_H_
