#include "src/wan/relay.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "src/common/logging.h"

namespace gaia::wan {
namespace {

// epoll tags: small numbers for the loop's own fds and listeners,
// (connection id << 1 | side) for connection sockets.
constexpr uint64_t kWakeTag = 0;
constexpr uint64_t kTimerTag = 1;
constexpr uint64_t kListenerTagBase = 2;
constexpr size_t kMaxRoutes = 1 << 16;
constexpr uint64_t kFirstConnectionId = 1 << 20;
constexpr uint32_t kSocketEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
constexpr int kMaxAcceptsPerEvent = 64;

absl::Status AddToEpoll(int epoll_fd, int fd, uint32_t events, uint64_t tag) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = tag;
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    return absl::InternalError(absl::StrCat("epoll_ctl: ", ErrnoText(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

Relay::Relay(RelayOptions options)
    : options_(std::move(options)) {}

Relay::~Relay() { Stop(); }

LinkShaper* Relay::FindLink(std::string_view name) const {
  for (const auto& link : links_) {
    if (link->name() == name) return link.get();
  }
  return nullptr;
}

absl::Status Relay::SetUpLocked() {
  if (options_.pipe.read_chunk_bytes == 0 || options_.pipe.queue_limit_bytes == 0 ||
      options_.pipe.max_queue_bytes == 0 || !(options_.pipe.queue_limit_ms >= 0)) {
    return absl::InvalidArgumentError(
        "read_chunk_bytes, queue_limit_bytes and max_queue_bytes must be > 0, "
        "queue_limit_ms >= 0");
  }
  if (options_.routes.size() > kMaxRoutes) {
    return absl::InvalidArgumentError(absl::StrCat("at most ", kMaxRoutes, " routes"));
  }
  std::set<std::string> names;
  for (size_t i = 0; i < options_.links.size(); ++i) {
    const LinkSpec& spec = options_.links[i];
    if (!names.insert(spec.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("links[", i, "].name: duplicate link name '", spec.name, "'"));
    }
    auto link = LinkShaper::Create(spec, options_.shaper);
    if (!link.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("links[", i, "]: ", link.status().message()));
    }
    links_.push_back(*std::move(link));
  }
  for (size_t i = 0; i < options_.routes.size(); ++i) {
    const RouteSpec& spec = options_.routes[i];
    Route route;
    route.spec = spec;
    route.forward = FindLink(spec.forward_link);
    route.backward = FindLink(spec.backward_link);
    if (route.forward == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "routes[", i, "].forward_link: unknown link '", spec.forward_link, "'"));
    }
    if (route.backward == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "routes[", i, "].backward_link: unknown link '", spec.backward_link, "'"));
    }
    auto target = ResolveHostPort(spec.target);
    if (!target.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("routes[", i, "].target: ", target.status().message()));
    }
    route.target_addr = *target;
    routes_.push_back(std::move(route));
  }

  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0 || timer_fd_ < 0) {
    return absl::InternalError(absl::StrCat("epoll/eventfd/timerfd: ", ErrnoText(errno)));
  }
  if (absl::Status s = AddToEpoll(epoll_fd_, wake_fd_, EPOLLIN, kWakeTag); !s.ok()) return s;
  if (absl::Status s = AddToEpoll(epoll_fd_, timer_fd_, EPOLLIN, kTimerTag); !s.ok()) {
    return s;
  }

  for (size_t i = 0; i < routes_.size(); ++i) {
    const std::string& listen = routes_[i].spec.listen;
    auto addr = ResolveHostPort(listen);
    if (!addr.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("routes[", i, "].listen: ", addr.status().message()));
    }
    auto fd = ListenTcp(*addr);
    if (!fd.ok()) {
      return absl::UnavailableError(
          absl::StrCat("routes[", i, "].listen '", listen, "': ", fd.status().message()));
    }
    listeners_.push_back(Listener{.fd = *fd, .route = i});
    auto port = LocalPort(*fd);
    if (!port.ok()) return port.status();
    ports_.push_back(*port);
    if (absl::Status s = AddToEpoll(epoll_fd_, *fd, EPOLLIN, kListenerTagBase + i);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status Relay::Start() {
  common::MutexLock lock(&mu_);
  if (started_) return absl::FailedPreconditionError("Relay::Start called twice");
  started_ = true;
  next_connection_id_ = kFirstConnectionId;
  if (absl::Status s = SetUpLocked(); !s.ok()) {
    CloseAllFds();
    loop_exited_ = true;
    return s;
  }
  auto log = gaia::common::Logger("wan");
  for (size_t i = 0; i < routes_.size(); ++i) {
    log->info("route {}: listening on port {} -> {} (forward {}, backward {})", i,
              ports_[i], routes_[i].spec.target, routes_[i].spec.forward_link,
              routes_[i].spec.backward_link);
  }
  thread_ = std::thread([this] { Loop(); });
  return absl::OkStatus();
}

void Relay::CloseAllFds() {
  for (Listener& l : listeners_) {
    if (l.fd >= 0) close(l.fd);
  }
  listeners_.clear();
  for (int* fd : {&epoll_fd_, &wake_fd_, &timer_fd_}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
}

void Relay::Stop() {
  {
    common::MutexLock lock(&mu_);
    if (!started_ || stopping_) return;
    stopping_ = true;
  }
  Wake();
  if (thread_.joinable()) thread_.join();
  connections_.clear();  // closes their sockets
  CloseAllFds();
  common::MutexLock lock(&mu_);
  open_connections_ = 0;
}

void Relay::Wake() {
  const uint64_t one = 1;
  // Fails only if the counter would overflow, i.e. a wake-up is pending.
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof(one));
}

std::vector<int> Relay::ports() const {
  common::MutexLock lock(&mu_);
  return ports_;
}

absl::Status Relay::SetLink(const std::string& name, double bandwidth_mbps,
                            double delay_ms) {
  {
    common::MutexLock lock(&mu_);
    if (!started_ || loop_exited_) {
      return absl::FailedPreconditionError("relay is not running");
    }
  }
  LinkShaper* link = FindLink(name);
  if (link == nullptr) {
    return absl::NotFoundError(absl::StrCat("no link named '", name, "'"));
  }
  if (absl::Status s = link->SetLink(bandwidth_mbps, delay_ms); !s.ok()) return s;
  gaia::common::Logger("wan")->info("link {}: bandwidth {} Mbit/s, delay {} ms", name,
                                    bandwidth_mbps, delay_ms);
  Wake();  // deadlines computed under the old settings are stale
  return absl::OkStatus();
}

absl::Status Relay::DropConnections(const std::string& link_name) {
  common::MutexLock lock(&mu_);
  if (!started_ || loop_exited_) return absl::FailedPreconditionError("relay is not running");
  LinkShaper* link = FindLink(link_name);
  if (link == nullptr) {
    return absl::NotFoundError(absl::StrCat("no link named '", link_name, "'"));
  }
  drop_requests_.push_back(link);
  const uint64_t ticket = ++drops_requested_;
  Wake();
  mu_.Await([this, ticket]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return drops_done_ >= ticket || loop_exited_;
  });
  return absl::OkStatus();
}

