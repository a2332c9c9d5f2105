#!/usr/bin/env python3
"""Generates the EC2 link-matrix presets (ec2-11.csv, vc-2dc.csv, ss-2dc.csv).

Delays: one way = RTT / 2, from a public table of average round-trip times
between AWS regions (below). Bandwidth: the thesis (Hsieh, "Gaia", §5.1.1)
gives only ratios, so it is modelled as

    bandwidth = A * RTT^(-p), clamped to [LAN / 60, 12 * LAN / 60]

with LAN = 1000 Mbit/s, A such that the pair with the largest RTT
(singapore <-> sao-paulo) gets exactly LAN / 60, and p solved by bisection so
that the mean over the 55 region pairs is LAN / 15.

Usage: make_ec2_presets.py [--check]
  writes the three files beside this script and prints the achieved ratios;
  with --check, writes nothing and exits 1 if a file differs from what it
  would write.
"""

import decimal
import os
import sys

LAN_MBPS = 1000.0
MEAN_RATIO = 15.0       # thesis §5.1.1: WAN bandwidth is 15x below LAN on average
WORST_RATIO = 60.0      # ... and 60x below between Singapore and Sao Paulo
CLOSE_OVER_WORST = 12.0  # ... and close pairs get up to 12x the worst pair

REGIONS = [
    "virginia", "california", "oregon", "ireland", "frankfurt", "tokyo",
    "seoul", "singapore", "sydney", "mumbai", "sao-paulo",
]

# Average round-trip time in ms, one entry per unordered pair. All pairs
# without mumbai: "Latency Between AWS Global Regions" (2017), as tabulated at
# acomputerscientistlearnsaws.blogspot.com/2017/04/aws-regions.html, averaged
# over both directions where the two measurements differ.
RTT_TABLE = {
    "virginia": {"california": 72.7, "oregon": 87.0, "ireland": 80.5,
                 "frankfurt": 88.6, "tokyo": 145.3, "seoul": 177.5,
                 "singapore": 216.7, "sydney": 229.9, "sao-paulo": 119.5},
    "california": {"oregon": 19.3, "ireland": 153.2, "frankfurt": 166.6,
                   "tokyo": 102.5, "seoul": 132.0, "singapore": 174.0,
                   "sydney": 157.7, "sao-paulo": 192.7},
    "oregon": {"ireland": 137.0, "frankfurt": 159.5, "tokyo": 89.1,
               "seoul": 118.2, "singapore": 161.4, "sydney": 162.0,
               "sao-paulo": 182.7},
    "ireland": {"frankfurt": 19.6, "tokyo": 212.4, "seoul": 242.4,
                "singapore": 238.5, "sydney": 309.6, "sao-paulo": 191.3},
    "frankfurt": {"tokyo": 236.5, "seoul": 265.7, "singapore": 325.9,
                  "sydney": 323.3, "sao-paulo": 194.9},
    "tokyo": {"seoul": 31.4, "singapore": 73.8, "sydney": 103.9,
              "sao-paulo": 256.8},
    "seoul": {"singapore": 71.6, "sydney": 134.0, "sao-paulo": 286.3},
    "singapore": {"sydney": 175.3, "sao-paulo": 328.1},
    "sydney": {"sao-paulo": 322.5},
    # Not in the 2017 table: approximate public median RTTs from current
    # inter-region latency dashboards; less precise than the rows above.
    "mumbai": {"virginia": 187.0, "california": 233.0, "oregon": 220.0,
               "ireland": 122.0, "frankfurt": 113.0, "tokyo": 128.0,
               "seoul": 141.0, "singapore": 59.0, "sydney": 148.0,
               "sao-paulo": 300.0},
}

SOURCES = """\
# Sources:
#   Delays: one-way delay = RTT / 2 (rounded to 0.1 ms). RTTs between the ten
#     regions other than mumbai: average inter-region round-trip times from
#     "Latency Between AWS Global Regions" (2017), as tabulated at
#     acomputerscientistlearnsaws.blogspot.com/2017/04/aws-regions.html
#     (where the two directions differ, their average). RTTs to mumbai are not
#     in that table: they are approximate public median values from
#     inter-region latency dashboards, and less precise.
#   Bandwidth: a model, not a measurement. The Gaia thesis (section 5.1.1)
#     states only ratios for EC2 (Figure 5.1 is a plot): WAN bandwidth is on
#     average 15x below LAN, 60x below between Singapore and Sao Paulo, and
#     close pairs get up to 12x the bandwidth of the worst pair. Here
#     LAN = {lan:g} Mbit/s and
#       bandwidth = A * RTT^(-p), clamped to [{lo:.4g}, {hi:.4g}] Mbit/s,
#     A chosen so that singapore<->sao-paulo (the largest RTT) gets exactly
#     LAN/60 = {lo:.4g} Mbit/s, and p = {p:.6f} solved by bisection so that the
#     mean over the 55 region pairs is LAN/15 = {mean:.4g} Mbit/s.
#     Rounded to 0.1 Mbit/s.
"""


