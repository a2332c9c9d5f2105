#!/usr/bin/env bash
# Builds apps/cnn's GPU path on its own (standalone/CMakeLists.txt: CUDA,
# cuDNN, Eigen, absl; GoogleTest optional) and runs its checks: the
# CPU-vs-GPU tests, then cnn_cuda_check (agreement table and images/s).
#
#   apps/cnn/cuda/gpu_check.sh [cnn_cuda_check flags, e.g. --steps=100]
#
# BUILD_DIR (default <repo>/build-gpu) and CUDA_ARCHS (default "native": the
# GPUs of this machine) may be set. When OUT is set (the device tool's output
# folder), the logs are also written there. Exit status: the first failure's.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
build="${BUILD_DIR:-$root/build-gpu}"
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
run configure cmake -S "$root/apps/cnn/cuda/standalone" -B "$build" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE=Release "-DGAIA_CNN_CUDA_ARCHITECTURES=$archs"
run build cmake --build "$build" -j "$(nproc)"
status=0
if [[ -x "$build/bin/cnn_cuda_model_test" ]]; then
  run test "$build/bin/cnn_cuda_model_test" || status=$?
fi
run check "$build/bin/cnn_cuda_check" "$@" || { s=$?; [[ $status -ne 0 ]] || status=$s; }
exit "$status"
