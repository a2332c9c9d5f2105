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
source "$root/scripts/gpu_check_steps.sh"

gpu_check_build "$root/apps/cnn/cuda/standalone" "$build" GAIA_CNN_CUDA_ARCHITECTURES
if [[ -x "$build/bin/cnn_cuda_model_test" ]]; then
  gpu_check_step test "$build/bin/cnn_cuda_model_test" || true
fi
gpu_check_step check "$build/bin/cnn_cuda_check" "$@" || true
exit "$gpu_check_status"
