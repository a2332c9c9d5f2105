"""`matrix`: measures RTT and bandwidth between the fleet's DCs and writes a link matrix.

For every ordered pair of DCs (from, to), the first host of `to` runs the probe's server and
the first host of `from` measures against it over the job's ports (probe.py, sent over ssh).
The CSV is the WAN emulator's link-matrix format (docs/WAN_EMULATOR.md, "Link matrix and
presets"), so a real fleet's numbers can drive an emulated run: delay_ms is one way (RTT/2).
"""

import json
import math
import os
import re
import subprocess
import sys

HEADER = "from,to,bandwidth_mbps,delay_ms"
HOST_RE = re.compile(r"^    - \{address: ([^,}\s]+), ssh_user: ([^,}\s]+)(?:, ssh_port: (\d+))?\}$")
DC_RE = re.compile(r'^  "?([A-Za-z0-9_-]+)"?:$')
PROBE_PATH = os.path.join(os.path.dirname(os.path.realpath(__file__)), "probe.py")


class MatrixError(RuntimeError):
    pass


def read_inventory(path):
    """[(dc, [(address, ssh_user, ssh_port)])] from an inventory gaia-ec2 up wrote."""
    dcs = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#") or line == "dcs:":
                continue
            dc, host = DC_RE.match(line), HOST_RE.match(line)
            if dc:
                dcs.append((dc.group(1), []))
            elif host and dcs:
                dcs[-1][1].append((host.group(1), host.group(2), int(host.group(3) or 22)))
            else:
                raise MatrixError(f"{path}:{number}: line: not in the inventory format "
                                  f"gaia-ec2 up writes: '{line}'")
    for dc, hosts in dcs:
        if not hosts:
            raise MatrixError(f"{path}: DC {dc}: no hosts")
    if len(dcs) < 2:
        raise MatrixError(f"{path}: want at least 2 DCs for a link matrix, got {len(dcs)}")
    return dcs


class SshRunner:
    """Runs the probe on a host with the system's ssh: keys only, host keys checked."""

    def __init__(self, identity_file=None, options=()):
        self.identity_file = identity_file
        self.options = list(options)

    def argv(self, host, args):
        address, user, port = host
        argv = ["ssh", "-o", "BatchMode=yes", "-p", str(port)]
        if self.identity_file:
            argv += ["-i", self.identity_file]
        return argv + self.options + [f"{user}@{address}", "python3", "-"] + list(args)


class LocalRunner:
    """Runs the probe on this machine, for hosts that are all this machine (tests)."""

    def argv(self, host, args):
        return [sys.executable, "-"] + list(args)


def start_probe(runner, host, args):
    return subprocess.Popen(runner.argv(host, args), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def measure_pair(runner, src, dst, port, seconds, rtt_samples, timeout_s):
    """{"rtt_ms", "bandwidth_mbps", ...} from src to dst (hosts as in read_inventory)."""
    with open(PROBE_PATH, encoding="utf-8") as f:
        program = f.read()
    link = f"{src[0]} -> {dst[0]}"
    server = start_probe(runner, dst, ["serve", "--port", str(port),
                                       "--timeout-s", str(timeout_s)])
    try:
        server.stdin.write(program)
        server.stdin.close()
        client = start_probe(runner, src, [
            "measure", "--host", dst[0], "--port", str(port), "--seconds", str(seconds),
            "--rtt-samples", str(rtt_samples), "--timeout-s", str(timeout_s)])
        try:
            out, err = client.communicate(program, timeout=2 * timeout_s + seconds + 10)
        finally:
            if client.poll() is None:
                client.kill()
                client.communicate()
        if client.returncode != 0:
            raise MatrixError(f"{link}: probe failed: {err.strip()[-300:]}")
        server.wait(timeout=timeout_s)
        return json.loads(out.strip().splitlines()[-1])
    except subprocess.TimeoutExpired as exc:
        raise MatrixError(f"{link}: no result in {exc.timeout:g} s") from exc
    except (BrokenPipeError, ValueError, IndexError) as exc:
        raise MatrixError(f"{link}: probe failed: {exc}") from exc
    finally:
        if server.poll() is None:
            server.kill()
        server.wait()
        server.stdout.close()
        server.stderr.close()


def measure_matrix(runner, dcs, port, seconds, rtt_samples, timeout_s, log):
    links = []
    for src_dc, src_hosts in dcs:
        for dst_dc, dst_hosts in dcs:
            if src_dc == dst_dc:
                continue
            got = measure_pair(runner, src_hosts[0], dst_hosts[0], port, seconds, rtt_samples,
                               timeout_s)
            log(f"{src_dc} -> {dst_dc}: RTT {got['rtt_ms']:.2f} ms, "
                f"{got['bandwidth_mbps']:.1f} Mbit/s")
            links.append((src_dc, dst_dc, got["bandwidth_mbps"], got["rtt_ms"] / 2))
    return links


def format_number(value):
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text if float(text) > 0 or value == 0 else f"{value:.6g}"


def render_csv(links, comment_lines):
    """The link-matrix text; MatrixError for a link the WAN emulator would refuse."""
    out = [f"# {c}" for c in comment_lines] + [HEADER]
    seen = set()
    for src, dst, bandwidth_mbps, delay_ms in links:
        if src == dst or (src, dst) in seen:
            raise MatrixError(f"link {src}->{dst}: a self link or given twice")
        seen.add((src, dst))
        if not (math.isfinite(bandwidth_mbps) and 0 < bandwidth_mbps <= 1e6):
            raise MatrixError(f"link {src}->{dst}: bandwidth_mbps {bandwidth_mbps} not in (0, 1e6]")
        if not (math.isfinite(delay_ms) and 0 <= delay_ms <= 600000):
            raise MatrixError(f"link {src}->{dst}: delay_ms {delay_ms} not in [0, 600000]")
        out.append(f"{src},{dst},{format_number(bandwidth_mbps)},{format_number(delay_ms)}")
    return "\n".join(out) + "\n"
