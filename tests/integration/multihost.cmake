# Four hosts made of network namespaces, each with a real sshd
# (docs/MULTI_HOST.md); skips when not root or sshd/ip are missing. Serial:
# two of these at once (8 sshd hosts, binaries copied to each) on a 2-core
# machine miss the tests' 60 s waits.
gaia_add_test(multihost_test
  SOURCES multihost_test.cc
  LIBS gaia_testing gaia::wan_kernel nlohmann_json::nlohmann_json
  TIMEOUT 600
  LABELS integration
  RUN_SERIAL)
foreach(_program gaia gaia_mf)
  if(TARGET ${_program})
    add_dependencies(multihost_test ${_program})
  endif()
endforeach()
