// Relay: a userspace TCP relay that emulates WAN links between datacenters.
//
// Each route listens on an address; every accepted connection is connected
// to the route's target, and bytes are pumped through two LinkShapers:
// forward_link for client->target bytes, backward_link for target->client
// bytes. Links are named and may be shared by several routes (and always by
// all connections of a route), which then share the link's rate.
//
// One event-loop thread (epoll, edge-triggered, non-blocking sockets, one
// timerfd for release/token deadlines) serves every connection; there is no
// thread per connection. A direction stops reading from its source while it
// holds more than a small queue (RelayOptions::queue_limit_*) beyond the
// link's bandwidth-delay product, so TCP flow control pushes back on the
// sender. A half-close
// (FIN) is forwarded after the last byte, with the link's delay. A socket
// error on either side closes both sides of that connection only; a target
// that cannot be reached closes the client. Connection setup itself is not
// delayed.
//
// Thread-safe: every public method may be called from any thread.
//
// Example:
//   RelayOptions options;
//   options.links = {{"a->b", 100, 20}, {"b->a", 100, 20}};
//   options.routes = {{"127.0.0.1:0", "127.0.0.1:5000", "a->b", "b->a"}};
//   Relay relay(std::move(options));
//   if (absl::Status s = relay.Start(); !s.ok()) ...;
//   int port = relay.ports()[0];        // clients connect here
//   relay.SetLink("a->b", 0, 20);       // outage: nothing passes a->b
//   relay.Stop();
#ifndef GAIA_SRC_WAN_RELAY_H_
#define GAIA_SRC_WAN_RELAY_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "src/common/mutex.h"
#include "src/wan/link_shaper.h"
#include "src/wan/net_util.h"
#include "src/wan/relay_connection.h"

namespace gaia::wan {

struct RouteSpec {
  std::string listen;         // "host:port"; port 0 = any free port
  std::string target;         // "host:port" to connect each client to
  std::string forward_link;   // link name for client->target bytes
  std::string backward_link;  // link name for target->client bytes
};

struct RelayOptions {
  std::vector<LinkSpec> links;    // names must be unique
  std::vector<RouteSpec> routes;  // links named here must be in `links`
  // Token bucket of every link: depth max(16 KiB, 2 ms of rate), catch-up
  // 50 ms of rate (see link_shaper.h).
  LinkShaper::Options shaper;
  // Read sizes, backpressure and wake-up thresholds of every connection.
  PipeLimits pipe;
};

class Relay {
 public:
  explicit Relay(RelayOptions options);
  // Stops the relay if it is running.
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  // Validates the options, creates the links, binds every listen address and
  // starts the event-loop thread. On error nothing keeps running. Call once.
  absl::Status Start();
  // Closes every connection and listener and joins the thread. Idempotent.
  void Stop();

  // Bound port of each route, in route order (empty before Start).
  std::vector<int> ports() const;

  // Changes a link at runtime; bandwidth 0 = down: nothing passes (no
  // bytes enter the link, none it holds are written, connections stay
  // open). FailedPrecondition unless running, NotFound for an unknown name,
  // InvalidArgument for bad values.
  absl::Status SetLink(const std::string& name, double bandwidth_mbps, double delay_ms);

  // Closes (both sides of) every open connection that uses the link; the
  // listeners stay open, so peers can reconnect. Bytes held are dropped.
  // Returns once the loop has closed them.
  absl::Status DropConnections(const std::string& link_name);

  // Snapshot of every link, in RelayOptions::links order.
  std::vector<LinkStats> Stats() const;
  // Connections open now (all routes).
  size_t open_connections() const;

 private:
  struct Listener {
    int fd = -1;
    size_t route = 0;
  };
  struct Route {
    RouteSpec spec;
    LinkShaper* forward = nullptr;
    LinkShaper* backward = nullptr;
    SockAddr target_addr;  // resolved at Start()
  };

  LinkShaper* FindLink(std::string_view name) const;
  absl::Status SetUpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CloseAllFds();
  void Wake();
  // Event loop and its helpers; loop thread only.
  void Loop();
  void Accept(const Listener& listener);
  void ArmTimer(TimePoint deadline);
  void RunCommands();
  void ServiceAll(std::vector<char>& scratch);

  const RelayOptions options_;

  // Set up by Start() before the loop thread runs, then constant until
  // Stop() has joined it.
  std::vector<std::unique_ptr<LinkShaper>> links_;
  std::vector<Route> routes_;
  std::vector<Listener> listeners_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  int timer_fd_ = -1;
  std::thread thread_;

  // Loop-thread state.
  std::map<uint64_t, std::unique_ptr<Connection>> connections_;
  uint64_t next_connection_id_ = 1;
  uint64_t round_robin_next_ = 0;  // first connection id to service next round
  TimePoint armed_ = TimePoint::max();

  mutable common::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<int> ports_ ABSL_GUARDED_BY(mu_);
  size_t open_connections_ ABSL_GUARDED_BY(mu_) = 0;
  // Links whose connections the loop must drop, and how many drop requests
  // the loop has completed (DropConnections waits on it).
  std::vector<LinkShaper*> drop_requests_ ABSL_GUARDED_BY(mu_);
  uint64_t drops_requested_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t drops_done_ ABSL_GUARDED_BY(mu_) = 0;
  bool loop_exited_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace gaia::wan

#endif  // GAIA_SRC_WAN_RELAY_H_
