# Four hosts made of network namespaces, each with a real sshd
# (docs/MULTI_HOST.md); skips when not root or sshd/ip are missing.
gaia_add_test(multihost_test
  SOURCES multihost_test.cc
  LIBS gaia_testing gaia::wan_kernel nlohmann_json::nlohmann_json
  TIMEOUT 300
  LABELS integration)
foreach(_program gaia gaia_mf)
  if(TARGET ${_program})
    add_dependencies(multihost_test ${_program})
  endif()
endforeach()
