#!/usr/bin/python3
"""A local stand-in for the EC2 API, for testing deploy/ec2 offline.

Speaks the EC2 Query protocol (form-encoded POST in, XML out) well enough for
the AWS CLI pointed at it with --endpoint-url, for the actions gaia-ec2 uses.
The region of a call is read from its SigV4 credential scope, so one server
serves every region. State: images (seeded), key pairs, security groups,
instances and their tags, per region.

Faults: a fault names an action and which calls of it go wrong (the nth, 1-based,
counted over all regions, and the count-1 after it): `error` answers each with an
error and changes nothing; `signal` sends a signal to a process (the client under
test) and then serves the call as usual, which is the worst case for an interrupt:
the resource exists but the client never learns its id.

Instances start `pending` and become `running` after `pending_describes`
DescribeInstances calls; terminated ones pass through `shutting-down` the same
way, so a client must really wait. A group still used by a live instance
cannot be deleted (DependencyViolation), as on AWS.

Standalone:  fake_ec2.py --port 0 --port-file PATH [--fault RunInstances:1:error]
Control (HTTP, same port): GET /_state returns the state and call log as JSON.
"""

import argparse
import base64
import http.server
import itertools
import json
import os
import re
import signal
import threading
import time
import urllib.parse
from xml.sax.saxutils import escape

NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/"
DEBIAN_OWNER = "136693071363"
ACCOUNT = "123456789012"
LIVE_STATES = ("pending", "running", "stopping", "stopped", "shutting-down")
STATE_CODES = {"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48}
# Actions that create something; a request refused before it starts must record none.
CREATING_ACTIONS = ("ImportKeyPair", "CreateSecurityGroup", "RunInstances",
                    "AuthorizeSecurityGroupIngress", "CreateTags")


class Ec2Error(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def unflatten(params):
    """Query parameters (Filter.1.Value.2=x) to nested dicts; lists stay dicts by index."""
    root = {}
    for key, value in params.items():
        node = root
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return root


def as_list(node):
    """A flattened list ({"1": a, "2": b}) in index order; absent = []."""
    if not node:
        return []
    return [node[k] for k in sorted(node, key=int)]


def tags_of(params, resource_type):
    tags = {}
    for spec in as_list(params.get("TagSpecification")):
        if spec.get("ResourceType") == resource_type:
            for tag in as_list(spec.get("Tag")):
                tags[tag["Key"]] = tag.get("Value", "")
    return tags


def glob_match(pattern, value):
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value) is not None


def matches(filters, fields, tags):
    """EC2 filter semantics: all filters must hold; any value of one filter may match."""
    for flt in filters:
        name = flt["Name"]
        values = as_list(flt.get("Value"))
        if name.startswith("tag:"):
            have = [tags[name[4:]]] if name[4:] in tags else []
        elif name == "tag-key":
            have = list(tags)
        else:
            have = [fields[name]] if name in fields else []
        if not any(glob_match(v, h) for v in values for h in have):
            return False
    return True


def xml_tags(tags):
    items = "".join(f"<item><key>{escape(k)}</key><value>{escape(v)}</value></item>"
                    for k, v in sorted(tags.items()))
    return f"<tagSet>{items}</tagSet>"


class Region:
    def __init__(self, name, index):
        self.name = name
        self.index = index
        self.key_pairs = {}   # name -> dict
        self.groups = {}      # id -> dict
        self.instances = {}   # id -> dict
        self.images = [
            {"id": f"ami-deb12a{index:04x}", "name": "debian-12-amd64-20260101-1600",
             "owner": DEBIAN_OWNER, "arch": "x86_64", "date": "2026-01-01T16:00:00.000Z"},
            {"id": f"ami-deb12b{index:04x}", "name": "debian-12-amd64-20261101-2000",
             "owner": DEBIAN_OWNER, "arch": "x86_64", "date": "2026-11-01T20:00:00.000Z"},
            {"id": f"ami-deb12c{index:04x}", "name": "debian-12-arm64-20261201-2000",
             "owner": DEBIAN_OWNER, "arch": "arm64", "date": "2026-12-01T20:00:00.000Z"},
            {"id": f"ami-other{index:04x}", "name": "debian-12-amd64-20261205-0000",
             "owner": "999999999999", "arch": "x86_64", "date": "2026-12-05T00:00:00.000Z"},
        ]


class FakeEc2:
    """The state and the actions. Thread-safe: one lock around every call."""

    def __init__(self, pending_describes=1):
        self.lock = threading.Lock()
        self.regions = {}
        self.calls = []          # (region, action, outcome)
        self.counts = {}         # action -> calls so far
        self.faults = []         # dicts: action, nth, kind, [pid, signum]
        self.pending_describes = pending_describes
        self.ids = itertools.count(1)
        self.ips = itertools.count(1)

    # --- control -----------------------------------------------------------
    def add_fault(self, action, nth, kind="error", pid=None, signum=signal.SIGINT, count=1):
        """Calls nth .. nth+count-1 of `action` fail (error) or signal `pid` (signal)."""
        with self.lock:
            self.faults.append({"action": action, "nth": nth, "count": count, "kind": kind,
                                "pid": pid, "signum": int(signum)})

    def live(self):
        """Every resource that still exists (terminated instances do not count)."""
        with self.lock:
            out = []
            for r in self.regions.values():
                out += [(r.name, "key-pair", k) for k in r.key_pairs]
                out += [(r.name, "security-group", g) for g in r.groups]
                out += [(r.name, "instance", i) for i, inst in r.instances.items()
                        if inst["state"] != "terminated"]
            return sorted(out)

    def snapshot(self):
        with self.lock:
            regions = {}
            for r in self.regions.values():
                regions[r.name] = {
                    "key_pairs": r.key_pairs, "groups": r.groups,
                    "instances": {i: {k: v for k, v in inst.items()}
                                  for i, inst in r.instances.items()}}
            return {"regions": regions, "calls": list(self.calls)}

    def creating_calls(self):
        with self.lock:
            return [c for c in self.calls if c[1] in CREATING_ACTIONS]

    # --- dispatch ----------------------------------------------------------
    def handle(self, region_name, params):
        action = params.get("Action", "")
        with self.lock:
            self.counts[action] = self.counts.get(action, 0) + 1
            nth = self.counts[action]
            for fault in self.faults:
                if fault["action"] == action and 0 <= nth - fault["nth"] < fault["count"]:
                    if fault["kind"] == "error":
                        self.calls.append((region_name, action, "fault"))
                        raise Ec2Error("InjectedFault", f"injected fault: {action} call {nth}")
                    os.kill(fault["pid"], fault["signum"])
            region = self.regions.get(region_name)
            if region is None:
                region = self.regions[region_name] = Region(region_name, len(self.regions))
            method = getattr(self, "do_" + action, None)
            if method is None:
                self.calls.append((region_name, action, "unsupported"))
                raise Ec2Error("InvalidAction", f"the stand-in does not serve {action}")
            try:
                body = method(region, unflatten(params))
            except Ec2Error:
                self.calls.append((region_name, action, "error"))
                raise
            self.calls.append((region_name, action, "ok"))
            return (f'<?xml version="1.0" encoding="UTF-8"?><{action}Response xmlns="{NAMESPACE}">'
                    f"<requestId>req-{next(self.ids)}</requestId>{body}</{action}Response>")

    def new_id(self, prefix):
        return f"{prefix}-{next(self.ids):017x}"

    # --- images ------------------------------------------------------------
    def do_DescribeImages(self, region, p):
        owners = as_list(p.get("Owner"))
        filters = as_list(p.get("Filter"))
        items = ""
        for img in region.images:
            if owners and img["owner"] not in owners:
                continue
            fields = {"name": img["name"], "architecture": img["arch"], "state": "available",
                      "owner-id": img["owner"]}
            if not matches(filters, fields, {}):
                continue
            items += (f"<item><imageId>{img['id']}</imageId><name>{img['name']}</name>"
                      f"<imageOwnerId>{img['owner']}</imageOwnerId>"
                      f"<creationDate>{img['date']}</creationDate>"
                      f"<architecture>{img['arch']}</architecture>"
                      f"<imageState>available</imageState></item>")
        return f"<imagesSet>{items}</imagesSet>"

    # --- key pairs ---------------------------------------------------------
    def do_ImportKeyPair(self, region, p):
        name = p.get("KeyName", "")
        if name in region.key_pairs:
            raise Ec2Error("InvalidKeyPair.Duplicate", f"The keypair '{name}' already exists.")
        material = base64.b64decode(p.get("PublicKeyMaterial", ""))
        if not material.startswith((b"ssh-", b"ecdsa-")):
            raise Ec2Error("InvalidKey.Format", "Key is not in valid OpenSSH public key format")
        key = {"id": self.new_id("key"), "fingerprint": "fp:" + str(len(material)),
               "tags": tags_of(p, "key-pair"), "material": material.decode()}
        region.key_pairs[name] = key
        return (f"<keyName>{escape(name)}</keyName><keyPairId>{key['id']}</keyPairId>"
                f"<keyFingerprint>{key['fingerprint']}</keyFingerprint>{xml_tags(key['tags'])}")

    def key_items(self, region, p):
        names = as_list(p.get("KeyName"))
        filters = as_list(p.get("Filter"))
        for name, key in sorted(region.key_pairs.items()):
            if names and name not in names:
                continue
            if matches(filters, {"key-name": name, "key-pair-id": key["id"]}, key["tags"]):
                yield name, key

    def do_DescribeKeyPairs(self, region, p):
        items = "".join(f"<item><keyPairId>{k['id']}</keyPairId><keyName>{escape(n)}</keyName>"
                        f"<keyFingerprint>{k['fingerprint']}</keyFingerprint>"
                        f"{xml_tags(k['tags'])}</item>" for n, k in self.key_items(region, p))
        return f"<keySet>{items}</keySet>"

    def do_DeleteKeyPair(self, region, p):
        region.key_pairs.pop(p.get("KeyName", ""), None)  # as on AWS: absent is fine
        return "<return>true</return>"

    # --- security groups ---------------------------------------------------
    def do_CreateSecurityGroup(self, region, p):
        name = p.get("GroupName", "")
        if any(g["name"] == name for g in region.groups.values()):
            raise Ec2Error("InvalidGroup.Duplicate", f"The security group '{name}' already exists")
        gid = self.new_id("sg")
        region.groups[gid] = {"name": name, "description": p.get("GroupDescription", ""),
                              "tags": tags_of(p, "security-group"), "ingress": []}
        tags = xml_tags(region.groups[gid]["tags"])
        return f"<return>true</return><groupId>{gid}</groupId>{tags}"

    def group(self, region, p):
        gid = p.get("GroupId")
        if gid not in region.groups:
            raise Ec2Error("InvalidGroup.NotFound", f"The security group '{gid}' does not exist")
        return gid, region.groups[gid]

    def do_AuthorizeSecurityGroupIngress(self, region, p):
        _, grp = self.group(region, p)
        rules = []
        for perm in as_list(p.get("IpPermissions")):
            for rng in as_list(perm.get("IpRanges")):
                rules.append({"protocol": perm.get("IpProtocol"),
                              "from": int(perm.get("FromPort", -1)),
                              "to": int(perm.get("ToPort", -1)), "cidr": rng["CidrIp"]})
        if not rules:
            raise Ec2Error("MissingParameter", "no IpPermissions with IpRanges")
        grp["ingress"] += rules
        return "<return>true</return>"

    def do_DescribeSecurityGroups(self, region, p):
        ids = as_list(p.get("GroupId"))
        filters = as_list(p.get("Filter"))
        items = ""
        for gid, g in sorted(region.groups.items()):
            if ids and gid not in ids:
                continue
            if not matches(filters, {"group-name": g["name"], "group-id": gid}, g["tags"]):
                continue
            perms = "".join(
                f"<item><ipProtocol>{r['protocol']}</ipProtocol><fromPort>{r['from']}</fromPort>"
                f"<toPort>{r['to']}</toPort><ipRanges><item><cidrIp>{r['cidr']}</cidrIp></item>"
                f"</ipRanges></item>" for r in g["ingress"])
            items += (f"<item><ownerId>{ACCOUNT}</ownerId><groupId>{gid}</groupId>"
                      f"<groupName>{escape(g['name'])}</groupName>"
                      f"<groupDescription>{escape(g['description'])}</groupDescription>"
                      f"<vpcId>vpc-default</vpcId><ipPermissions>{perms}</ipPermissions>"
                      f"{xml_tags(g['tags'])}</item>")
        return f"<securityGroupInfo>{items}</securityGroupInfo>"

    def do_DeleteSecurityGroup(self, region, p):
        gid, _ = self.group(region, p)
        for iid, inst in region.instances.items():
            if gid in inst["groups"] and inst["state"] != "terminated":
                raise Ec2Error("DependencyViolation",
                               f"resource {gid} has a dependent object ({iid})")
        del region.groups[gid]
        return "<return>true</return>"

    # --- instances ---------------------------------------------------------
    def do_RunInstances(self, region, p):
        image = p.get("ImageId")
        if not any(img["id"] == image for img in region.images):
            raise Ec2Error("InvalidAMIID.NotFound", f"The image id '[{image}]' does not exist")
        key = p.get("KeyName")
        if key and key not in region.key_pairs:
            raise Ec2Error("InvalidKeyPair.NotFound", f"The key pair '{key}' does not exist")
        groups = as_list(p.get("SecurityGroupId"))
        for gid in groups:
            self.group(region, {"GroupId": gid})
        count = int(p.get("MaxCount", "1"))
        if int(p.get("MinCount", "1")) > count or count < 1:
            raise Ec2Error("InvalidParameterValue", "MinCount and MaxCount")
        tags = tags_of(p, "instance")
        user_data = base64.b64decode(p.get("UserData", "")).decode(errors="replace")
        reservation = self.new_id("r")
        items = ""
        for _ in range(count):
            iid = self.new_id("i")
            n = next(self.ips)
            inst = {"image": image, "type": p.get("InstanceType", "m1.small"), "key": key,
                    "groups": groups, "tags": dict(tags), "state": "pending",
                    "describes_left": self.pending_describes, "user_data": user_data,
                    "shutdown_behavior": p.get("InstanceInitiatedShutdownBehavior", "stop"),
                    "public_ip": f"198.51.{region.index}.{n}",
                    "private_ip": f"172.31.{region.index}.{n}", "reservation": reservation}
            region.instances[iid] = inst
            items += self.instance_xml(region, iid, inst)
        return (f"<reservationId>{reservation}</reservationId><ownerId>{ACCOUNT}</ownerId>"
                f"<groupSet/><instancesSet>{items}</instancesSet>")

    def instance_xml(self, region, iid, inst):
        public = f"<ipAddress>{inst['public_ip']}</ipAddress>" if inst["state"] == "running" else ""
        groups = "".join(f"<item><groupId>{g}</groupId></item>" for g in inst["groups"])
        return (f"<item><instanceId>{iid}</instanceId><imageId>{inst['image']}</imageId>"
                f"<instanceState><code>{STATE_CODES.get(inst['state'], 0)}</code>"
                f"<name>{inst['state']}</name></instanceState>"
                f"<privateIpAddress>{inst['private_ip']}</privateIpAddress>{public}"
                f"<keyName>{inst['key'] or ''}</keyName><instanceType>{inst['type']}</instanceType>"
                f"<placement><availabilityZone>{region.name}a</availabilityZone></placement>"
                f"<groupSet>{groups}</groupSet>{xml_tags(inst['tags'])}</item>")

    def check_instances(self, region, ids):
        for iid in ids:
            if iid not in region.instances:
                raise Ec2Error("InvalidInstanceID.NotFound", f"The instance '{iid}' does not exist")

    def advance(self, inst):
        if inst["state"] in ("pending", "shutting-down"):
            if inst["describes_left"] > 0:
                inst["describes_left"] -= 1
            else:
                inst["state"] = "running" if inst["state"] == "pending" else "terminated"

    def do_DescribeInstances(self, region, p):
        ids = as_list(p.get("InstanceId"))
        filters = as_list(p.get("Filter"))
        self.check_instances(region, ids)
        by_reservation = {}
        for iid, inst in sorted(region.instances.items()):
            if ids and iid not in ids:
                continue
            self.advance(inst)
            fields = {"instance-state-name": inst["state"], "instance-id": iid,
                      "image-id": inst["image"]}
            if matches(filters, fields, inst["tags"]):
                by_reservation.setdefault(inst["reservation"], []).append(
                    self.instance_xml(region, iid, inst))
        items = "".join(f"<item><reservationId>{r}</reservationId><ownerId>{ACCOUNT}</ownerId>"
                        f"<instancesSet>{''.join(xs)}</instancesSet></item>"
                        for r, xs in by_reservation.items())
        return f"<reservationSet>{items}</reservationSet>"

    def do_TerminateInstances(self, region, p):
        ids = as_list(p.get("InstanceId"))
        self.check_instances(region, ids)
        items = ""
        for iid in ids:
            inst = region.instances[iid]
            before = inst["state"]
            if before != "terminated":
                inst["state"] = "shutting-down"
                inst["describes_left"] = self.pending_describes
            items += (f"<item><instanceId>{iid}</instanceId><currentState><code>"
                      f"{STATE_CODES[inst['state']]}</code><name>{inst['state']}</name>"
                      f"</currentState><previousState><code>{STATE_CODES.get(before, 0)}</code>"
                      f"<name>{before}</name></previousState></item>")
        return f"<instancesSet>{items}</instancesSet>"


def region_of(headers):
    match = re.search(r"Credential=[^/]+/\d{8}/([^/]+)/ec2/", headers.get("Authorization", ""))
    return match.group(1) if match else "us-east-1"


def make_handler(fake):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def reply(self, status, body, content_type="text/xml"):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client was interrupted; the call still happened

        def do_GET(self):
            if self.path == "/_state":
                self.reply(200, json.dumps({"state": fake.snapshot(), "live": fake.live()}),
                           "application/json")
            else:
                self.reply(404, "not found", "text/plain")

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            params = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode(),
                                                 keep_blank_values=True))
            try:
                self.reply(200, fake.handle(region_of(self.headers), params))
            except Ec2Error as err:
                self.reply(400, '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error>'
                           f"<Code>{err.code}</Code><Message>{escape(err.message)}</Message>"
                           "</Error></Errors><RequestID>req-error</RequestID></Response>")

    return Handler


class Server:
    """The stand-in on 127.0.0.1:<port> in a thread; one request at a time, in arrival order."""

    def __init__(self, fake, port=0):
        self.fake = fake
        self.httpd = http.server.HTTPServer(("127.0.0.1", port), make_handler(fake))
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", help="write the port here once listening")
    parser.add_argument("--fault", action="append", default=[],
                        help="ACTION:NTH[:COUNT]:error or ACTION:NTH:signal:PID[:SIGNUM]")
    args = parser.parse_args()
    fake = FakeEc2()
    for spec in args.fault:
        parts = spec.split(":")
        if parts[2] == "signal":
            fake.add_fault(parts[0], int(parts[1]), "signal", int(parts[3]),
                           int(parts[4]) if len(parts) > 4 else signal.SIGINT)
        else:
            fake.add_fault(parts[0], int(parts[1]), count=int(parts[2]) if len(parts) > 3 else 1)
    with Server(fake, args.port) as server:
        if args.port_file:
            with open(args.port_file + ".tmp", "w") as f:
                f.write(str(server.httpd.server_address[1]))
            os.replace(args.port_file + ".tmp", args.port_file)
        print(f"fake EC2 at {server.url}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
