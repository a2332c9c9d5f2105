"""`sweep`: finds every gaia run's leftovers in some regions and deletes the old ones.

A run is found by its instances' run-id tag and by its key pairs' and security groups'
names (gaia-<run id>); its age is the time in its run id.
"""

import datetime

from gaia_ec2 import runs
from gaia_ec2.teardown import LIVE_STATES


def find_runs(aws, region):
    """{run id: [what of it exists here]} and names that look like gaia's but hold no run id."""
    found, odd = {}, []
    answer = aws.ec2_retrying(region, "describe-instances", "--filters",
                              f"Name=tag-key,Values={runs.TAG_RUN_ID}",
                              f"Name=instance-state-name,Values={LIVE_STATES}")
    for reservation in answer.get("Reservations", []):
        for inst in reservation["Instances"]:
            tags = {t["Key"]: t["Value"] for t in inst.get("Tags", [])}
            found.setdefault(tags[runs.TAG_RUN_ID], []).append(inst["InstanceId"])
    pattern = runs.NAME_PREFIX + "*"
    groups = aws.ec2_retrying(region, "describe-security-groups", "--filters",
                              f"Name=group-name,Values={pattern}")
    for group in groups.get("SecurityGroups", []):
        run_id = runs.run_id_of_name(group["GroupName"])
        if run_id:
            found.setdefault(run_id, []).append(group["GroupId"])
    keys = aws.ec2_retrying(region, "describe-key-pairs", "--filters",
                            f"Name=key-name,Values={pattern}")
    for key in keys.get("KeyPairs", []):
        run_id = runs.run_id_of_name(key["KeyName"])
        if run_id:
            found.setdefault(run_id, []).append("key " + key["KeyName"])
    for run_id in list(found):
        if runs.run_time(run_id) is None:
            odd.append(f"[{region}] tag {runs.TAG_RUN_ID}={run_id} is not a run id: "
                       f"{' '.join(found.pop(run_id))} left alone")
    return found, odd


def sweep(aws, teardown, regions, older_than_s, now, dry_run, log):
    """Deletes runs older than `older_than_s` at `now`; returns the problems met."""
    cutoff = now - datetime.timedelta(seconds=older_than_s)
    problems = []
    for region in regions:
        found, odd = find_runs(aws, region)
        problems += odd
        for run_id, what in sorted(found.items()):
            old = runs.run_time(run_id) < cutoff
            log(f"[{region}] run {run_id}: {' '.join(what)}"
                f"{' (old: deleting)' if old and not dry_run else ' (old)' if old else ''}")
            if old and not dry_run:
                problems += teardown.run(run_id, [region])
    return problems
