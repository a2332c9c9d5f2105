#!/usr/bin/env bash
# Compares lan, baseline, gaia and gaia_async on the default MF job with the
# DC<->DC link emulated at two bandwidths, under BSP and SSP, with the mirror
# sending significant values as binary16 (the default) and as ternary rows
# (issue 3, docs/PERFORMANCE.md). Every run of one line is in one `gaia
# launch`, so the ratios to its lan run are measured side by side on the same
# machine.
#
#   bash bench/asp_compare.sh [build dir] [out dir]
#
# Settings (the job moves ~100 Mbit/s per DC over loopback in lan mode):
#   ss     2 Mbit/s, no added delay (~1/60 of that: like Singapore<->Sao Paulo,
#          bandwidth only, as the thesis's tc emulation)
#   ss100  2 Mbit/s, 100 ms one way (the same with a real S/S latency)
#   vc    20 Mbit/s,  10 ms one way (~12x ss: like Virginia<->California)
set -euo pipefail
BUILD=${1:-build}
OUT=${2:-bench-results/asp}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$OUT"
GAIA="$ROOT/$BUILD/bin/gaia"
[[ -x "$GAIA" ]] || GAIA="$BUILD/bin/gaia"

for setting in "ss 2 0" "ss100 2 100" "vc 20 10"; do
  read -r name mbps delay <<<"$setting"
  for model in bsp ssp; do
    consistency="{model: bsp}"
    [[ $model == ssp ]] && consistency="{model: ssp, staleness: 2}"
    for values in binary16 ternary; do
      modes="lan, baseline, gaia, gaia_async"
      [[ $values == ternary ]] && modes="lan, gaia, gaia_async"  # baseline sends no mirror values
      spec="$OUT/mf-$name-$model-$values.yaml"
      sed -e "s/^name: mf-2dc/name: mf-$name-$model-$values/" \
          -e "s/^mode: .*/mode: [$modes]/" \
          -e "s/^consistency: .*/consistency: $consistency/" \
          -e "s/^asp: {\(.*\)}/asp: {\1, values: $values}/" \
          -e "s/^  bandwidth_mbps: .*/  bandwidth_mbps: $mbps/" \
          -e "s/^  delay_ms: .*/  delay_ms: $delay/" \
          -e "s/^timeout_s: .*/timeout_s: 1800/" \
          "$ROOT/examples/mf-2dc.yaml" > "$spec"
      grep -q "values: $values" "$spec"  # the asp line was rewritten
      echo "== $name ($mbps Mbit/s, $delay ms), $model, values: $values"
      "$GAIA" launch "$spec" --quiet --results "$OUT/results" | grep -E "done in|comparison"
    done
  done
done
