// Gaia's mutex: the subset of absl::Mutex's API the code uses, built on
// std::shared_mutex and std::condition_variable_any.
//
// Why not absl::Mutex directly: Debian's libabsl is built without
// ThreadSanitizer annotations, so TSan cannot see absl::Mutex's
// happens-before edges and reports false races on everything it guards.
// std::shared_mutex goes through pthread, which TSan intercepts. The capability
// attributes keep clang's -Wthread-safety analysis (ABSL_GUARDED_BY etc.).
//
// Await(cond) re-checks `cond` whenever the mutex is released by a thread
// that holds it, like absl::Mutex; the cost (a notify) is paid only while
// some thread is waiting.
#ifndef GAIA_SRC_COMMON_MUTEX_H_
#define GAIA_SRC_COMMON_MUTEX_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <shared_mutex>

#include "absl/base/thread_annotations.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace gaia::common {

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  // Waiters are woken before the mutex is released: once it is released a
  // waiter may return and destroy the object this mutex lives in, so Unlock
  // must not touch any member afterwards.
  void Unlock() ABSL_UNLOCK_FUNCTION() {
    if (waiters_.load(std::memory_order_relaxed) > 0) cv_.notify_all();
    mu_.unlock();
  }
  // Shared (reader) mode: several readers at once, no writer.
  void ReaderLock() ABSL_SHARED_LOCK_FUNCTION() { mu_.lock_shared(); }
  void ReaderUnlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock_shared(); }

  // REQUIRES: held. Releases the mutex until `cond()` holds, then returns
  // with it held again.
  void Await(const std::function<bool()>& cond) ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    if (cond()) return;
    waiters_.fetch_add(1, std::memory_order_relaxed);
    std::unique_lock<std::shared_mutex> lock(mu_, std::adopt_lock);
    cv_.wait(lock, cond);
    lock.release();
    waiters_.fetch_sub(1, std::memory_order_relaxed);
  }

  // As Await, giving up after `timeout`. Returns cond()'s final value.
  bool AwaitWithTimeout(const std::function<bool()>& cond, absl::Duration timeout)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    return AwaitWithDeadline(cond, absl::Now() + timeout);
  }
  bool AwaitWithDeadline(const std::function<bool()>& cond, absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    if (cond()) return true;
    waiters_.fetch_add(1, std::memory_order_relaxed);
    std::unique_lock<std::shared_mutex> lock(mu_, std::adopt_lock);
    const bool ok = cv_.wait_until(lock, absl::ToChronoTime(deadline), cond);
    lock.release();
    waiters_.fetch_sub(1, std::memory_order_relaxed);
    return ok;
  }

 private:
  std::shared_mutex mu_;
  std::condition_variable_any cv_;
  std::atomic<int> waiters_{0};
};

class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// An exclusive-only mutex for short critical sections on hot paths (the
// worker takes one per Inc): no reader mode, no Await, and a plain
// std::mutex underneath, whose uncontended lock and unlock are cheaper than
// the reader-writer lock behind Mutex (docs/PERFORMANCE.md, LAN path).
class ABSL_LOCKABLE ExclusiveMutex {
 public:
  ExclusiveMutex() = default;
  ExclusiveMutex(const ExclusiveMutex&) = delete;
  ExclusiveMutex& operator=(const ExclusiveMutex&) = delete;
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }

 private:
  std::mutex mu_;
};

class ABSL_SCOPED_LOCKABLE ExclusiveLock {
 public:
  explicit ExclusiveLock(ExclusiveMutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) {
    mu_->Lock();
  }
  ~ExclusiveLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  ExclusiveLock(const ExclusiveLock&) = delete;
  ExclusiveLock& operator=(const ExclusiveLock&) = delete;

 private:
  ExclusiveMutex* const mu_;
};

class ABSL_SCOPED_LOCKABLE ReaderMutexLock {
 public:
  explicit ReaderMutexLock(Mutex* mu) ABSL_SHARED_LOCK_FUNCTION(mu) : mu_(mu) {
    mu_->ReaderLock();
  }
  ~ReaderMutexLock() ABSL_UNLOCK_FUNCTION() { mu_->ReaderUnlock(); }
  ReaderMutexLock(const ReaderMutexLock&) = delete;
  ReaderMutexLock& operator=(const ReaderMutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// A one-shot event, like absl::Notification (see above for why not it).
class Notification {
 public:
  void Notify() {
    MutexLock lock(&mu_);
    notified_.store(true, std::memory_order_release);
  }
  // Lock-free: cheap enough to poll.
  bool HasBeenNotified() const { return notified_.load(std::memory_order_acquire); }
  void WaitForNotification() const {
    MutexLock lock(&mu_);
    mu_.Await([this] { return HasBeenNotified(); });
  }
  bool WaitForNotificationWithDeadline(absl::Time deadline) const {
    MutexLock lock(&mu_);
    return mu_.AwaitWithDeadline([this] { return HasBeenNotified(); }, deadline);
  }

 private:
  mutable Mutex mu_;
  // Set under mu_ (so a waiter cannot miss it), read without it.
  std::atomic<bool> notified_{false};
};

}  // namespace gaia::common

#endif  // GAIA_SRC_COMMON_MUTEX_H_
