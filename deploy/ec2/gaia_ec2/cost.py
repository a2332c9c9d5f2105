"""The cost estimate `up` checks against --max-usd-per-hour before it creates anything.

Prices come from a price table in the format of tools/cost/ec2-2017.csv (docs/COST.md):
'#' lines and blank lines are comments, the first other line is the header, one line per
region, prices finite and >= 0. Regions are named as in the WAN presets (virginia, ...).
"""

import math
import os

HEADER_FIRST = "region"


class PriceError(ValueError):
    pass


def default_price_file():
    """$GAIA_COST_DIR/ec2-2017.csv if set, else the source tree's tools/cost/ec2-2017.csv."""
    base = os.environ.get("GAIA_COST_DIR")
    if not base:
        here = os.path.dirname(os.path.realpath(__file__))
        base = os.path.join(here, "..", "..", "..", "tools", "cost")
    return os.path.normpath(os.path.join(base, "ec2-2017.csv"))


def parse_prices(text, source):
    """{region: {column: USD}}; PriceError "<source>:<line>: <field>: <problem>"."""
    header = None
    table = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split(",")]
        if header is None:
            if fields[0] != HEADER_FIRST or len(fields) < 2 or "" in fields:
                raise PriceError(f"{source}:{number}: header: want 'region,<column>,...', "
                                 f"got '{line}'")
            header = fields
            continue
        if len(fields) != len(header):
            raise PriceError(f"{source}:{number}: line: {len(fields)} fields, the header has "
                             f"{len(header)}")
        region = fields[0]
        if region in table:
            raise PriceError(f"{source}:{number}: region: '{region}' given twice")
        row = {}
        for name, value in zip(header[1:], fields[1:]):
            try:
                price = float(value)
            except ValueError:
                price = math.nan
            if not math.isfinite(price) or price < 0:
                raise PriceError(f"{source}:{number}: {name}: want a price >= 0, got '{value}'")
            row[name] = price
        table[region] = row
    if header is None:
        raise PriceError(f"{source}: no header line")
    return table


def load_prices(path):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as err:
        raise PriceError(f"{path}: cannot read: {err.strerror}") from err
    return parse_prices(text, path)


def estimate(fleet, prices, column, source):
    """Lines of (dc, region, count, usd_per_hour) and the fleet's total USD per hour.

    fleet: DcPlan list (dc, region, count). A region or column missing from the table is a
    PriceError: an estimate that silently priced a host at zero would defeat the cap.
    """
    lines = []
    for plan in fleet:
        row = prices.get(plan.region)
        if row is None:
            raise PriceError(f"{source}: no prices for region '{plan.region}' (DC {plan.dc}); "
                             f"regions there: {', '.join(prices)}")
        if column not in row:
            raise PriceError(f"{source}: no column '{column}'; columns: {', '.join(row)}")
        lines.append((plan.dc, plan.region, plan.count, plan.count * row[column]))
    return lines, sum(line[3] for line in lines)


def format_estimate(lines, total, column, ttl_hours, source):
    out = [f"cost estimate ({column} from {source}; WAN transfer not included):"]
    for dc, region, count, usd in lines:
        out.append(f"  {dc:<14} {region:<11} {count:>3} host(s)  {usd:8.2f} USD/hour")
    out.append(f"  {'total':<14} {'':<11} {sum(l[2] for l in lines):>3} host(s)  "
               f"{total:8.2f} USD/hour; at most about {total * ttl_hours:.2f} USD before the "
               f"{ttl_hours:g} h TTL ends every instance")
    return "\n".join(out)
