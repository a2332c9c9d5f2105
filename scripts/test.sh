#!/usr/bin/env bash
# One command: set up, build, and run every test.
#   1. the default build (RelWithDebInfo): the whole suite;
#   2. an ASan+UBSan build: the unit and in-process tests (label "sanitize");
#   3. a TSan build: the concurrent parts (label "concurrency").
# GAIA_TEST_SANITIZERS=0 skips 2 and 3 (quick local runs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
JOBS=${GAIA_JOBS:-$(nproc)}

echo "=== default build: full suite"
GAIA_BUILD_DIR=build bash scripts/build.sh -DGAIA_BUILD_TESTS=ON -DGAIA_BUILD_BENCH=ON
ctest --test-dir build --output-on-failure -j "$JOBS" --timeout 600

if [ "${GAIA_TEST_SANITIZERS:-1}" = "1" ]; then
  echo "=== ASan+UBSan build: label sanitize"
  GAIA_BUILD_DIR=build-asan GAIA_BUILD_TYPE=Debug bash scripts/build.sh \
    -DGAIA_BUILD_TESTS=ON -DGAIA_BUILD_BENCH=OFF -DGAIA_SANITIZE=address,undefined
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
    ctest --test-dir build-asan --output-on-failure -j "$JOBS" -L sanitize --timeout 600

  echo "=== TSan build: label concurrency"
  GAIA_BUILD_DIR=build-tsan GAIA_BUILD_TYPE=RelWithDebInfo bash scripts/build.sh \
    -DGAIA_BUILD_TESTS=ON -DGAIA_BUILD_BENCH=OFF -DGAIA_SANITIZE=thread
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    ctest --test-dir build-tsan --output-on-failure -j "$JOBS" -L concurrency --timeout 600
fi
