"""Run ids, the names and tags that mark a run's resources, and durations.

A run id carries its creation time (UTC), so `sweep` can age key pairs and security groups
by their names alone: 20261207-055012-3fa9c1. Every resource of the run is named or tagged
with it; the key pair and the security group are named gaia-<run id> in each region.
"""

import datetime
import re
import secrets

RUN_ID_RE = re.compile(r"^(\d{8}-\d{6})-[0-9a-f]{6}$")
NAME_PREFIX = "gaia-"
TAG_RUN_ID = "gaia:run-id"
TAG_JOB = "gaia:job"
TAG_EXPIRES = "gaia:expires"
DURATION_RE = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
SECONDS_PER = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def new_run_id(now):
    return now.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


def is_run_id(text):
    return RUN_ID_RE.match(text) is not None


def run_time(run_id):
    """The UTC time a run id was made, or None if it is not a run id."""
    match = RUN_ID_RE.match(run_id)
    if not match:
        return None
    stamp = datetime.datetime.strptime(match.group(1), "%Y%m%d-%H%M%S")
    return stamp.replace(tzinfo=datetime.timezone.utc)


def resource_name(run_id):
    return NAME_PREFIX + run_id


def run_id_of_name(name):
    """The run id in a key pair's or group's name gaia-<run id>, or None."""
    if name.startswith(NAME_PREFIX) and is_run_id(name[len(NAME_PREFIX):]):
        return name[len(NAME_PREFIX):]
    return None


def parse_duration(text, what, allow_zero=False):
    """Seconds in '90m', '2h', '1.5d', '30s'; ValueError naming `what` otherwise."""
    match = DURATION_RE.match(text.strip())
    if not match or (float(match.group(1)) == 0 and not allow_zero):
        least = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{what}: want a duration {least} such as 45m, 2h or 1d, got '{text}'")
    return float(match.group(1)) * SECONDS_PER[match.group(2)]
