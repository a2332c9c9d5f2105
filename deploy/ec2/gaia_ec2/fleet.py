"""The fleet a job asks for: DCs, each with a host count and a region (`--dc`)."""

import collections
import re

from gaia_ec2 import regions

DC_NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")
MAX_HOSTS_PER_DC = 100

DcPlan = collections.namedtuple("DcPlan", "dc region aws_region count")


def parse_dc(text):
    """'NAME=COUNT[@REGION]' to a DcPlan; REGION defaults to NAME (virginia=2)."""
    what = f"--dc '{text}'"
    name, sep, rest = text.partition("=")
    if not sep or not DC_NAME_RE.match(name):
        raise ValueError(f"{what}: want NAME=COUNT[@REGION], NAME of [A-Za-z0-9_-]")
    count_text, _, region = rest.partition("@")
    if not count_text.isdigit() or not 1 <= int(count_text) <= MAX_HOSTS_PER_DC:
        raise ValueError(f"{what}: COUNT: want 1..{MAX_HOSTS_PER_DC}, got '{count_text}'")
    try:
        region_name, aws_region = regions.resolve(region or name)
    except regions.RegionError as err:
        raise ValueError(f"{what}: REGION: {err}") from err
    return DcPlan(name, region_name, aws_region, int(count_text))


def parse_fleet(texts):
    if not texts:
        raise ValueError("--dc: give at least one DC, e.g. --dc virginia=2")
    fleet = [parse_dc(t) for t in texts]
    seen = set()
    for plan in fleet:
        if plan.dc in seen:
            raise ValueError(f"--dc: DC '{plan.dc}' given twice")
        seen.add(plan.dc)
    return fleet


def aws_regions(fleet):
    """The fleet's AWS regions, each once, in DC order."""
    return list(dict.fromkeys(plan.aws_region for plan in fleet))


def parse_ports(text):
    match = re.match(r"^(\d+)(?:-(\d+))?$", text)
    low = int(match.group(1)) if match else 0
    high = int(match.group(2) or low) if match else 0
    if not match or not 1 <= low <= high <= 65535:
        raise ValueError(f"--ports: want PORT or LOW-HIGH within 1..65535, got '{text}'")
    return low, high
