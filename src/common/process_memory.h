// A process's memory as Linux reports it in /proc: what a shard tells the
// launcher (Control.Status) and the launcher reads of its local children.
#ifndef GAIA_SRC_COMMON_PROCESS_MEMORY_H_
#define GAIA_SRC_COMMON_PROCESS_MEMORY_H_

#include <sys/types.h>

#include <cstdint>

namespace gaia::common {

// This process's resident set in bytes (/proc/self/statm), 0 if unreadable.
uint64_t ResidentSetBytes();

// The peak resident set (VmHWM in /proc/<pid>/status) of a live process in
// bytes; pid 0 is this process. 0 if unknown.
uint64_t PeakResidentSetBytes(pid_t pid = 0);

}  // namespace gaia::common

#endif  // GAIA_SRC_COMMON_PROCESS_MEMORY_H_
