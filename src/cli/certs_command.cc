// `gaia certs`: a job's TLS material for a fleet (docs/SECURITY.md).
#include <iostream>

#include "src/cli/commands.h"
#include "src/common/job_certs.h"

namespace gaia::cli {

int CertsCommand(const CertsFlags& flags) {
  common::JobCertsOptions options;
  options.out_dir = flags.out_dir;
  options.hosts = flags.hosts;
  options.days = flags.days;
  if (absl::Status s = common::WriteJobCerts(options); !s.ok()) {
    std::cerr << "gaia certs: " << s.message() << "\n";
    return absl::IsInternal(s) ? 1 : 2;
  }
  std::cout << "gaia certs: job CA, " << options.hosts.size()
            << " host certificate(s) and a job token in " << options.out_dir
            << " (keys and token mode 0600; give the folder as tls.dir)\n";
  return 0;
}

}  // namespace gaia::cli
