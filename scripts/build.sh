#!/usr/bin/env bash
# Configures and builds Gaia into $GAIA_BUILD_DIR (default: build/).
# Extra arguments go to cmake's configure step, e.g. -DGAIA_SANITIZE=thread.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${GAIA_BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=${GAIA_BUILD_TYPE:-RelWithDebInfo} "$@"
cmake --build "$BUILD_DIR" -j "${GAIA_JOBS:-$(nproc)}"
