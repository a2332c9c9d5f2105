# deploy/ec2 (docs/DEPLOY.md): gaia-ec2's tests, label `deploy`. The AWS ones drive the real
# AWS CLI against the local EC2 stand-in (test/fake_ec2.py) and skip, saying so, without
# `aws` on PATH. They need Python 3 with PyYAML (Debian: python3-yaml); nothing is built.
if(NOT GAIA_BUILD_TESTS)
  return()
endif()
# gaia-ec2 runs under Debian's python3 (its #! line), the one setup.sh gives
# PyYAML: the tests use the same interpreter, not whichever is first on PATH.
find_program(GAIA_EC2_PYTHON python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(NOT GAIA_EC2_PYTHON)
  message(STATUS "deploy/ec2 tests: no /usr/bin/python3; not registered")
  return()
endif()

set(_gaia_ec2_tests
  # name          needs aws   unittest names
  "cost|no|test_cost"
  "matrix|no|test_matrix"
  "up_down|yes|test_up_down"
  "cost_cap|yes|test_faults.CostCap"
  "interrupt|yes|test_faults.Interrupted"
  "faults_first|yes|test_faults.FaultAtEveryStep.test_a_fault_in_steps_1_to_4_leaves_nothing"
  "faults_last|yes|test_faults.FaultAtEveryStep.test_a_fault_in_steps_5_to_7_leaves_nothing"
  "sweep|yes|test_sweep")
foreach(_entry IN LISTS _gaia_ec2_tests)
  string(REPLACE "|" ";" _fields "${_entry}")
  list(GET _fields 0 _name)
  list(GET _fields 1 _aws)
  list(GET _fields 2 _names)
  set(_flags "")
  if(_aws STREQUAL "yes")
    set(_flags "--needs-aws")
  endif()
  add_test(NAME deploy_ec2_${_name}
           COMMAND ${GAIA_EC2_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test/run_tests.py ${_flags}
                   ${_names}
           WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR}/test)
  set_tests_properties(deploy_ec2_${_name} PROPERTIES
    LABELS deploy TIMEOUT 600 SKIP_RETURN_CODE 77 ENVIRONMENT PYTHONDONTWRITEBYTECODE=1)
endforeach()
