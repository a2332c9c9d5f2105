#!/usr/bin/env bash
# Builds apps/lda's GPU sampler on its own (standalone/CMakeLists.txt: CUDA
# and absl; GoogleTest optional) and runs its checks: the CPU tests of the
# math, the GPU tests (exact counts, objective within 1% of the CPU
# samplers'), then lda_kernel_bench at NYTimes shape.
#
#   apps/lda/cuda/gpu_check.sh [lda_kernel_bench flags, e.g. --copy-gbps=2900]
#
# BUILD_DIR (default <repo>/build-lda-gpu) and CUDA_ARCHS (default "native":
# the GPUs of this machine) may be set. When OUT is set (the device tool's
# output folder), the logs are also written there. Exit status: the first
# failure's.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
build="${BUILD_DIR:-$root/build-lda-gpu}"
archs="${CUDA_ARCHS:-native}"
log_dir="${OUT:-}"

run() {  # run NAME COMMAND...: prints and, with OUT, keeps the output
  local name="$1"
  shift
  echo "== $name: $*"
  if [[ -n "$log_dir" ]]; then
    "$@" 2>&1 | tee "$log_dir/$name.log"
    return "${PIPESTATUS[0]}"
  fi
  "$@"
}

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
run configure cmake -S "$root/apps/lda/cuda/standalone" -B "$build" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE=Release "-DGAIA_LDA_CUDA_ARCHITECTURES=$archs"
run build cmake --build "$build" -j "$(nproc)"
status=0
for t in lda_gpu_math_test lda_cuda_sampler_test; do
  if [[ -x "$build/bin/$t" ]]; then
    run "$t" "$build/bin/$t" || { s=$?; [[ $status -ne 0 ]] || status=$s; }
  fi
done
run bench "$build/bin/lda_kernel_bench" "$@" || { s=$?; [[ $status -ne 0 ]] || status=$s; }
exit "$status"
