# Placement over hosts and the SSH runner's commands (docs/MULTI_HOST.md).
gaia_add_test(placement_hosts_test
  SOURCES placement_hosts_test.cc
  LIBS gaia_launcher gaia_testing
  TIMEOUT 60
  LABELS unit)
