#include "src/common/local_socket.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace gaia::common {
namespace {

namespace fs = std::filesystem;

TEST(LocalSocket, RecognizesOnlyUnixAddresses) {
  EXPECT_TRUE(IsLocalAddress("unix:/tmp/x.sock"));
  EXPECT_TRUE(IsLocalAddress("unix-abstract:gaia-1"));
  EXPECT_FALSE(IsLocalAddress("127.0.0.1:80"));
  EXPECT_FALSE(IsLocalAddress("localhost:unix"));
}

TEST(LocalSocket, MalformedAddressesAreInvalidArguments) {
  for (const std::string& address :
       {std::string("127.0.0.1:5"), std::string("unix:"), std::string("unix-abstract:"),
        "unix-abstract:" + std::string(200, 'x')}) {
    EXPECT_EQ(ListenLocal(address).status().code(), absl::StatusCode::kInvalidArgument) << address;
    EXPECT_EQ(ConnectLocal(address).status().code(), absl::StatusCode::kInvalidArgument)
        << address;
  }
}

// A filesystem socket: connect, exchange a byte both ways, buffers as large
// as the kernel allows; the file goes with RemoveLocalSocketFile.
TEST(LocalSocket, PathSocketConnectsWithLargeBuffersAndIsRemoved) {
  const fs::path dir =
      fs::temp_directory_path() / ("gaia-local-socket-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string address = "unix:" + (dir / "s.sock").string();

  EXPECT_EQ(ConnectLocal(address).status().code(), absl::StatusCode::kUnavailable);
  absl::StatusOr<int> listener = ListenLocal(address);
  ASSERT_TRUE(listener.ok()) << listener.status();
  EXPECT_EQ(ListenLocal(address).status().code(), absl::StatusCode::kUnavailable);  // in use
  EXPECT_EQ(AcceptLocal(*listener), -1);  // nothing pending; does not block

  absl::StatusOr<int> client = ConnectLocal(address);
  ASSERT_TRUE(client.ok()) << client.status();
  int server = -1;
  for (int i = 0; i < 1000 && server < 0; ++i) server = AcceptLocal(*listener);
  ASSERT_GE(server, 0);

  // Linux reports twice the size set, capped by net.core.wmem_max.
  int wmem_max = kLocalSocketBufferBytes;
  std::ifstream("/proc/sys/net/core/wmem_max") >> wmem_max;
  for (int fd : {*client, server}) {
    int sndbuf = 0;
    socklen_t len = sizeof(sndbuf);
    ASSERT_EQ(getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len), 0);
    EXPECT_GE(sndbuf, std::min(kLocalSocketBufferBytes, wmem_max));
  }
  char byte = 'g';
  ASSERT_EQ(write(*client, &byte, 1), 1);
  char got = 0;
  for (int i = 0; i < 1000 && read(server, &got, 1) != 1; ++i) usleep(1000);
  EXPECT_EQ(got, 'g');

  close(*client);
  close(server);
  close(*listener);
  EXPECT_TRUE(fs::exists(dir / "s.sock"));
  RemoveLocalSocketFile(address);
  EXPECT_FALSE(fs::exists(dir / "s.sock"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace gaia::common
