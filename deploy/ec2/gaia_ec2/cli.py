"""gaia-ec2's command line: flags are read here only, then passed down as options."""

import argparse
import datetime
import os
import sys

from gaia_ec2 import cost, fleet, inventory, matrix, regions, runs, sweep, up
from gaia_ec2.aws import AwsCli, AwsError
from gaia_ec2.teardown import Teardown

DESCRIPTION = """A Gaia job's fleet on Amazon EC2 (docs/DEPLOY.md).
  up        start hosts for each DC in its region; writes the inventory for `gaia launch`
  down      delete one run's instances, security groups and key pairs
  sweep     delete every gaia run older than --older-than in the regions given
  estimate  print the fleet's cost per hour (no AWS call)
  matrix    measure RTT and bandwidth between the fleet's DCs; write a link-matrix CSV"""


def log(message):
    print(f"gaia-ec2: {message}", file=sys.stderr, flush=True)


def add_aws_flags(p):
    p.add_argument("--endpoint-url", help="send EC2 calls here instead of AWS (a stand-in, tests)")
    p.add_argument("--aws", help="the AWS CLI to run (default: 'aws' on PATH)")
    p.add_argument("--poll-s", type=float, default=5.0,
                   help="seconds between state checks while waiting (default 5)")
    p.add_argument("--wait-s", type=float, default=900.0,
                   help="longest wait for instances to run or end (default 900)")


def add_fleet_flags(p):
    p.add_argument("--dc", action="append", default=[], metavar="NAME=COUNT[@REGION]",
                   help="a DC and its host count; REGION (virginia or us-east-1) defaults to "
                        "NAME; repeat per DC")
    p.add_argument("--ttl", default="4h",
                   help="every instance powers off and terminates this long after boot "
                        "(default 4h; e.g. 90m, 2h, 1d)")
    p.add_argument("--prices", default=cost.default_price_file(),
                   help="price table (format: docs/COST.md; default tools/cost/ec2-2017.csv)")
    p.add_argument("--price-column", default="cpu_hour",
                   help="the table's column that prices one host-hour (default cpu_hour)")


