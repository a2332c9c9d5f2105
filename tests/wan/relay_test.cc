// Behaviour of the relay apart from rate accuracy: delay, outages, data
// integrity, half-close, failures, stop, stats.
#include "src/wan/relay.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <chrono>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/wan/tcp_test_util.h"

namespace gaia::wan {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::Clock;

std::string Target(int port) { return "127.0.0.1:" + std::to_string(port); }

RouteSpec Route(int target_port, std::string forward = "a->b", std::string backward = "b->a") {
  return RouteSpec{.listen = "127.0.0.1:0",
                   .target = Target(target_port),
                   .forward_link = std::move(forward),
                   .backward_link = std::move(backward)};
}

std::unique_ptr<Relay> StartRelay(std::vector<LinkSpec> links, std::vector<RouteSpec> routes) {
  RelayOptions options;
  options.links = std::move(links);
  options.routes = std::move(routes);
  auto relay = std::make_unique<Relay>(std::move(options));
  absl::Status s = relay->Start();
  EXPECT_TRUE(s.ok()) << s;
  return s.ok() ? std::move(relay) : nullptr;
}

// Waits (bounded) until `done` holds.
bool WaitUntil(const std::function<bool()>& done, milliseconds timeout = milliseconds(3000)) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(milliseconds(2));
  }
  return done();
}