std::vector<LinkStats> Relay::Stats() const {
  std::vector<LinkStats> stats;
  {
    common::MutexLock lock(&mu_);
    if (!started_) return stats;
  }
  for (const auto& link : links_) stats.push_back(link->Stats());
  return stats;
}

size_t Relay::open_connections() const {
  common::MutexLock lock(&mu_);
  return open_connections_;
}

void Relay::RunCommands() {
  std::vector<LinkShaper*> drops;
  {
    common::MutexLock lock(&mu_);
    drops.swap(drop_requests_);
  }
  for (LinkShaper* link : drops) {
    size_t dropped = 0;
    for (auto it = connections_.begin(); it != connections_.end();) {
      if (it->second->uses(link)) {
        it = connections_.erase(it);
        ++dropped;
      } else {
        ++it;
      }
    }
    gaia::common::Logger("wan")->info("link {}: dropped {} connections", link->name(),
                                      dropped);
  }
  common::MutexLock lock(&mu_);
  drops_done_ += drops.size();
  open_connections_ = connections_.size();
}

void Relay::Accept(const Listener& listener) {
  const Route& route = routes_[listener.route];
  auto log = gaia::common::Logger("wan");
  for (int i = 0; i < kMaxAcceptsPerEvent; ++i) {
    const int client = accept4(listener.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (client < 0) {
      const int err = errno;
      if (err == EAGAIN || err == EWOULDBLOCK) return;
      if (err == EINTR || err == ECONNABORTED) continue;
      // EMFILE and the like: leave the rest in the backlog for later.
      log->warn("route {}: accept: {}", listener.route, ErrnoText(err));
      return;
    }
    SetNoDelay(client);
    const uint64_t id = next_connection_id_++;
    const std::string label = absl::StrCat("route ", listener.route, " conn ", id);
    auto target = StartConnect(route.target_addr);
    if (!target.ok()) {
      log->warn("{}: target {}: {}; closing client", label, route.spec.target,
                std::string(target.status().message()));
      close(client);
      continue;
    }
    auto conn = std::make_unique<Connection>(id, label, client, *target, route.forward,
                                             route.backward, &options_.pipe);
    if (absl::Status s = AddToEpoll(epoll_fd_, client, kSocketEvents, id << 1); !s.ok()) {
      log->warn("{}: {}", label, std::string(s.message()));
      continue;  // conn's destructor closes both fds
    }
    if (absl::Status s = AddToEpoll(epoll_fd_, *target, kSocketEvents, (id << 1) | 1);
        !s.ok()) {
      log->warn("{}: {}", label, std::string(s.message()));
      continue;
    }
    log->debug("{}: accepted, connecting to {}", label, route.spec.target);
    connections_.emplace(id, std::move(conn));
  }
}

void Relay::ArmTimer(TimePoint deadline) {
  if (deadline == armed_) return;
  armed_ = deadline;
  itimerspec spec{};
  if (deadline != TimePoint::max()) {
    // steady_clock is CLOCK_MONOTONIC on Linux.
    const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                           deadline.time_since_epoch())
                           .count();
    spec.it_value.tv_sec = ns / 1000000000;
    spec.it_value.tv_nsec = ns % 1000000000;
    // An all-zero value would disarm; any past time fires at once.
    if (spec.it_value.tv_sec <= 0 && spec.it_value.tv_nsec <= 0) spec.it_value.tv_nsec = 1;
  }
  timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr);
}

