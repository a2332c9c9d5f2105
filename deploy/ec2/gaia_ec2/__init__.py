"""gaia-ec2: a Gaia job's fleet on Amazon EC2, up and down (see docs/DEPLOY.md)."""