double RoundTripMs(int fd, const std::string& message) {
  const auto start = Clock::now();
  std::string echoed;
  if (!testing::WriteAll(fd, message, start + seconds(3)) ||
      !testing::ReadExactly(fd, message.size(), &echoed, start + seconds(3)) ||
      echoed != message) {
    return -1;
  }
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

TEST(Relay, RoundTripIsTheSumOfBothDelays) {
  testing::EchoServer echo;
  auto relay = StartRelay({{.name = "a->b", .bandwidth_mbps = 100, .delay_ms = 30},
                           {.name = "b->a", .bandwidth_mbps = 100, .delay_ms = 20}},
                          {Route(echo.port())});
  ASSERT_NE(relay, nullptr);
  const int fd = testing::ConnectLocal(relay->ports()[0]);
  ASSERT_GE(fd, 0);
  std::vector<double> rtts;
  for (int i = 0; i < 5; ++i) {
    const double rtt = RoundTripMs(fd, "ping-" + std::to_string(i));
    ASSERT_GE(rtt, 0) << "ping " << i << " failed";
    rtts.push_back(rtt);
  }
  close(fd);
  std::sort(rtts.begin(), rtts.end());
  std::printf("[delay] round trips (ms), sorted: %.2f %.2f %.2f %.2f %.2f\n", rtts[0], rtts[1],
              rtts[2], rtts[3], rtts[4]);
  // Never earlier than the delays allow; the median close to them.
  EXPECT_GE(rtts.front(), 50.0);
  EXPECT_LE(rtts[2], 50.0 + 15.0);
}

TEST(Relay, LargeTransferArrivesIntactAndInOrder) {
  testing::EchoServer echo;
  auto relay = StartRelay({{.name = "a->b", .bandwidth_mbps = 1000, .delay_ms = 1},
                           {.name = "b->a", .bandwidth_mbps = 1000, .delay_ms = 1}},
                          {Route(echo.port())});
  ASSERT_NE(relay, nullptr);
  std::string data(4 << 20, '\0');
  std::mt19937 rng(7);
  for (char& c : data) c = static_cast<char>(rng());
  const int fd = testing::ConnectLocal(relay->ports()[0]);
  ASSERT_GE(fd, 0);
  const auto deadline = Clock::now() + seconds(10);
  std::string echoed;
  std::thread writer([&] { testing::WriteAll(fd, data, deadline); });
  const bool read_ok = testing::ReadExactly(fd, data.size(), &echoed, deadline);
  writer.join();
  close(fd);
  ASSERT_TRUE(read_ok) << "got " << echoed.size() << " of " << data.size();
  EXPECT_TRUE(echoed == data);
  EXPECT_TRUE(WaitUntil([&] { return relay->Stats()[1].bytes == data.size(); }));
  const std::vector<LinkStats> stats = relay->Stats();
  EXPECT_EQ(stats[0].bytes, data.size());
  EXPECT_EQ(stats[1].bytes, data.size());
}

TEST(Relay, ZeroBandwidthBlocksUntilTheLinkComesBack) {
  testing::EchoServer echo;
  auto relay = StartRelay({{.name = "a->b", .bandwidth_mbps = 0, .delay_ms = 1},
                           {.name = "b->a", .bandwidth_mbps = 100, .delay_ms = 1}},
                          {Route(echo.port())});
  ASSERT_NE(relay, nullptr);
  const int fd = testing::ConnectLocal(relay->ports()[0]);
  ASSERT_GE(fd, 0);
  const std::string message(10000, 'm');
  ASSERT_TRUE(testing::WriteAll(fd, message, Clock::now() + seconds(2)));
  size_t arrived = 0;
  ASSERT_TRUE(testing::BytesArriving(fd, milliseconds(300), &arrived));
  EXPECT_EQ(arrived, 0u);
  EXPECT_EQ(relay->Stats()[0].bytes, 0u);

  ASSERT_TRUE(relay->SetLink("a->b", 10, 1).ok());
  std::string echoed;
  ASSERT_TRUE(testing::ReadExactly(fd, message.size(), &echoed, Clock::now() + seconds(3)));

  // Down again mid-connection: held, then delivered after the outage.
  ASSERT_TRUE(relay->SetLink("a->b", 0, 1).ok());
  ASSERT_TRUE(testing::WriteAll(fd, message, Clock::now() + seconds(2)));
  ASSERT_TRUE(testing::BytesArriving(fd, milliseconds(200), &arrived));
  EXPECT_EQ(arrived, 0u);
  ASSERT_TRUE(relay->SetLink("a->b", 10, 1).ok());
  EXPECT_TRUE(testing::ReadExactly(fd, message.size(), &echoed, Clock::now() + seconds(3)));
  close(fd);
}

TEST(Relay, DeadTargetClosesTheClientAndTheRelayKeepsServing) {
  testing::EchoServer echo;
  auto relay = StartRelay({{.name = "a->b", .bandwidth_mbps = 100, .delay_ms = 1},
                           {.name = "b->a", .bandwidth_mbps = 100, .delay_ms = 1}},
                          {Route(testing::DeadPort()), Route(echo.port())});
  ASSERT_NE(relay, nullptr);
  for (int i = 0; i < 3; ++i) {
    const int dead = testing::ConnectLocal(relay->ports()[0]);
    ASSERT_GE(dead, 0);
    EXPECT_TRUE(testing::ReadUntilClosed(dead, Clock::now() + seconds(3)));
    close(dead);
  }
  const int fd = testing::ConnectLocal(relay->ports()[1]);
  ASSERT_GE(fd, 0);
  EXPECT_GE(RoundTripMs(fd, "still alive"), 0);
  close(fd);
  EXPECT_TRUE(WaitUntil([&] { return relay->open_connections() == 0; }));
}

TEST(Relay, HalfCloseIsForwardedBothWays) {
  testing::EchoServer echo(/*on_eof=*/"bye");
  auto relay = StartRelay({{.name = "a->b", .bandwidth_mbps = 100, .delay_ms = 5},
                           {.name = "b->a", .bandwidth_mbps = 100, .delay_ms = 5}},
                          {Route(echo.port())});
  ASSERT_NE(relay, nullptr);
  const int fd = testing::ConnectLocal(relay->ports()[0]);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(testing::WriteAll(fd, "hello", Clock::now() + seconds(2)));
  ASSERT_EQ(shutdown(fd, SHUT_WR), 0);
  // The server sees EOF only after "hello" (FIN after the data), answers
  // "bye" and closes; the client sees both and then EOF.
  std::string got;
  EXPECT_TRUE(testing::ReadUntilClosed(fd, Clock::now() + seconds(3), &got));
  EXPECT_EQ(got, "hellobye");
  close(fd);
  EXPECT_TRUE(WaitUntil([&] { return relay->open_connections() == 0; }));
  EXPECT_EQ(relay->Stats()[0].connections, 0);
  EXPECT_EQ(relay->Stats()[0].total_connections, 1u);
}

TEST(Relay, StatsCountBytesAndOpenConnections) {
  testing::EchoServer echo;
  auto relay = StartRelay({{.name = "a->b", .bandwidth_mbps = 100, .delay_ms = 1},
                           {.name = "b->a", .bandwidth_mbps = 100, .delay_ms = 1}},
                          {Route(echo.port()), Route(echo.port())});
  ASSERT_NE(relay, nullptr);
  const int fd1 = testing::ConnectLocal(relay->ports()[0]);
  const int fd2 = testing::ConnectLocal(relay->ports()[1]);
  ASSERT_GE(fd1, 0);
  ASSERT_GE(fd2, 0);
  ASSERT_GE(RoundTripMs(fd1, std::string(1000, 'x')), 0);
  ASSERT_GE(RoundTripMs(fd2, std::string(234, 'y')), 0);
  // The counter moves just after the bytes were handed to the socket.
  EXPECT_TRUE(WaitUntil([&] { return relay->Stats()[1].bytes == 1234u; }));
  std::vector<LinkStats> stats = relay->Stats();
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0].name, "a->b");
  EXPECT_EQ(stats[0].bytes, 1234u);
  EXPECT_EQ(stats[1].bytes, 1234u);
  EXPECT_EQ(stats[0].connections, 2);
  EXPECT_EQ(stats[0].bandwidth_mbps, 100);
  EXPECT_EQ(relay->open_connections(), 2u);
  close(fd1);
  close(fd2);
  EXPECT_TRUE(WaitUntil([&] { return relay->Stats()[0].connections == 0; }));
}

