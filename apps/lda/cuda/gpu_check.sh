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
source "$root/scripts/gpu_check_steps.sh"

gpu_check_build "$root/apps/lda/cuda/standalone" "$build" GAIA_LDA_CUDA_ARCHITECTURES
for t in lda_gpu_math_test lda_cuda_sampler_test; do
  if [[ -x "$build/bin/$t" ]]; then gpu_check_step "$t" "$build/bin/$t" || true; fi
done
gpu_check_step bench "$build/bin/lda_kernel_bench" "$@" || true
exit "$gpu_check_status"
