"""What the deploy/ec2 tests share: the stand-in, the real AWS CLI pointed at it, gaia-ec2."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.realpath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import fake_ec2  # noqa: E402

GAIA_EC2 = os.path.join(os.path.dirname(HERE), "gaia-ec2")
# Any syntactically valid OpenSSH public key: the stand-in never connects to a host.
PUBLIC_KEY = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGFpYS1lYzItdGVzdC1rZXktbm90LXVzZWQtZm9y "
              "gaia-ec2-test\n")
SSH_FROM = "192.0.2.10/32"
RUN_TIMEOUT_S = 240


def aws_path():
    return shutil.which("aws")


class StandInTest(unittest.TestCase):
    """Each test gets a fresh stand-in on 127.0.0.1:0 and a scratch folder."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="gaia-ec2-test-")
        self.dir = self.tmp.name
        self.key = os.path.join(self.dir, "id.pub")
        with open(self.key, "w") as f:
            f.write(PUBLIC_KEY)
        self.fake = fake_ec2.FakeEc2()
        self.server = fake_ec2.Server(self.fake).__enter__()
        self.env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDGAIATEST", AWS_SECRET_ACCESS_KEY="x",
                        AWS_CONFIG_FILE=os.path.join(self.dir, "none"),
                        AWS_SHARED_CREDENTIALS_FILE=os.path.join(self.dir, "none"),
                        AWS_EC2_METADATA_DISABLED="true", AWS_MAX_ATTEMPTS="1")
        self.env.pop("AWS_PROFILE", None)

    def tearDown(self):
        self.server.__exit__(None, None, None)
        self.tmp.cleanup()

    def aws_flags(self):
        return ["--endpoint-url", self.server.url, "--aws", aws_path(), "--poll-s", "0.05",
                "--wait-s", "60"]

    def up_args(self, dcs, job="mf", extra=()):
        args = ["up", "--job", job, "--max-usd-per-hour", "10", "--ttl", "2h",
                "--public-key", self.key, "--ssh-from", SSH_FROM,
                "--inventory", os.path.join(self.dir, "inventory.yaml")]
        for dc in dcs:
            args += ["--dc", dc]
        return args + list(extra) + self.aws_flags()

    def gaia_ec2(self, args):
        """(exit code, stderr) of one gaia-ec2 run."""
        done = subprocess.run([sys.executable, GAIA_EC2] + args, env=self.env,
                              capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
        return done.returncode, done.stderr

    def gaia_ec2_signalled_at(self, args, signals):
        """Runs gaia-ec2; for each (action, nth, signum) in `signals`, the stand-in sends it
        `signum` when the nth call of `action` arrives.

        gaia-ec2 waits on stdin until the fault knows its pid (exec keeps the pid).
        """
        proc = subprocess.Popen(["sh", "-c", 'read go && exec "$0" "$@"', sys.executable,
                                 GAIA_EC2] + args, env=self.env, stdin=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        for action, nth, signum in signals:
            self.fake.add_fault(action, nth, "signal", proc.pid, signum)
        try:
            _, err = proc.communicate("go\n", timeout=RUN_TIMEOUT_S)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        return proc.returncode, err

    def assertNothingLeft(self, context=""):
        self.assertEqual(self.fake.live(), [], f"resources left behind {context}")

    def actions(self):
        return [call[1] for call in self.fake.snapshot()["calls"]]
