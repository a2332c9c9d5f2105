"""Deleting everything of one run: what `down`, `sweep` and a failed `up` all do.

Resources are found by the run's tag and names, not by a list kept while creating them, so a
resource whose creation was interrupted after AWS made it (its id never reached us) is found
and deleted too. Every call here is idempotent and retried; a step that still fails is
reported and the others still run.
"""

import time

from gaia_ec2 import runs
from gaia_ec2.aws import RETRY_TRIES, AwsError

LIVE_STATES = "pending,running,stopping,stopped,shutting-down"


def live_instances(aws, region, run_id):
    answer = aws.ec2_retrying(
        region, "describe-instances", "--filters",
        f"Name=tag:{runs.TAG_RUN_ID},Values={run_id}",
        f"Name=instance-state-name,Values={LIVE_STATES}")
    return [i["InstanceId"] for r in answer.get("Reservations", []) for i in r["Instances"]]


def not_terminated(aws, region, ids):
    answer = aws.ec2_retrying(region, "describe-instances", "--instance-ids", *ids)
    return [i["InstanceId"] for r in answer.get("Reservations", []) for i in r["Instances"]
            if i["State"]["Name"] != "terminated"]


class Teardown:
    """Options: poll_s between state checks; wait_s for instances to end and groups to free."""

    def __init__(self, aws, log, poll_s=5.0, wait_s=900.0):
        self.aws = aws
        self.log = log
        self.poll_s = poll_s
        self.wait_s = wait_s

    def run(self, run_id, regions):
        """Deletes the run's instances, groups and key pairs in `regions`; returns problems."""
        problems = []
        terminating = {}
        for region in regions:
            try:
                ids = live_instances(self.aws, region, run_id)
                if ids:
                    self.aws.ec2_retrying(region, "terminate-instances", "--instance-ids", *ids)
                    self.log(f"[{region}] terminating {' '.join(ids)}")
                    terminating[region] = ids
            except AwsError as err:
                problems.append(str(err))
        deadline = time.monotonic() + self.wait_s
        problems += self.wait_terminated(terminating, deadline)
        for region in regions:
            problems += self.delete_groups(region, run_id, deadline)
            try:
                self.aws.ec2_retrying(region, "delete-key-pair", "--key-name",
                                      runs.resource_name(run_id))
            except AwsError as err:
                problems.append(str(err))
        return problems

    def wait_terminated(self, terminating, deadline):
        while terminating:
            for region, ids in list(terminating.items()):
                try:
                    left = not_terminated(self.aws, region, ids)
                except AwsError as err:
                    return [str(err)]
                if left:
                    terminating[region] = left
                else:
                    del terminating[region]
            if not terminating:
                break
            if time.monotonic() > deadline:
                return [f"[{r}] still not terminated after {self.wait_s:g} s: {' '.join(ids)}"
                        for r, ids in terminating.items()]
            time.sleep(self.poll_s)
        return []

    def delete_groups(self, region, run_id, deadline):
        name = runs.resource_name(run_id)
        try:
            answer = self.aws.ec2_retrying(region, "describe-security-groups", "--filters",
                                           f"Name=group-name,Values={name}")
        except AwsError as err:
            return [str(err)]
        problems = []
        for group in answer.get("SecurityGroups", []):
            other_errors = 0
            while True:
                try:
                    self.aws.ec2(region, "delete-security-group", "--group-id", group["GroupId"])
                    break
                except AwsError as err:
                    if "InvalidGroup.NotFound" in str(err):
                        break  # gone meanwhile: what we wanted
                    # A group frees a little after its last instance terminates; other
                    # errors get the few tries every idempotent call gets.
                    if "DependencyViolation" not in str(err):
                        other_errors += 1
                    if time.monotonic() > deadline or other_errors >= RETRY_TRIES:
                        problems.append(str(err))
                        break
                    self.log(f"{err}; trying again in {self.poll_s:g} s")
                    time.sleep(self.poll_s)
        return problems
