#include "apps/common/flags.h"

namespace gaia::apps {

void AddWorkerFlags(CLI::App& app, WorkerFlags* flags) {
  app.add_option("--gaia-config", flags->gaia_config,
                 "worker config written by `gaia launch` (read by the worker library)")
      ->required();
  app.add_option("--clocks", flags->clocks, "iterations (Clock() calls) to run")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
}

int ParseFlags(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --help-all
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message
    return kExitBadInput;
  }
  return -1;
}

}  // namespace gaia::apps
