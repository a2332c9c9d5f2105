// Accepts same-host connections on a Unix-domain socket
// (src/common/local_socket.h) and hands each to a running gRPC server, which
// then serves it like any TCP connection.
//
//   absl::StatusOr<std::unique_ptr<LocalListener>> listener =
//       LocalListener::Start("unix-abstract:gaia-job-0", server.get());
//   ...
//   listener->reset();  // before server->Shutdown(): no new connections
//
// One thread waits in poll() for connections, and for the destructor.
#ifndef GAIA_SRC_SERVER_LOCAL_LISTENER_H_
#define GAIA_SRC_SERVER_LOCAL_LISTENER_H_

#include <memory>
#include <string>
#include <thread>

#include <grpcpp/server.h>

#include "absl/status/statusor.h"

namespace gaia::server {

class LocalListener {
 public:
  // Listens on `address`; `server` must outlive the listener.
  static absl::StatusOr<std::unique_ptr<LocalListener>> Start(std::string address,
                                                             grpc::Server* server);
  // Stops accepting and closes the socket (removes a "unix:" socket file).
  // Connections already handed to the server stay open.
  ~LocalListener();
  LocalListener(const LocalListener&) = delete;
  LocalListener& operator=(const LocalListener&) = delete;

  const std::string& address() const { return address_; }

 private:
  LocalListener(std::string address, int listen_fd, int wake_fd, grpc::Server* server)
      : address_(std::move(address)), listen_fd_(listen_fd), wake_fd_(wake_fd),
        server_(server) {}
  void Run();

  const std::string address_;
  const int listen_fd_;
  const int wake_fd_;  // eventfd: written once by the destructor
  grpc::Server* const server_;
  std::thread thread_;
};

}  // namespace gaia::server

#endif  // GAIA_SRC_SERVER_LOCAL_LISTENER_H_