void Relay::ServiceAll(std::vector<char>& scratch) {
  // Connections sharing a link compete for its tokens; whoever is serviced
  // first after a refill takes them. Start each round one connection later
  // so that the share evens out over time.
  std::vector<uint64_t> order;
  order.reserve(connections_.size());
  for (auto it = connections_.lower_bound(round_robin_next_); it != connections_.end(); ++it) {
    order.push_back(it->first);
  }
  for (auto it = connections_.begin();
       it != connections_.end() && it->first < round_robin_next_; ++it) {
    order.push_back(it->first);
  }
  if (!order.empty()) round_robin_next_ = order.front() + 1;
  for (uint64_t id : order) {
    auto it = connections_.find(id);
    if (!it->second->Service(scratch)) connections_.erase(it);
  }
}

void Relay::Loop() {
  auto log = gaia::common::Logger("wan");
  std::vector<epoll_event> events(256);
  std::vector<char> scratch(options_.pipe.read_chunk_bytes);
  while (true) {
    const int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      log->error("epoll_wait: {}; relay loop stops", ErrnoText(errno));
      break;
    }
    bool stop = false;
    for (int i = 0; i < n; ++i) {
      const uint64_t tag = events[i].data.u64;
      if (tag == kWakeTag) {
        uint64_t count = 0;
        [[maybe_unused]] ssize_t r = read(wake_fd_, &count, sizeof(count));
        common::MutexLock lock(&mu_);
        stop = stopping_;
      } else if (tag == kTimerTag) {
        uint64_t expirations = 0;
        [[maybe_unused]] ssize_t r = read(timer_fd_, &expirations, sizeof(expirations));
        armed_ = TimePoint::max();
      } else if (tag < kFirstConnectionId) {
        Accept(listeners_[tag - kListenerTagBase]);
      } else {
        auto it = connections_.find(tag >> 1);
        if (it == connections_.end()) continue;  // closed earlier in this batch
        if (tag & 1) {
          it->second->OnTargetEvents(events[i].events);
        } else {
          it->second->OnClientEvents(events[i].events);
        }
      }
    }
    if (stop) break;
    RunCommands();
    TimePoint next = TimePoint::max();
    ServiceAll(scratch);
    const TimePoint now = SteadyClock::now();
    for (const auto& [id, conn] : connections_) next = std::min(next, conn->NextDeadline(now));
    ArmTimer(next);
    {
      common::MutexLock lock(&mu_);
      open_connections_ = connections_.size();
    }
  }
  common::MutexLock lock(&mu_);
  loop_exited_ = true;
}

}  // namespace gaia::wan
