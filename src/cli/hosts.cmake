# Processes on other hosts over SSH (docs/MULTI_HOST.md).
target_sources(gaia_launcher PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/remote_host.cc
  ${CMAKE_CURRENT_LIST_DIR}/remote_process.cc
  ${CMAKE_CURRENT_LIST_DIR}/mode_run_hosts.cc)
