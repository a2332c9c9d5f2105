#!/usr/bin/env bash
# Compares lan, baseline, gaia and gaia_async on the default MF job with the
# DC<->DC link emulated at two bandwidths, under BSP and SSP (issue 3,
# docs/PERFORMANCE.md). Every run of one setting is in one `gaia launch`, so
# the ratios are measured side by side on the same machine.
#
#   bash bench/asp_compare.sh [build dir] [out dir]
#
# Settings (the job moves ~100 Mbit/s per DC over loopback in lan mode):
#   ss  2 Mbit/s, 100 ms one way  (~1/60 of that: like Singapore<->Sao Paulo)
#   vc 20 Mbit/s,  10 ms one way  (~12x ss: like Virginia<->California)
set -euo pipefail
BUILD=${1:-build}
OUT=${2:-bench-results/asp}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$OUT"
GAIA="$ROOT/$BUILD/bin/gaia"
[[ -x "$GAIA" ]] || GAIA="$BUILD/bin/gaia"

for setting in "ss 2 100" "vc 20 10"; do
  read -r name mbps delay <<<"$setting"
  for model in bsp ssp; do
    spec="$OUT/mf-$name-$model.yaml"
    consistency="{model: bsp}"
    [[ $model == ssp ]] && consistency="{model: ssp, staleness: 2}"
    sed -e "s/^name: mf-2dc/name: mf-$name-$model/" \
        -e "s/^mode: .*/mode: [lan, baseline, gaia, gaia_async]/" \
        -e "s/^consistency: .*/consistency: $consistency/" \
        -e "s/^  bandwidth_mbps: .*/  bandwidth_mbps: $mbps/" \
        -e "s/^  delay_ms: .*/  delay_ms: $delay/" \
        -e "s/^timeout_s: .*/timeout_s: 1800/" \
        "$ROOT/examples/mf-2dc.yaml" > "$spec"
    echo "== $name ($mbps Mbit/s, $delay ms), $model"
    "$GAIA" launch "$spec" --quiet --results "$OUT/results" | grep -E "done in|comparison"
  done
done
