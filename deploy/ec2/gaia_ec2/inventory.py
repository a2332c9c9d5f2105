"""The inventory file `gaia launch` reads (format: hosts in the job spec, docs/DEPLOY.md).

    # inventory for job mf-3dc, run id 20261207-055012-3fa9c1
    # regions: us-east-1 us-west-1
    dcs:
      virginia:
        - {address: 3.4.5.6, ssh_user: admin, ssh_port: 22}
"""

import os
import re

# YAML 1.1 reads these plain scalars as something other than a string.
NOT_A_STRING = re.compile(r"^(\d+|y|n|yes|no|true|false|on|off|null|~)$", re.IGNORECASE)
REGIONS_LINE = "# regions: "
HEADER_RE = re.compile(r"^# inventory for job (\S+), run id (\S+)$")


def yaml_key(name):
    return f'"{name}"' if NOT_A_STRING.match(name) else name


def render(job, run_id, regions, hosts_by_dc):
    """hosts_by_dc: [(dc, [(address, ssh_user, ssh_port), ...]), ...] in DC order."""
    lines = [f"# inventory for job {job}, run id {run_id}",
             REGIONS_LINE + " ".join(regions), "dcs:"]
    for dc, hosts in hosts_by_dc:
        lines.append(f"  {yaml_key(dc)}:")
        for address, user, port in hosts:
            lines.append(f"    - {{address: {address}, ssh_user: {user}, ssh_port: {port}}}")
    return "\n".join(lines) + "\n"


def write(path, text):
    """Atomically: a reader never sees half an inventory."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def read_run(path):
    """(run id, [aws regions]) from an inventory's header lines; ValueError if absent."""
    run_id, regions = None, None
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            line = line.rstrip("\n")
            match = HEADER_RE.match(line)
            if match:
                run_id = match.group(2)
            elif line.startswith(REGIONS_LINE):
                regions = line[len(REGIONS_LINE):].split()
            if number >= 2:
                break
    if run_id is None or regions is None:
        raise ValueError(f"{path}:1: header: not an inventory written by gaia-ec2 up "
                         "(want '# inventory for job <job>, run id <id>' and '# regions: ...')")
    return run_id, regions
