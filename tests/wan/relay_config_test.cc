#include "src/common/data_files.h"
#include "src/wan/relay_config.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace gaia::wan {
namespace {

constexpr char kGood[] = R"({
  "links": [{"name": "a->b", "bandwidth_mbps": 100, "delay_ms": 20},
            {"name": "b->a", "bandwidth_mbps": 50.5}],
  "routes": [{"listen": "127.0.0.1:0", "target": "localhost:5000",
              "forward_link": "a->b", "backward_link": "b->a"}],
  "port_file": "/tmp/p.json", "stats_file": "/tmp/s.json", "stats_interval_ms": 250
})";

TEST(RelayConfig, ParsesAGoodConfig) {
  auto config = ParseRelayConfig(kGood);
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->relay.links.size(), 2u);
  EXPECT_EQ(config->relay.links[0].name, "a->b");
  EXPECT_EQ(config->relay.links[0].bandwidth_mbps, 100);
  EXPECT_EQ(config->relay.links[0].delay_ms, 20);
  EXPECT_EQ(config->relay.links[1].bandwidth_mbps, 50.5);
  EXPECT_EQ(config->relay.links[1].delay_ms, 0);  // default
  ASSERT_EQ(config->relay.routes.size(), 1u);
  EXPECT_EQ(config->relay.routes[0].target, "localhost:5000");
  EXPECT_EQ(config->relay.routes[0].backward_link, "b->a");
  EXPECT_EQ(config->port_file, "/tmp/p.json");
  EXPECT_EQ(config->stats_file, "/tmp/s.json");
  EXPECT_EQ(config->stats_interval_ms, 250);
  EXPECT_EQ(config->relay.shaper.burst_ms, 2.0);  // defaults kept
}

// Replaces the first occurrence of `from` in kGood by `to` and expects the
// parse error to mention `field`.
void ExpectError(const std::string& from, const std::string& to, const std::string& field) {
  std::string text = kGood;
  const size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
  auto config = ParseRelayConfig(text);
  ASSERT_FALSE(config.ok()) << "accepted: " << text;
  EXPECT_TRUE(absl::IsInvalidArgument(config.status()));
  EXPECT_NE(config.status().message().find(field), absl::string_view::npos)
      << config.status() << " does not name " << field;
}

TEST(RelayConfig, ErrorsNameTheField) {
  ExpectError(R"("bandwidth_mbps": 100)", R"("bandwidth_mbps": -1)", "links[0].bandwidth_mbps");
  ExpectError(R"("bandwidth_mbps": 100)", R"("bandwidth_mbps": "fast")",
              "links[0].bandwidth_mbps");
  ExpectError(R"("bandwidth_mbps": 100, )", "", "links[0].bandwidth_mbps");
  ExpectError(R"("delay_ms": 20)", R"("delay_ms": -3)", "links[0].delay_ms");
  ExpectError(R"("name": "b->a")", R"("name": "a->b")", "links[1].name");
  ExpectError(R"("name": "b->a")", R"("name": "")", "links[1].name");
  ExpectError(R"("delay_ms": 20)", R"("delay_ms": 20, "jitter_ms": 1)", "links[0].jitter_ms");
  ExpectError(R"("forward_link": "a->b")", R"("forward_link": "c->a")",
              "routes[0].forward_link");
  ExpectError(R"(, "backward_link": "b->a")", "", "routes[0].backward_link");
  ExpectError(R"("listen": "127.0.0.1:0")", R"("listen": "127.0.0.1")", "routes[0].listen");
  ExpectError(R"("target": "localhost:5000")", R"("target": "localhost:70000")",
              "routes[0].target");
  ExpectError(R"("target": "localhost:5000")", R"("target": "localhost:0")",
              "routes[0].target");
  ExpectError(R"("stats_interval_ms": 250)", R"("stats_interval_ms": 0)",
              "stats_interval_ms");
  ExpectError(R"("port_file": "/tmp/p.json")", R"("port_file": 7)", "port_file");
  ExpectError(R"("port_file")", R"("prot_file")", "prot_file");
}

TEST(RelayConfig, RejectsNonJsonAndWrongShapes) {
  EXPECT_FALSE(ParseRelayConfig("{not json").ok());
  EXPECT_FALSE(ParseRelayConfig("[1, 2]").ok());
  auto no_routes = ParseRelayConfig(R"({"links": [{"name": "a", "bandwidth_mbps": 1}],
                                       "routes": []})");
  ASSERT_FALSE(no_routes.ok());
  EXPECT_NE(no_routes.status().message().find("routes"), absl::string_view::npos);
  auto missing = ParseRelayConfig(R"({"routes": []})");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("links"), absl::string_view::npos);
}

TEST(RelayConfig, AddressesMayBeBracketedIpv6) {
  std::string text = kGood;
  text.replace(text.find("127.0.0.1:0"), 11, "[::1]:0");
  auto config = ParseRelayConfig(text);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->relay.routes[0].listen, "[::1]:0");
  ExpectError(R"("listen": "127.0.0.1:0")", R"("listen": "[::1]")", "routes[0].listen");
  ExpectError(R"("listen": "127.0.0.1:0")", R"("listen": ":80")", "routes[0].listen");
}

TEST(RelayConfig, LoadNamesTheFile) {
  auto config = LoadRelayConfig("/nonexistent/relay.json");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("/nonexistent/relay.json"), absl::string_view::npos);
}

TEST(RelayConfig, OutputFilesAreJsonAndWrittenAtomically) {
  const std::string path = ::testing::TempDir() + "relay_config_test_" +
                           std::to_string(getpid()) + ".json";
  ASSERT_TRUE(common::WriteFileAtomically(path, PortsToJson({4000, 4001})).ok());
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  auto ports = nlohmann::json::parse(text.str());
  EXPECT_EQ(ports["ports"], nlohmann::json({4000, 4001}));
  std::remove(path.c_str());

  LinkStats link{.name = "a->b", .bandwidth_mbps = 10, .delay_ms = 5, .bytes = 42,
                 .chunks = 2, .connections = 1, .total_connections = 3};
  auto stats = nlohmann::json::parse(StatsToJson(1.5, 1.7e9, {link}));
  EXPECT_EQ(stats["time_s"], 1.5);
  EXPECT_EQ(stats["links"][0]["name"], "a->b");
  EXPECT_EQ(stats["links"][0]["bytes"], 42);
  EXPECT_EQ(stats["links"][0]["bandwidth_mbps"], 10);
  EXPECT_EQ(stats["links"][0]["delay_ms"], 5);
  EXPECT_EQ(stats["links"][0]["connections"], 1);

  EXPECT_FALSE(common::WriteFileAtomically("/nonexistent/dir/x.json", "{}").ok());
}

}  // namespace
}  // namespace gaia::wan
