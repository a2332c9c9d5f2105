#!/usr/bin/env bash
# One command: set up, build, and run every test.
#   1. the default build (RelWithDebInfo): the whole suite, integration included;
#   2. an ASan+UBSan build: every test except the multi-process ones
#      (labels integration, install) and deploy/ec2's Python tests (deploy);
#   3. a TSan build: the concurrent parts (shard clock/pending logic, a live
#      shard with concurrent sessions, the worker library under several
#      threads, the relay, the ASP mirror).
# GAIA_TEST_SANITIZERS=0 skips 2 and 3 (quick local runs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
JOBS=${GAIA_JOBS:-$(nproc)}
start=$(date +%s)

echo "=== default build: full suite"
GAIA_BUILD_DIR=build bash scripts/build.sh -DGAIA_BUILD_TESTS=ON -DGAIA_BUILD_BENCH=ON \
  -DGAIA_UNITY_BUILD=ON
ctest --test-dir build --output-on-failure -j "$JOBS" --timeout 900

if [ "${GAIA_TEST_SANITIZERS:-1}" = "1" ]; then
  echo "=== ASan+UBSan build: all but multi-process tests"
  GAIA_BUILD_DIR=build-asan GAIA_BUILD_TYPE=Debug bash scripts/build.sh \
    -DGAIA_BUILD_TESTS=ON -DGAIA_BUILD_BENCH=OFF -DGAIA_SANITIZE=address,undefined \
    -DGAIA_UNITY_BUILD=ON
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
    ctest --test-dir build-asan --output-on-failure -j "$JOBS" -LE 'integration|install|deploy' \
    --timeout 900

  echo "=== TSan build: concurrent parts"
  TSAN_TESTS=(clock_tracker_test pending_updates_test shard_server_test worker_unit_test
              worker_e2e_test wan_link_shaper_test wan_relay_test mirror_unit_test mirror_test
              shard_tls_test mirror_tls_test)
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DGAIA_BUILD_TESTS=ON -DGAIA_BUILD_BENCH=OFF -DGAIA_SANITIZE=thread -DGAIA_UNITY_BUILD=ON
  cmake --build build-tsan -j "$JOBS" --target "${TSAN_TESTS[@]}"
  for t in "${TSAN_TESTS[@]}"; do
    echo "--- tsan: $t"
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp" \
      timeout 900 "build-tsan/bin/$t" --gtest_brief=1
  done
fi
echo "=== all tests passed in $(( $(date +%s) - start )) s"
