"""The user-data script each instance runs at first boot (cloud-init, as root).

First it arms the TTL: it asks systemd for a power-off TTL seconds later. The instance is
launched with InstanceInitiatedShutdownBehavior=terminate, so that power-off terminates it
and its billing stops even if `gaia-ec2 down` is never run. Then it installs the Debian 12
runtime libraries that `gaia` and the apps link dynamically (the launcher copies the binaries
themselves, docs/MULTI_HOST.md); the TTL is armed first so a failed install cannot keep an
instance alive.
"""

# What `ldd` lists for gaia, gaia_mf, gaia_lda and gaia_cnn of a CPU build on Debian 12,
# as packages (docs/DEPLOY.md, "Prerequisites").
RUNTIME_PACKAGES = (
    "libabsl20220623", "libc-ares2", "libfmt9", "libgrpc++1.51", "libgrpc29", "libprotobuf32",
    "libre2-9", "libspdlog1.10", "libssl3", "libyaml-cpp0.7",
)


def ttl_user_data(run_id, ttl_s):
    seconds = max(60, int(ttl_s))
    minutes = (seconds + 59) // 60
    packages = " ".join(RUNTIME_PACKAGES)
    return f"""#!/bin/sh
# gaia run {run_id}: power off (= terminate) {seconds} s after boot.
systemd-run --unit=gaia-ttl --on-active={seconds}s /bin/systemctl poweroff \\
  || shutdown -P +{minutes} "gaia run {run_id}: TTL reached"
# The libraries gaia's binaries link.
export DEBIAN_FRONTEND=noninteractive
apt-get update -q && apt-get install -y -q --no-install-recommends {packages}
"""
