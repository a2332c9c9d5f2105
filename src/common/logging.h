// Named loggers, one per component (STYLE.md §12): "server", "mirror",
// "worker", "wan", "launcher", "app". Sinks are chosen once in main() by
// SetUpLogging(); library code only calls Logger(name).
#ifndef GAIA_SRC_COMMON_LOGGING_H_
#define GAIA_SRC_COMMON_LOGGING_H_

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace gaia::common {

// Returns the logger `name`, creating it on first use with the current
// default sinks. Thread-safe.
std::shared_ptr<spdlog::logger> Logger(const std::string& name);

// Called from main(): all loggers write to stderr (and to `file` if not
// empty) at `level` ("trace".."off"). Invalid level names mean "info".
void SetUpLogging(const std::string& level, const std::string& file = "");

}  // namespace gaia::common

#endif  // GAIA_SRC_COMMON_LOGGING_H_
