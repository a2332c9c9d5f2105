// The Mirror service's stream reactor (src/mirror/mirror_service.h) against
// real gRPC on loopback.
#include "src/mirror/mirror_service.h"

#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "absl/synchronization/notification.h"
#include "tests/mirror/mirror_test_util.h"

namespace gaia::mirror {
namespace {

// Keeps every message it gets and never asks for the next one, as the
// mirror's receiver does while a message waits in its queue.
class HoldingHandler final : public InboundHandler {
 public:
  void OnInbound(std::shared_ptr<InboundLink> stream, rpc::MirrorMessage /*message*/) override {
    std::lock_guard<std::mutex> lock(mu_);
    held_.push_back(std::move(stream));
    if (!got_one_.HasBeenNotified()) got_one_.Notify();
  }
  uint64_t FlushNow() override { return 0; }
  rpc::MirrorStatusReply StatusNow() const override { return {}; }

  absl::Notification got_one_;

 private:
  std::mutex mu_;
  std::vector<std::shared_ptr<InboundLink>> held_;
};

// A regression: a server shutting down while its handler held a stream's
// message (no read pending) waited forever in Server::Wait, because nothing
// finished the cancelled call (seen as a mirror test hanging in
// Mirror::Stop under load).
TEST(MirrorService, ShutdownEndsAStreamWhoseMessageTheHandlerStillHolds) {
  HoldingHandler handler;
  MirrorService service(&handler);
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);

  testing::RawLink link(port);
  rpc::MirrorHello hello;
  hello.set_job_id("job");
  ASSERT_TRUE(link.Send(hello));
  ASSERT_TRUE(handler.got_one_.WaitForNotificationWithTimeout(absl::Seconds(10)));

  std::future<void> stopped = std::async(std::launch::async, [&] {
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(100));
    server->Wait();
  });
  ASSERT_EQ(stopped.wait_for(std::chrono::seconds(20)), std::future_status::ready)
      << "Server::Wait did not return: the held stream was never finished";
  EXPECT_FALSE(link.Finish().ok()) << "the client sees the call cancelled";
}

}  // namespace
}  // namespace gaia::mirror