def rtt(a, b):
    if b in RTT_TABLE.get(a, {}):
        return RTT_TABLE[a][b]
    return RTT_TABLE[b][a]


def unordered_pairs(regions):
    return [(a, b) for i, a in enumerate(regions) for b in regions[i + 1:]]


def round_tenth(value):
    """Rounds half up to 0.1 (decimal, so that 36.35 becomes 36.4)."""
    d = decimal.Decimal(repr(value)).quantize(decimal.Decimal("0.1"),
                                              rounding=decimal.ROUND_HALF_UP)
    return f"{d:.1f}"


def bandwidth_model(p, rtt_max):
    lo = LAN_MBPS / WORST_RATIO
    hi = CLOSE_OVER_WORST * lo

    def bandwidth(rtt_ms):
        return min(hi, max(lo, lo * (rtt_max / rtt_ms) ** p))
    return bandwidth


def mean_bandwidth(p, pairs, rtt_max):
    bw = bandwidth_model(p, rtt_max)
    return sum(bw(rtt(a, b)) for a, b in pairs) / len(pairs)


def solve_p(pairs, rtt_max):
    target = LAN_MBPS / MEAN_RATIO
    lo, hi = 0.0, 20.0  # the mean rises with p (every RTT <= rtt_max)
    assert mean_bandwidth(lo, pairs, rtt_max) < target < mean_bandwidth(hi, pairs, rtt_max)
    for _ in range(200):
        mid = (lo + hi) / 2
        if mean_bandwidth(mid, pairs, rtt_max) < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def csv_lines(regions, bw):
    lines = ["from,to,bandwidth_mbps,delay_ms"]
    for a in regions:
        for b in regions:
            if a == b:
                continue
            r = rtt(a, b)
            lines.append(f"{a},{b},{round_tenth(bw(r))},{round_tenth(r / 2)}")
    return lines


def header(title, p):
    lo = LAN_MBPS / WORST_RATIO
    text = f"# {title}\n#\n" + SOURCES.format(
        lan=LAN_MBPS, lo=lo, hi=CLOSE_OVER_WORST * lo, p=p,
        mean=LAN_MBPS / MEAN_RATIO)
    text += ("#\n# Format: docs/WAN_EMULATOR.md (\"Link matrix and presets\"); "
             "bandwidth in Mbit/s,\n# delay one way in ms, one line per "
             "directed pair.\n")
    text += "# generated by make_ec2_presets.py; do not edit by hand.\n"
    return text


def main(argv):
    check = argv[1:] == ["--check"]
    if argv[1:] and not check:
        print(__doc__, file=sys.stderr)
        return 2
    for a, row in RTT_TABLE.items():
        for b in row:
            assert a in REGIONS and b in REGIONS and a != b, (a, b)
    pairs = unordered_pairs(REGIONS)
    for a, b in pairs:
        rtt(a, b)  # every pair has an RTT
    assert len(pairs) == 55
    rtt_max = max(rtt(a, b) for a, b in pairs)
    assert rtt("singapore", "sao-paulo") == rtt_max

    p = solve_p(pairs, rtt_max)
    bw = bandwidth_model(p, rtt_max)

    rounded = [float(round_tenth(bw(rtt(a, b)))) for a, b in pairs]
    mean = sum(rounded) / len(rounded)
    print(f"p = {p:.6f}")
    print(f"mean bandwidth {mean:.2f} Mbit/s = LAN / {LAN_MBPS / mean:.3f} (target 15)")
    print(f"min {min(rounded):.1f} Mbit/s = LAN / {LAN_MBPS / min(rounded):.3f} (target 60)")
    print(f"max {max(rounded):.1f} Mbit/s = {max(rounded) / min(rounded):.3f} x min (limit 12)")

    ec2_lines = csv_lines(REGIONS, bw)
    files = {
        "ec2-11.csv": header(
            "ec2-11: the 11 EC2 regions of the Gaia thesis (section 5.1.1):\n# "
            + ", ".join(REGIONS) + ".", p) + "\n".join(ec2_lines) + "\n",
    }
    for name, a, b, title in [
            ("vc-2dc.csv", "virginia", "california",
             "vc-2dc: two DCs, virginia and california (a close pair); the "
             "lines of ec2-11.csv."),
            ("ss-2dc.csv", "singapore", "sao-paulo",
             "ss-2dc: two DCs, singapore and sao-paulo (the worst pair, LAN/60); "
             "the lines of ec2-11.csv.")]:
        lines = [ec2_lines[0]] + [line for line in ec2_lines[1:]
                                  if line.startswith((f"{a},{b},", f"{b},{a},"))]
        assert len(lines) == 3, name
        files[name] = header(title, p) + "\n".join(lines) + "\n"

    here = os.path.dirname(os.path.abspath(__file__))
    stale = []
    for name, text in files.items():
        path = os.path.join(here, name)
        if check:
            try:
                with open(path, encoding="utf-8") as f:
                    if f.read() != text:
                        stale.append(name)
            except FileNotFoundError:
                stale.append(name)
        else:
            with open(path, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
            print(f"wrote {name}")
    if stale:
        print("out of date: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
