#include "src/common/logging.h"

#include <mutex>
#include <vector>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace gaia::common {
namespace {

std::mutex& SinksMutex() {
  static std::mutex mu;
  return mu;
}

// Guarded by SinksMutex().
std::vector<spdlog::sink_ptr>& Sinks() {
  static std::vector<spdlog::sink_ptr> sinks = {
      std::make_shared<spdlog::sinks::stderr_sink_mt>()};
  return sinks;
}

spdlog::level::level_enum& Level() {
  static spdlog::level::level_enum level = spdlog::level::info;
  return level;
}

}  // namespace

std::shared_ptr<spdlog::logger> Logger(const std::string& name) {
  std::lock_guard<std::mutex> lock(SinksMutex());
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = std::make_shared<spdlog::logger>(name, Sinks().begin(), Sinks().end());
  logger->set_level(Level());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%L%$ [%n] %v");
  spdlog::register_logger(logger);
  return logger;
}

void SetUpLogging(const std::string& level, const std::string& file) {
  std::lock_guard<std::mutex> lock(SinksMutex());
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") parsed = spdlog::level::info;
  Level() = parsed;
  Sinks().clear();
  Sinks().push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (!file.empty()) {
    Sinks().push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(file));
  }
  spdlog::apply_all([&](std::shared_ptr<spdlog::logger> logger) {
    logger->sinks() = Sinks();
    logger->set_level(parsed);
  });
}

}  // namespace gaia::common