def build_parser():
    parser = argparse.ArgumentParser(prog="gaia-ec2", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("up", help="start a job's fleet")
    p.add_argument("--job", required=True, help="the job's name (tagged on every resource)")
    add_fleet_flags(p)
    p.add_argument("--max-usd-per-hour", type=float, required=True,
                   help="refuse (creating nothing) when the estimate is higher")
    p.add_argument("--public-key", default=os.path.expanduser("~/.ssh/id_ed25519.pub"),
                   help="OpenSSH public key to import (default ~/.ssh/id_ed25519.pub)")
    p.add_argument("--inventory", help="where to write the inventory (default "
                                       "ec2-<job>-<run id>.yaml here)")
    p.add_argument("--instance-type", default="c4.xlarge", help="default c4.xlarge")
    p.add_argument("--arch", choices=sorted(up.ARCH_OF), default="amd64")
    p.add_argument("--ssh-from", action="append", default=[], metavar="CIDR",
                   help="who may ssh in (repeatable; default: this machine's public address)")
    p.add_argument("--ssh-user", default="admin", help="the image's login (Debian: admin)")
    p.add_argument("--ports", default="1024-65535",
                   help="TCP ports the job's hosts open to each other (default 1024-65535)")
    p.add_argument("--run-id", default="", help="use this run id (default: a new one)")
    p.add_argument("--max-group-rules", type=int, default=60,
                   help="inbound rules a security group may hold (AWS's quota; default 60)")
    add_aws_flags(p)

    p = sub.add_parser("down", help="delete one run")
    p.add_argument("--run-id", help="the run (printed by up; in the inventory's first line)")
    p.add_argument("--inventory", help="take the run id and regions from this inventory")
    p.add_argument("--region", action="append", default=[],
                   help="a region to clean (repeatable; default: the inventory's, else all 11)")
    add_aws_flags(p)

    p = sub.add_parser("sweep", help="delete old runs")
    p.add_argument("--older-than", required=True, help="age of runs to delete (e.g. 6h, 2d)")
    p.add_argument("--region", action="append", default=[],
                   help="a region to sweep (repeatable; default all 11)")
    p.add_argument("--dry-run", action="store_true", help="list the runs found; delete none")
    add_aws_flags(p)

    p = sub.add_parser("estimate", help="print the cost of a fleet")
    add_fleet_flags(p)

    p = sub.add_parser("matrix", help="measure the fleet's links; write a link-matrix CSV")
    p.add_argument("--inventory", required=True, help="the inventory up wrote")
    p.add_argument("--out", required=True, help="the CSV to write")
    p.add_argument("--identity-file", help="ssh -i (default: ssh's own)")
    p.add_argument("--ssh-option", action="append", default=[], help="extra ssh argument")
    p.add_argument("--port", type=int, default=5201,
                   help="probe port, within up's --ports (default 5201)")
    p.add_argument("--seconds", type=float, default=5.0, help="bulk transfer per link")
    p.add_argument("--rtt-samples", type=int, default=9, help="TCP connects per link")
    return parser


def aws_regions_of(texts):
    return [regions.resolve(t)[1] for t in texts] if texts else regions.all_codes()


def make_aws(args):
    aws = AwsCli(args.aws, args.endpoint_url, log=log)
    return aws, Teardown(aws, log, poll_s=args.poll_s, wait_s=args.wait_s)


def cmd_estimate(args):
    plans = fleet.parse_fleet(args.dc)
    ttl_s = runs.parse_duration(args.ttl, "--ttl")
    lines, total = cost.estimate(plans, cost.load_prices(args.prices), args.price_column,
                                 args.prices)
    print(cost.format_estimate(lines, total, args.price_column, ttl_s / 3600, args.prices))
    return 0


def cmd_up(args):
    opts = up.UpOptions(
        job=args.job, fleet=fleet.parse_fleet(args.dc), max_usd_per_hour=args.max_usd_per_hour,
        ttl_s=runs.parse_duration(args.ttl, "--ttl"), public_key=args.public_key,
        inventory_path="", prices_path=args.prices, price_column=args.price_column,
        instance_type=args.instance_type, arch=args.arch, ssh_from=args.ssh_from,
        ssh_user=args.ssh_user, ports=fleet.parse_ports(args.ports), run_id=args.run_id,
        max_group_rules=args.max_group_rules, poll_s=args.poll_s, wait_s=args.wait_s)
    if opts.run_id and not runs.is_run_id(opts.run_id):
        raise ValueError(f"--run-id: want YYYYMMDD-HHMMSS-xxxxxx, got '{opts.run_id}'")
    aws, teardown = make_aws(args)
    if not opts.run_id:
        opts.run_id = runs.new_run_id(datetime.datetime.now(datetime.timezone.utc))
    opts.inventory_path = args.inventory or f"ec2-{args.job}-{opts.run_id}.yaml"
    return up.up(aws, teardown, opts, log)


def cmd_down(args):
    run_id, region_codes = args.run_id, aws_regions_of(args.region)
    if args.inventory:
        run_id, listed = inventory.read_run(args.inventory)
        region_codes = aws_regions_of(args.region) if args.region else listed
    if not run_id or not runs.is_run_id(run_id):
        raise ValueError(f"--run-id: want YYYYMMDD-HHMMSS-xxxxxx, got '{run_id or ''}'")
    aws, teardown = make_aws(args)
    problems = teardown.run(run_id, region_codes)
    for problem in problems:
        log(problem)
    log(f"run {run_id}: {'something may be left (above)' if problems else 'nothing left'} "
        f"in {' '.join(region_codes)}")
    return 1 if problems else 0


def cmd_sweep(args):
    older_s = runs.parse_duration(args.older_than, "--older-than", allow_zero=True)
    aws, teardown = make_aws(args)
    problems = sweep.sweep(aws, teardown, aws_regions_of(args.region), older_s,
                           datetime.datetime.now(datetime.timezone.utc), args.dry_run, log)
    for problem in problems:
        log(problem)
    return 1 if problems else 0


def cmd_matrix(args):
    dcs = matrix.read_inventory(args.inventory)
    run_id, _ = inventory.read_run(args.inventory)
    links = matrix.measure_matrix(matrix.SshRunner(args.identity_file, args.ssh_option), dcs,
                                  args.port, args.seconds, args.rtt_samples, 30, log)
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    text = matrix.render_csv(links, [
        f"measured by gaia-ec2 matrix on run {run_id} at {now}",
        f"RTT: median of {args.rtt_samples} TCP connects; delay_ms = RTT / 2",
        f"bandwidth: one TCP stream for {args.seconds:g} s, counted by the receiver",
        "format: docs/WAN_EMULATOR.md (Link matrix and presets)"])
    inventory.write(args.out, text)
    log(f"wrote {args.out} ({len(links)} links)")
    return 0


COMMANDS = {"up": cmd_up, "down": cmd_down, "sweep": cmd_sweep, "estimate": cmd_estimate,
            "matrix": cmd_matrix}


def main(argv):
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (ValueError, OSError, AwsError, cost.PriceError, matrix.MatrixError) as err:
        log(f"error: {err}")
        return 2
    except KeyboardInterrupt:
        # up handles its own signals; down and sweep are safe to run again.
        log(f"{args.command} interrupted; run it again to finish")
        return 130
