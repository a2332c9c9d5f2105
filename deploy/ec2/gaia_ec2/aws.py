"""Runs the AWS CLI (`aws ec2 ...`) and returns its JSON answer."""

import json
import os
import shutil
import subprocess
import time

# How often an idempotent call is tried before its error stands.
RETRY_TRIES = 3


class AwsError(RuntimeError):
    """A failed `aws` call; the message names the region, the command and AWS's words."""


class AwsCli:
    """One region-independent handle on the CLI; each call names its region.

    Each `aws` runs in its own session so that a Ctrl-C on the terminal reaches only
    gaia-ec2, which decides what to stop (and never interrupts its own teardown's calls).
    """

    def __init__(self, aws_path=None, endpoint_url=None, call_timeout_s=120, log=None):
        self.aws_path = aws_path or shutil.which("aws")
        if not self.aws_path:
            raise AwsError("the AWS CLI ('aws') is not on PATH; install it (Debian: awscli)")
        self.endpoint_url = endpoint_url
        self.call_timeout_s = call_timeout_s
        self.log = log or (lambda message: None)
        self.env = dict(os.environ, AWS_PAGER="")

    def ec2(self, region, command, *args):
        argv = [self.aws_path, "ec2", command, "--region", region, "--output", "json"]
        if self.endpoint_url:
            argv += ["--endpoint-url", self.endpoint_url]
        argv += [str(a) for a in args]
        self.log(f"[{region}] aws ec2 {command}")
        try:
            done = subprocess.run(argv, capture_output=True, text=True, env=self.env,
                                  timeout=self.call_timeout_s, start_new_session=True)
        except subprocess.TimeoutExpired as err:
            raise AwsError(f"[{region}] aws ec2 {command}: no answer in "
                           f"{self.call_timeout_s} s") from err
        if done.returncode != 0:
            words = done.stderr.strip().splitlines()
            raise AwsError(f"[{region}] aws ec2 {command}: "
                           f"{words[-1] if words else 'exit ' + str(done.returncode)}")
        out = done.stdout.strip()
        return json.loads(out) if out else {}

    def ec2_retrying(self, region, command, *args, tries=RETRY_TRIES, pause_s=1.0):
        """For idempotent calls (describe, terminate, delete): tries a few times."""
        for attempt in range(1, tries + 1):
            try:
                return self.ec2(region, command, *args)
            except AwsError as err:
                if attempt == tries:
                    raise
                self.log(f"{err}; trying again ({attempt}/{tries})")
                time.sleep(pause_s)
        raise AssertionError("unreachable")


def tag_spec(resource_types, tags):
    """The --tag-specifications value that tags resources as they are created."""
    return json.dumps([{"ResourceType": kind,
                        "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}
                       for kind in resource_types])
