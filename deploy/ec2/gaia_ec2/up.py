"""`up`: a job's fleet across regions, or nothing at all.

Order: the cost check (no AWS call), AMI lookups (nothing created), then per region a key
pair and a security group, then the instances, then the group rules once every host's
address is known, then the inventory. Any failure, SIGINT or SIGTERM on the way deletes all
of the run that exists (teardown.py) before gaia-ec2 exits.
"""

import dataclasses
import datetime
import json
import os
import signal
import tempfile
import time
import urllib.request

from gaia_ec2 import cost, fleet as fleet_mod, inventory, runs, userdata
from gaia_ec2.aws import AwsError, tag_spec

DEBIAN_OWNER = "136693071363"  # the Debian cloud team's AWS account
ARCH_OF = {"amd64": "x86_64", "arm64": "arm64"}
CHECKIP_URL = "https://checkip.amazonaws.com"


class UpError(RuntimeError):
    pass


class Interrupted(BaseException):
    def __init__(self, signum):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@dataclasses.dataclass
class UpOptions:
    job: str
    fleet: list                 # fleet.DcPlan
    max_usd_per_hour: float
    ttl_s: float
    public_key: str             # path of the OpenSSH public key to import
    inventory_path: str
    prices_path: str
    price_column: str = "cpu_hour"
    instance_type: str = "c4.xlarge"
    arch: str = "amd64"
    ssh_from: list = dataclasses.field(default_factory=list)  # CIDRs; [] = this machine's
    ssh_user: str = "admin"     # the Debian images' login
    ports: tuple = (1024, 65535)
    run_id: str = ""            # "" = a new one
    max_group_rules: int = 60   # AWS's default quota of inbound rules per security group
    poll_s: float = 5.0
    wait_s: float = 900.0


def check_cost(opts, log):
    prices = cost.load_prices(opts.prices_path)
    lines, total = cost.estimate(opts.fleet, prices, opts.price_column, opts.prices_path)
    log(cost.format_estimate(lines, total, opts.price_column, opts.ttl_s / 3600,
                             opts.prices_path))
    if total > opts.max_usd_per_hour:
        raise UpError(f"the fleet costs {total:.2f} USD/hour, over --max-usd-per-hour "
                      f"{opts.max_usd_per_hour:g}; nothing was created")


def check_group_rules(opts):
    """Each group gets a rule per SSH source, per fleet host and per own private address."""
    total = sum(plan.count for plan in opts.fleet)
    for region in fleet_mod.aws_regions(opts.fleet):
        own = sum(plan.count for plan in opts.fleet if plan.aws_region == region)
        needed = len(opts.ssh_from) + total + own
        if needed > opts.max_group_rules:
            raise UpError(f"[{region}] the security group would need {needed} inbound rules, "
                          f"over --max-group-rules {opts.max_group_rules} (AWS's quota); "
                          "use fewer hosts or raise the quota; nothing was created")


def my_address():
    try:
        with urllib.request.urlopen(CHECKIP_URL, timeout=10) as reply:
            return reply.read().decode().strip() + "/32"
    except OSError as err:
        raise UpError(f"cannot learn this machine's address from {CHECKIP_URL} ({err}); "
                      "give --ssh-from CIDR") from err


def lookup_ami(aws, region, arch):
    answer = aws.ec2_retrying(region, "describe-images", "--owners", DEBIAN_OWNER, "--filters",
                              f"Name=name,Values=debian-12-{arch}-*",
                              f"Name=architecture,Values={ARCH_OF[arch]}",
                              "Name=state,Values=available")
    images = sorted(answer.get("Images", []), key=lambda i: i.get("CreationDate", ""))
    if not images:
        raise UpError(f"[{region}] no Debian 12 {arch} image from owner {DEBIAN_OWNER}")
    return images[-1]["ImageId"]


