#!/usr/bin/env bash
# Quality of apps/lda against gensim's LdaModel on the same corpus and number
# of topics (issue 15; docs/APP_LDA.md "Quality against gensim"): held-out
# per-token log-likelihood (document completion), NPMI coherence and training
# time, side by side. Both models are scored by the same gaia_lda_eval, with
# the same held-out documents, the same split of each and the same alpha.
#
#   bash bench/lda_quality.sh CORPUS K [--flag value ...]
#   bash bench/lda_quality.sh brown 20
#   bash bench/lda_quality.sh spam-assassin 50 --iterations 300 --passes 20
#
# CORPUS is a data spec without the split options: brown, spam-assassin,
# uci:PATH/docword.NAME.txt, text:DIR, synthetic:... (apps/lda/data_source.h).
# Steps (--steps runs a subset, in this order; --dry-run prints the commands):
#   export   gaia_lda_eval --export-corpus: the training documents as UCI
#            files, so gensim reads exactly ours (same documents, word ids)
#   gensim   bench/lda_gensim.py on them -> OUT/gensim.topics
#   ours     gaia_lda_serial on the same training split -> OUT/gaia.topics
#   eval     gaia_lda_eval on each -> OUT/{gaia,gensim}.eval.json
#   table    the side-by-side table (also OUT/table.txt)
# Flags (defaults in brackets): --build DIR [build], --out DIR
# [bench-results/lda-quality/<corpus>-K<K>], --test F [0.1: held-out share of
# the documents], --seed S [1: split, samplers, gensim], --alpha A [0.1],
# --beta B [0.01: gensim's eta], --iterations N [200: our Gibbs sweeps],
# --passes P [10: gensim], --gensim-iterations I [100: gensim E-step cap],
# --threads T [0: held-out scoring threads, 0 = one per core].
# Training time: gensim's is the LdaModel call alone (lda_gensim.py); ours is
# the whole gaia_lda_serial process (loading included), so it is the larger
# side of the comparison.
# gensim is a bench-only peer: apt-get install python3-gensim (Debian 12).
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
[[ $# -ge 2 ]] || usage
CORPUS=$1
K=$2
shift 2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=build OUT="" TEST=0.1 SEED=1 ALPHA=0.1 BETA=0.01 ITERATIONS=200 PASSES=10
GENSIM_ITERATIONS=100 THREADS=0 STEPS=export,gensim,ours,eval,table DRY_RUN=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) BUILD=$2 ;;
    --out) OUT=$2 ;;
    --test) TEST=$2 ;;
    --seed) SEED=$2 ;;
    --alpha) ALPHA=$2 ;;
    --beta) BETA=$2 ;;
    --iterations) ITERATIONS=$2 ;;
    --passes) PASSES=$2 ;;
    --gensim-iterations) GENSIM_ITERATIONS=$2 ;;
    --threads) THREADS=$2 ;;
    --steps) STEPS=$2 ;;
    --dry-run) DRY_RUN=1; shift; continue ;;
    *) echo "lda_quality.sh: unknown flag $1" >&2; usage ;;
  esac
  [[ $# -ge 2 ]] || { echo "lda_quality.sh: $1 needs a value" >&2; exit 2; }
  shift 2
done
[[ $K =~ ^[0-9]+$ && $K -ge 2 ]] || { echo "lda_quality.sh: K must be >= 2" >&2; exit 2; }
if [[ -z $OUT ]]; then
  OUT=bench-results/lda-quality/$(printf '%s' "$CORPUS" | tr -c 'A-Za-z0-9_.-' '_')-K$K
fi
[[ $BUILD = /* ]] || BUILD=$ROOT/$BUILD
BIN=$BUILD/bin

# The spec with the split options: "synthetic" alone takes them after ':'.
split_spec() {
  local sep=,
  [[ $CORPUS == synthetic ]] && sep=:
  echo "$CORPUS${sep}test=$TEST,seed=$SEED,split=$1"
}
TRAIN_SPEC=$(split_spec train)
TEST_SPEC=$(split_spec test)
DOCWORD=$OUT/train/docword.train.txt

run() {  # prints the command; runs it unless --dry-run
  echo "+ $*" >&2
  [[ $DRY_RUN == 1 ]] || "$@"
}
want() { [[ ,$STEPS, == *,$1,* ]]; }
need() {  # a built program, or how to build it
  [[ $DRY_RUN == 1 || -x $1 ]] && return
  echo "lda_quality.sh: $1 not built ($2)" >&2
  exit 1
}

gensim_python() {  # a Python that imports gensim (Debian's, if the default lacks it)
  for py in ${PYTHON:-} python3 /usr/bin/python3; do
    if "$py" -c "import gensim" 2>/dev/null; then echo "$py"; return; fi
  done
  echo "lda_quality.sh: no python3 with gensim; install it: apt-get install python3-gensim" >&2
  exit 1
}

step_export() {
  need "$BIN/gaia_lda_eval" "ninja -C build gaia_lda_eval"
  run "$BIN/gaia_lda_eval" --export-corpus="$TRAIN_SPEC" --out-dir="$OUT/train" --name=train
}

step_gensim() {
  local py=python3
  [[ $DRY_RUN == 1 ]] || py=$(gensim_python)
  local cmd=("$py" "$ROOT/bench/lda_gensim.py" --docword "$DOCWORD" --topics "$K"
             --alpha "$ALPHA" --eta "$BETA" --passes "$PASSES" --iterations "$GENSIM_ITERATIONS"
             --seed "$SEED" --out "$OUT/gensim.topics")
  echo "+ ${cmd[*]} > $OUT/gensim.train.json" >&2
  [[ $DRY_RUN == 1 ]] && return
  "${cmd[@]}" | tee "$OUT/gensim.train.json"
}

step_ours() {
  need "$BIN/gaia_lda_serial" "ninja -C build gaia_lda_serial"
  local cmd=("$BIN/gaia_lda_serial" --data="$TRAIN_SPEC" --topics="$K" --iterations="$ITERATIONS"
             --alpha="$ALPHA" --beta="$BETA" --export-topics="$OUT/gaia.topics")
  echo "+ ${cmd[*]} > $OUT/gaia.train.log" >&2
  [[ $DRY_RUN == 1 ]] && return
  local start end
  start=$(date +%s.%N)
  "${cmd[@]}" > "$OUT/gaia.train.log"
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" 'BEGIN { printf "{\"train_seconds\": %.3f}\n", e - s }' \
    | tee "$OUT/gaia.train.json"
}

step_eval() {
  need "$BIN/gaia_lda_eval" "ninja -C build gaia_lda_eval"
  for model in gaia gensim; do
    if [[ $DRY_RUN == 0 && ! -f $OUT/$model.topics ]]; then
      echo "lda_quality.sh: no $OUT/$model.topics (step ${model/gaia/ours} not run); skipped" >&2
      continue
    fi
    run "$BIN/gaia_lda_eval" --topics="$OUT/$model.topics" --corpus="$CORPUS" \
      --test-data="$TEST_SPEC" --alpha="$ALPHA" --seed="$SEED" --threads="$THREADS" \
      --out="$OUT/$model.eval.json"
  done
}

step_table() {
  [[ $DRY_RUN == 1 ]] && { echo "+ table from $OUT/*.json" >&2; return; }
  python3 - "$OUT" "$CORPUS" "$K" <<'PY' | tee "$OUT/table.txt"
import json, sys
out, corpus, k = sys.argv[1:]
def load(name):
    try:
        with open(f"{out}/{name}") as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}
rows = [("held-out LL / token", "eval", "heldout_loglik_per_token", "%.4f"),
        ("NPMI (top 10)", "eval", "npmi_mean", "%.4f"),
        ("train time (s)", "train", "train_seconds", "%.1f"),
        ("held-out tokens", "eval", "heldout_tokens", "%d")]
models = ("gaia", "gensim")
data = {m: {"eval": load(f"{m}.eval.json"), "train": load(f"{m}.train.json")} for m in models}
print(f"{corpus}, K = {k}")
print(f"{'':22}{'gaia':>12}{'gensim':>12}")
for label, kind, key, fmt in rows:
    cells = [fmt % data[m][kind][key] if key in data[m][kind] else "-" for m in models]
    print(f"{label:22}{cells[0]:>12}{cells[1]:>12}")
PY
}

[[ $DRY_RUN == 1 ]] || mkdir -p "$OUT"
for step in export gensim ours eval table; do
  if want "$step"; then "step_$step"; fi
done