TEST(Relay, DropConnectionsClosesThemButKeepsListening) {
  testing::EchoServer echo;
  auto relay = StartRelay({{.name = "a->b", .bandwidth_mbps = 100, .delay_ms = 1},
                           {.name = "b->a", .bandwidth_mbps = 100, .delay_ms = 1}},
                          {Route(echo.port())});
  ASSERT_NE(relay, nullptr);
  const int fd = testing::ConnectLocal(relay->ports()[0]);
  ASSERT_GE(fd, 0);
  ASSERT_GE(RoundTripMs(fd, "before"), 0);
  ASSERT_TRUE(relay->DropConnections("b->a").ok());
  EXPECT_TRUE(testing::ReadUntilClosed(fd, Clock::now() + seconds(3)));
  close(fd);
  EXPECT_TRUE(absl::IsNotFound(relay->DropConnections("nope")));
  const int again = testing::ConnectLocal(relay->ports()[0]);
  ASSERT_GE(again, 0);
  EXPECT_GE(RoundTripMs(again, "after"), 0);
  close(again);
}

TEST(Relay, StopClosesOpenConnectionsPromptly) {
  testing::EchoServer echo;
  auto relay = StartRelay({{.name = "a->b", .bandwidth_mbps = 10, .delay_ms = 1},
                           {.name = "b->a", .bandwidth_mbps = 10, .delay_ms = 1}},
                          {Route(echo.port())});
  ASSERT_NE(relay, nullptr);
  const int fd = testing::ConnectLocal(relay->ports()[0]);
  ASSERT_GE(fd, 0);
  ASSERT_GE(RoundTripMs(fd, "hi"), 0);
  const auto start = Clock::now();
  relay->Stop();
  EXPECT_LT(Clock::now() - start, seconds(1));
  EXPECT_TRUE(testing::ReadUntilClosed(fd, Clock::now() + seconds(3)));
  close(fd);
  relay->Stop();  // idempotent
  EXPECT_FALSE(relay->SetLink("a->b", 1, 1).ok());
}

TEST(Relay, SetLinkRejectsUnknownLinksAndBadValues) {
  testing::EchoServer echo;
  auto relay = StartRelay({{.name = "a->b", .bandwidth_mbps = 10},
                           {.name = "b->a", .bandwidth_mbps = 10}},
                          {Route(echo.port())});
  ASSERT_NE(relay, nullptr);
  EXPECT_TRUE(absl::IsNotFound(relay->SetLink("x->y", 1, 1)));
  EXPECT_TRUE(absl::IsInvalidArgument(relay->SetLink("a->b", -5, 1)));
  EXPECT_TRUE(absl::IsInvalidArgument(relay->SetLink("a->b", 5, -1)));
  EXPECT_EQ(relay->Stats()[0].bandwidth_mbps, 10);
}

absl::Status StartWith(std::vector<LinkSpec> links, std::vector<RouteSpec> routes) {
  RelayOptions options;
  options.links = std::move(links);
  options.routes = std::move(routes);
  Relay relay(std::move(options));
  return relay.Start();
}

TEST(Relay, StartRejectsBadOptionsNamingTheField) {
  const LinkSpec ab{.name = "a->b", .bandwidth_mbps = 10};
  absl::Status s = StartWith({ab}, {Route(5000, "a->b", "b->a")});
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_NE(s.message().find("routes[0].backward_link"), absl::string_view::npos) << s;

  s = StartWith({ab, ab}, {Route(5000, "a->b", "a->b")});
  EXPECT_NE(s.message().find("links[1].name"), absl::string_view::npos) << s;

  s = StartWith({{.name = "a->b", .bandwidth_mbps = -1}}, {Route(5000, "a->b", "a->b")});
  EXPECT_NE(s.message().find("links[0]"), absl::string_view::npos) << s;

  RouteSpec bad_listen = Route(5000, "a->b", "a->b");
  bad_listen.listen = "127.0.0.1";
  s = StartWith({ab}, {bad_listen});
  EXPECT_NE(s.message().find("routes[0].listen"), absl::string_view::npos) << s;

  // A port already in use fails the whole start.
  int port = 0;
  const int busy = testing::ListenLocal(&port);
  ASSERT_GE(busy, 0);
  RouteSpec taken = Route(5000, "a->b", "a->b");
  taken.listen = Target(port);
  s = StartWith({ab}, {Route(5000, "a->b", "a->b"), taken});
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("routes[1].listen"), absl::string_view::npos) << s;
  close(busy);
}

}  // namespace
}  // namespace gaia::wan
