"""The user-data script that ends an instance after the TTL, whatever happens to the user.

cloud-init runs it as root at first boot. It asks systemd for a power-off TTL seconds later;
the instance is launched with InstanceInitiatedShutdownBehavior=terminate, so that power-off
terminates it and its billing stops even if `gaia-ec2 down` is never run.
"""


def ttl_user_data(run_id, ttl_s):
    seconds = max(60, int(ttl_s))
    minutes = (seconds + 59) // 60
    return f"""#!/bin/sh
# gaia run {run_id}: power off (= terminate) {seconds} s after boot.
systemd-run --unit=gaia-ttl --on-active={seconds}s /bin/systemctl poweroff \\
  || shutdown -P +{minutes} "gaia run {run_id}: TTL reached"
"""
