#!/usr/bin/env bash
# Peak memory of an LDA shard against its word-topic table (issue 15: a
# shard holds the table in at most 1.5 x its dense size + 64 MiB). Two DCs,
# one shard and one gaia_lda worker each, a planted corpus with a wide table
# (VOCAB words x TOPICS topics) whose every row the initial counts touch.
#
#   bash bench/lda_memory.sh [build dir] [vocab] [topics] [out dir]
#
# Runs `gaia` and `lan` modes (lan: both shards in one DC, half the table
# each) and prints each shard's peak RSS (VmHWM, from summary.json) against
# its budget.
set -euo pipefail
BUILD=${1:-build}
VOCAB=${2:-50000}
TOPICS=${3:-500}
OUT=${4:-bench-results/lda-memory}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
GAIA="$ROOT/$BUILD/bin/gaia"
[[ -x "$GAIA" ]] || GAIA="$BUILD/bin/gaia"
mkdir -p "$OUT"
spec="$OUT/lda-memory.yaml"
data() {
  echo "synthetic:docs=20000,vocab=$VOCAB,topics=$TOPICS,doc_length=250,seed=7,dc=$1,dcs=2"
}
cat >"$spec" <<YAML
name: lda-memory
mode: [gaia, lan]
app:
  program: gaia_lda
  clocks: 8
  args: {topics: $TOPICS, alpha: 0.1, beta: 0.01, threads: 1, init-clocks: 3}
tables:
  - {name: word_topic, rows: $VOCAB, width: $TOPICS, counts: true}
  - {name: topic_totals, rows: 1, width: $TOPICS, counts: true}
dcs:
  - {name: a, shards: 1, workers: 1, data: "$(data 0)"}
  - {name: b, shards: 1, workers: 1, data: "$(data 1)"}
consistency: {model: bsp}
asp: {significance: relative, threshold: 0.01, ds: 2}
timeout_s: 1800
YAML
"$GAIA" launch "$spec" --results "$OUT/results" --quiet
summary=$(ls -t "$OUT"/results/lda-memory/*/summary.json | head -1)
python3 - "$summary" "$VOCAB" "$TOPICS" <<'PY'
import json, sys
summary, vocab, topics = json.load(open(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3])
for run in summary["runs"]:
    rss_list = run.get("shard_peak_rss_bytes", [])
    # gaia: each DC's shard holds the whole table; lan: the shards split it.
    table = vocab * topics * 4 / (1 if run["mode"] != "lan" else max(1, len(rss_list)))
    budget = 1.5 * table + 64 * 2**20
    for i, rss in enumerate(rss_list):
        verdict = "within" if rss <= budget else "over"
        print(f"{run['mode']} shard {i}: peak RSS {rss / 2**20:.0f} MiB, table {table / 2**20:.1f} MiB, "
              f"budget {budget / 2**20:.1f} MiB: {verdict}")
PY
