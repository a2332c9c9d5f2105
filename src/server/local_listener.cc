#include "src/server/local_listener.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <utility>

#include <grpcpp/server_posix.h>

#include "absl/strings/str_cat.h"
#include "src/common/local_socket.h"
#include "src/common/logging.h"

namespace gaia::server {

absl::StatusOr<std::unique_ptr<LocalListener>> LocalListener::Start(std::string address,
                                                                   grpc::Server* server) {
  absl::StatusOr<int> listen_fd = common::ListenLocal(address);
  if (!listen_fd.ok()) return listen_fd.status();
  const int wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd < 0) {
    const int error = errno;
    close(*listen_fd);
    return absl::InternalError(absl::StrCat("eventfd: ", std::strerror(error)));
  }
  std::unique_ptr<LocalListener> listener(
      new LocalListener(std::move(address), *listen_fd, wake_fd, server));
  listener->thread_ = std::thread([l = listener.get()] { l->Run(); });
  return listener;
}

LocalListener::~LocalListener() {
  const uint64_t one = 1;
  if (write(wake_fd_, &one, sizeof(one)) != static_cast<ssize_t>(sizeof(one))) {
    common::Logger("server")->error("local listener {}: cannot wake its thread: {}", address_,
                                    std::strerror(errno));
  }
  if (thread_.joinable()) thread_.join();
  close(listen_fd_);
  close(wake_fd_);
  common::RemoveLocalSocketFile(address_);
}

void LocalListener::Run() {
  pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  while (true) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      common::Logger("server")->error("local listener {}: poll: {}", address_,
                                      std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    // Every pending connection (the socket is non-blocking).
    for (int fd = common::AcceptLocal(listen_fd_); fd >= 0; fd = common::AcceptLocal(listen_fd_)) {
      grpc::AddInsecureChannelFromFd(server_, fd);  // gRPC owns fd from here
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED) {
      // E.g. out of descriptors: the connection stays pending; retry soon
      // instead of spinning on a socket that stays readable.
      common::Logger("server")->warn("local listener {}: accept: {}", address_,
                                     std::strerror(errno));
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

}  // namespace gaia::server
