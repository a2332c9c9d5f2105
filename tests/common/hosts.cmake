# dcs[].hosts, the inventory and the ssh section (src/common/job_spec_hosts.cc).
gaia_add_test(job_spec_hosts_test
  SOURCES job_spec_hosts_test.cc
  LIBS gaia_jobspec gaia_common gaia_testing
  TIMEOUT 60
  LABELS unit)
