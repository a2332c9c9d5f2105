#!/usr/bin/env bash
# The GPU benchmark a reviewer reruns on a GPU machine, in one go and under 8
# minutes: builds bench/gpu (needs only CUDA and CMake), measures the card's
# device-to-device copy rate, then runs the MF SGD kernel on Netflix-shaped data
# (mf_kernel_bench) and the LDA sampler on NYTimes-shaped data
# (lda_kernel_bench, when bench/gpu/lda.cmake built it), both against that
# copy rate. docs/PERFORMANCE.md "GPU" records the numbers.
#
#   bench/gpu/run.sh [results-dir]     (default: <build>/results)
#
# Environment: GAIA_GPU_BENCH_BUILD (build folder; default build-gpu-bench
# under the repository root), CUDA_ARCHITECTURES (default: native, the card
# present). Exit code: the first failing step's.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${GAIA_GPU_BENCH_BUILD:-$root/build-gpu-bench}
out=${1:-$build/results}
archs=${CUDA_ARCHITECTURES:-native}
mkdir -p "$out"
start=$(date +%s)

step() { printf '\n== %s (%ds)\n' "$1" "$(( $(date +%s) - start ))"; }

step "build (CUDA architectures: $archs)"
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DGAIA_MF_CUDA_ARCHITECTURES="$archs" -DGAIA_GPU_BENCH_ARCHITECTURES="$archs" \
  > "$out/configure.log"
cmake --build "$build" -j "$(nproc)" > "$out/build.log" || {
  tail -40 "$out/build.log"; exit 1; }

step "GPU"
if command -v nvidia-smi > /dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.memory \
    --format=csv | tee "$out/gpu.txt"
fi

step "device-to-device copy bandwidth"
timeout 60 "$build/bin/gpu_copy_bandwidth" | tee "$out/copy.txt"
copy_gbps=$(awk '$1 == "copy_gbps" { print $2 }' "$out/copy.txt")

step "MF SGD kernel (Netflix shape: 480,189 x 17,770, 100M ratings, rank 128)"
timeout 240 "$build/bin/mf_kernel_bench" --copy-gbps="$copy_gbps" | tee "$out/mf.txt"

step "LDA sampling kernel (NYTimes shape)"
if [[ -x "$build/bin/lda_kernel_bench" ]]; then
  timeout 180 "$build/bin/lda_kernel_bench" --copy-gbps="$copy_gbps" | tee "$out/lda.txt"
else
  echo "lda_kernel_bench was not built (no bench/gpu/lda.cmake in this checkout)" \
    | tee "$out/lda.txt"
fi

step "done; results in $out"
