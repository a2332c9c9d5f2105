# Sourced by the standalone GPU checks (apps/*/cuda/gpu_check.sh): the steps
# they share. Each step prints its command and, when OUT is set (the device
# tool's output folder), keeps its output in $OUT/<name>.log; the first
# failing step's status is the script's.
#
#   source "$root/scripts/gpu_check_steps.sh"
#   gpu_check_build "$root/apps/x/cuda/standalone" "$build" GAIA_X_CUDA_ARCHITECTURES
#   gpu_check_step test "$build/bin/x_test"
#   exit "$gpu_check_status"
#
# CUDA_ARCHS (default "native": the GPUs of this machine) may be set.

gpu_check_status=0

gpu_check_step() {  # gpu_check_step NAME COMMAND...: runs it, remembers a failure
  local name="$1" s=0
  shift
  echo "== $name: $*"
  if [[ -n "${OUT:-}" ]]; then
    # In an || list errexit is off, so the step's own status is kept.
    { "$@" 2>&1 | tee "$OUT/$name.log"; s="${PIPESTATUS[0]}"; } || true
  else
    "$@" || s=$?
  fi
  if [[ $s -ne 0 && $gpu_check_status -eq 0 ]]; then gpu_check_status=$s; fi
  return "$s"
}

gpu_check_build() {  # gpu_check_build SOURCE_DIR BUILD_DIR ARCHITECTURES_VARIABLE
  local generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
  gpu_check_step configure cmake -S "$1" -B "$2" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    "-D$3=${CUDA_ARCHS:-native}" || exit "$gpu_check_status"
  gpu_check_step build cmake --build "$2" -j "$(nproc)" || exit "$gpu_check_status"
}
