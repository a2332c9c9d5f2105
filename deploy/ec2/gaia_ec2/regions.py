"""Region names: the WAN presets' and price table's names (virginia, ...) and AWS's codes."""

# The 11 regions of the Gaia thesis, as named in tools/wan_emulator/presets/ec2-11.csv
# and tools/cost/ec2-2017.csv.
AWS_REGION_OF = {
    "virginia": "us-east-1",
    "california": "us-west-1",
    "oregon": "us-west-2",
    "ireland": "eu-west-1",
    "frankfurt": "eu-central-1",
    "tokyo": "ap-northeast-1",
    "seoul": "ap-northeast-2",
    "singapore": "ap-southeast-1",
    "sydney": "ap-southeast-2",
    "mumbai": "ap-south-1",
    "sao-paulo": "sa-east-1",
}
NAME_OF = {code: name for name, code in AWS_REGION_OF.items()}


class RegionError(ValueError):
    pass


def resolve(region):
    """(name, aws code) for a region given either way; RegionError if unknown."""
    if region in AWS_REGION_OF:
        return region, AWS_REGION_OF[region]
    if region in NAME_OF:
        return NAME_OF[region], region
    known = ", ".join(f"{n} ({c})" for n, c in AWS_REGION_OF.items())
    raise RegionError(f"unknown region '{region}'; known: {known}")


def all_codes():
    return list(AWS_REGION_OF.values())