def open_group(aws, region, group_id, opts, hosts):
    """SSH from the user; the job's ports from the fleet's own addresses only."""
    fleet_cidrs = sorted({f"{h[1]}/32" for hs in hosts.values() for h in hs} |
                         {f"{h[2]}/32" for h in hosts[region]})
    low, high = opts.ports
    permissions = [
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
         "IpRanges": [{"CidrIp": c, "Description": "ssh from the user"} for c in opts.ssh_from]},
        {"IpProtocol": "tcp", "FromPort": low, "ToPort": high,
         "IpRanges": [{"CidrIp": c, "Description": "the job's hosts"} for c in fleet_cidrs]},
    ]
    aws.ec2(region, "authorize-security-group-ingress", "--group-id", group_id,
            "--ip-permissions", json.dumps(permissions))


def wait_running(aws, launched, opts, log):
    """{region: [(instance id, public ip, private ip)]} once every instance runs."""
    deadline = time.monotonic() + opts.wait_s
    while True:
        hosts, waiting = {}, 0
        for region, ids in launched.items():
            answer = aws.ec2_retrying(region, "describe-instances", "--instance-ids", *ids)
            hosts[region] = []
            for reservation in answer.get("Reservations", []):
                for inst in reservation["Instances"]:
                    state = inst["State"]["Name"]
                    if state in ("shutting-down", "terminated", "stopping", "stopped"):
                        raise UpError(f"[{region}] instance {inst['InstanceId']} is {state}")
                    if state != "running" or not inst.get("PublicIpAddress"):
                        waiting += 1
                    hosts[region].append((inst["InstanceId"], inst.get("PublicIpAddress"),
                                          inst.get("PrivateIpAddress")))
        if not waiting:
            return hosts
        if time.monotonic() > deadline:
            raise UpError(f"{waiting} instance(s) not running after {opts.wait_s:g} s")
        log(f"waiting for {waiting} instance(s) to run")
        time.sleep(opts.poll_s)


class Fleet:
    """One `up` in progress: what it made so far, and the steps."""

    def __init__(self, aws, opts, run_id, log):
        self.aws, self.opts, self.run_id, self.log = aws, opts, run_id, log
        self.touched = []       # regions where something may have been created
        self.tags = {runs.TAG_RUN_ID: run_id, runs.TAG_JOB: opts.job,
                     runs.TAG_EXPIRES: (datetime.datetime.now(datetime.timezone.utc) +
                                        datetime.timedelta(seconds=opts.ttl_s)).isoformat(
                                            timespec="seconds")}

    def create(self, amis, user_data_path):
        name = runs.resource_name(self.run_id)
        groups, launched, by_dc = {}, {}, {}
        for region in amis:
            self.touched.append(region)
            self.aws.ec2(region, "import-key-pair", "--key-name", name,
                         "--public-key-material", "fileb://" + self.opts.public_key,
                         "--tag-specifications", tag_spec(("key-pair",), self.tags))
            answer = self.aws.ec2(region, "create-security-group", "--group-name", name,
                                  "--description", f"gaia job {self.opts.job} run {self.run_id}",
                                  "--tag-specifications", tag_spec(("security-group",), self.tags))
            groups[region] = answer["GroupId"]
        for plan in self.opts.fleet:
            tags = dict(self.tags, Name=f"gaia-{self.opts.job}-{plan.dc}", **{"gaia:dc": plan.dc})
            answer = self.aws.ec2(
                plan.aws_region, "run-instances", "--image-id", amis[plan.aws_region],
                "--instance-type", self.opts.instance_type, "--count", plan.count,
                "--key-name", name, "--security-group-ids", groups[plan.aws_region],
                "--instance-initiated-shutdown-behavior", "terminate",
                "--user-data", "file://" + user_data_path,
                "--client-token", f"{self.run_id}-{plan.dc}"[:64],
                "--tag-specifications",
                tag_spec(("instance", "volume"), tags))
            ids = [i["InstanceId"] for i in answer["Instances"]]
            launched.setdefault(plan.aws_region, []).extend(ids)
            by_dc[plan.dc] = ids
            self.log(f"[{plan.aws_region}] DC {plan.dc}: launched {' '.join(ids)}")
        hosts = wait_running(self.aws, launched, self.opts, self.log)
        for region, group_id in groups.items():
            open_group(self.aws, region, group_id, self.opts, hosts)
        address = {h[0]: h[1] for hs in hosts.values() for h in hs}
        return [(plan.dc, [(address[i], self.opts.ssh_user, 22) for i in by_dc[plan.dc]])
                for plan in self.opts.fleet]


