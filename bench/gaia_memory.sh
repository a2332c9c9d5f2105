#!/usr/bin/env bash
# Peak memory of a gaia-mode shard against its table (issue 3: RSS within
# 2.3x the table bytes + 64 MiB). Two DCs, one shard and one MF worker each,
# a table whose every row the workers update every clock, so the mirror's
# per-element accumulators and outboxes are as full as they get.
#
#   bash bench/gaia_memory.sh [build dir] [rows] [out dir]
#
# Prints each shard's peak RSS (VmHWM, from summary.json) and the ratio to the
# table bytes it holds (rows x 16 floats x 4 bytes: each DC has one shard).
set -euo pipefail
BUILD=${1:-build}
ROWS=${2:-2097152}
OUT=${3:-bench-results/gaia-memory}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
GAIA="$ROOT/$BUILD/bin/gaia"
[[ -x "$GAIA" ]] || GAIA="$BUILD/bin/gaia"
mkdir -p "$OUT"
spec="$OUT/gaia-memory.yaml"
data() {
  echo "synthetic:users=50000,items=$ROWS,ratings=$((ROWS * 2)),rank=16,noise=0.3,seed=7,dc=$1,dcs=2"
}
cat >"$spec" <<YAML
name: gaia-memory
mode: [gaia]
app:
  program: gaia_mf
  clocks: 4
  args: {rank: 16, lr: 0.007, lambda: 0.01}
tables:
  - {name: R, rows: $ROWS, width: 16, init: {kind: normal, stddev: 0.1, seed: 1}}
dcs:
  - {name: a, shards: 1, workers: 1, data: "$(data 0)"}
  - {name: b, shards: 1, workers: 1, data: "$(data 1)"}
consistency: {model: bsp}
asp: {significance: relative, threshold: 0.01, ds: 2}
timeout_s: 1800
YAML
"$GAIA" launch "$spec" --results "$OUT/results" --quiet
summary=$(ls -t "$OUT"/results/gaia-memory/*/summary.json | head -1)
python3 - "$summary" "$ROWS" <<'PY'
import json, sys
summary, rows = json.load(open(sys.argv[1])), int(sys.argv[2])
table = rows * 16 * 4
for run in summary["runs"]:
    for i, rss in enumerate(run.get("shard_peak_rss_bytes", [])):
        print(f"{run['mode']} shard {i}: peak RSS {rss / 2**20:.0f} MiB, table {table / 2**20:.0f} MiB, "
              f"RSS / table {rss / table:.2f}, (RSS - 64 MiB) / table {(rss - 64 * 2**20) / table:.2f}")
PY
