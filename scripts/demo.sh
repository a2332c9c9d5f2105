#!/usr/bin/env bash
# One command: set up, build, and run the embedded default job
# (examples/mf-2dc.yaml: 2 local DCs, emulated WAN, lan vs baseline).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh -DGAIA_BUILD_TESTS=OFF -DGAIA_BUILD_BENCH=OFF
exec build/bin/gaia launch examples/mf-2dc.yaml "$@"