class SignalGate:
    """The first SIGINT/SIGTERM interrupts `up`; later ones only say teardown is running,
    so a second Ctrl-C cannot cut the teardown short."""

    def __init__(self, log):
        self.log = log
        self.fired = False

    def __call__(self, signum, frame):
        if self.fired:
            self.log(f"{signal.Signals(signum).name}: teardown in progress; it will finish")
            return
        self.fired = True
        raise Interrupted(signum)

    def close(self):
        """Called once teardown starts: from now on, no signal interrupts."""
        self.fired = True


def up(aws, teardown, opts, log):
    """Returns the exit code: 0 up; 2 refused before anything was made; 1 failed, 128+N
    interrupted by signal N (both after deleting what had been made)."""
    try:
        check_cost(opts, log)
        if not opts.ssh_from:
            opts.ssh_from = [my_address()]
        check_group_rules(opts)
        with open(opts.public_key, encoding="utf-8") as f:
            if not f.read(64).startswith(("ssh-", "ecdsa-")):
                raise UpError(f"{opts.public_key}: not an OpenSSH public key")
    except (UpError, cost.PriceError, OSError) as err:
        log(f"error: {err}")
        return 2
    run_id = opts.run_id or runs.new_run_id(datetime.datetime.now(datetime.timezone.utc))
    log(f"run id {run_id}")
    fleet = Fleet(aws, opts, run_id, log)
    gate = SignalGate(log)
    previous = {s: signal.signal(s, gate) for s in (signal.SIGINT, signal.SIGTERM)}
    code = 1
    try:
        with tempfile.TemporaryDirectory(prefix="gaia-ec2-") as tmp:
            user_data_path = os.path.join(tmp, "user-data.sh")
            with open(user_data_path, "w", encoding="utf-8") as f:
                f.write(userdata.ttl_user_data(run_id, opts.ttl_s))
            amis = {r: lookup_ami(aws, r, opts.arch) for r in fleet_mod.aws_regions(opts.fleet)}
            hosts_by_dc = fleet.create(amis, user_data_path)
            inventory.write(opts.inventory_path,
                            inventory.render(opts.job, run_id, list(amis), hosts_by_dc))
        gate.close()  # up: a signal from now on must not delete the fleet
        code = 0
        log(f"up: run {run_id}; inventory {opts.inventory_path}; end it with: "
            f"gaia-ec2 down --inventory {opts.inventory_path}")
        return 0
    except Interrupted as err:
        gate.close()
        log(f"interrupted ({err}): deleting run {run_id}")
        code = 128 + err.signum
    except (UpError, AwsError, OSError) as err:
        gate.close()
        log(f"error: {err}; deleting run {run_id}")
    finally:
        gate.close()
        if code != 0:
            if os.path.exists(opts.inventory_path):
                with open(opts.inventory_path, encoding="utf-8") as f:
                    ours = f"run id {run_id}\n" in f.readline()
                if ours:  # written just before the interrupt: its hosts are going away
                    os.remove(opts.inventory_path)
            problems = teardown.run(run_id, fleet.touched)
            for problem in problems:
                log(f"teardown: {problem}")
            if problems:
                log(f"something of run {run_id} may be left; run: gaia-ec2 down --run-id "
                    f"{run_id} --region {' --region '.join(fleet.touched)}")
            else:
                log(f"run {run_id}: nothing left")
        for s, handler in previous.items():
            signal.signal(s, handler)
    return code
