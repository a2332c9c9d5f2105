# Placement over hosts and the SSH runner's commands (docs/MULTI_HOST.md).
gaia_add_test(multihost_logic_test
  SOURCES placement_hosts_test.cc remote_host_test.cc
  LIBS gaia_launcher gaia_testing
  TIMEOUT 60
  LABELS unit)
