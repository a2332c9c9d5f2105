"""A fault at every step of up, an interrupt in the middle, a cost over the cap: nothing left."""

import os
import signal
import unittest

import fake_ec2
from harness import StandInTest
from gaia_ec2 import aws  # noqa: I100  (harness puts it on the path)

FLEET = ["virginia=2"]


def steps_of_a_clean_up(test):
    """[(action, nth)] for every call a successful up makes, in order (a throwaway stand-in)."""
    fake = fake_ec2.FakeEc2()
    with fake_ec2.Server(fake) as server:
        saved_fake, saved_server = test.fake, test.server
        test.fake, test.server = fake, server
        try:
            code, err = test.gaia_ec2(test.up_args(FLEET))
        finally:
            test.fake, test.server = saved_fake, saved_server
    test.assertEqual(code, 0, err)
    steps, seen = [], {}
    for _, action, _ in fake.snapshot()["calls"]:
        seen[action] = seen.get(action, 0) + 1
        steps.append((action, seen[action]))
    return steps


class FaultAtEveryStep(StandInTest):
    def check_steps(self, first, last):
        steps = steps_of_a_clean_up(self)
        # DescribeImages, ImportKeyPair, CreateSecurityGroup, RunInstances, DescribeInstances
        # (pending, then running), AuthorizeSecurityGroupIngress.
        self.assertEqual(len(steps), 7, steps)
        for action, nth in steps[first:last]:
            with self.subTest(action=action, nth=nth):
                self.tearDown()
                self.setUp()
                # As many failures in a row as gaia-ec2 tries an idempotent call: the step
                # fails for good, and the calls after it (the teardown's) work.
                self.fake.add_fault(action, nth, "error", count=aws.RETRY_TRIES)
                code, err = self.gaia_ec2(self.up_args(FLEET))
                self.assertEqual(code, 1, err)
                self.assertIn(f"injected fault: {action} call {nth}", err)
                self.assertIn("nothing left", err)
                self.assertNothingLeft(f"after a fault at {action} call {nth}")

    def test_a_fault_in_steps_1_to_4_leaves_nothing(self):
        self.check_steps(0, 4)

    def test_a_fault_in_steps_5_to_7_leaves_nothing(self):
        self.check_steps(4, 7)


class Interrupted(StandInTest):
    def test_sigint_while_instances_are_made_leaves_nothing(self):
        # The signal arrives while RunInstances is served: the instance exists on the
        # stand-in, but gaia-ec2 never learns its id; teardown must find it by its tag.
        code, err = self.gaia_ec2_signalled_at(self.up_args(FLEET),
                                               [("RunInstances", 1, signal.SIGINT)])
        self.assertEqual(code, 128 + signal.SIGINT, err)
        self.assertIn("interrupted (SIGINT)", err)
        self.assertIn("TerminateInstances", self.actions())
        self.assertNothingLeft()

    def test_sigterm_while_waiting_for_instances_leaves_nothing(self):
        code, err = self.gaia_ec2_signalled_at(self.up_args(FLEET),
                                               [("DescribeInstances", 1, signal.SIGTERM)])
        self.assertEqual(code, 128 + signal.SIGTERM, err)
        self.assertIn("interrupted (SIGTERM)", err)
        self.assertNothingLeft()

    def test_a_second_sigint_does_not_cut_the_teardown_short(self):
        code, err = self.gaia_ec2_signalled_at(self.up_args(FLEET), [
            ("AuthorizeSecurityGroupIngress", 1, signal.SIGINT),
            ("TerminateInstances", 1, signal.SIGINT),
            ("DeleteSecurityGroup", 1, signal.SIGTERM)])
        self.assertEqual(code, 128 + signal.SIGINT, err)
        self.assertIn("SIGINT: teardown in progress; it will finish", err)
        self.assertIn("SIGTERM: teardown in progress; it will finish", err)
        self.assertNothingLeft()
        # No inventory is left for a fleet that is gone.
        self.assertFalse(os.path.exists(os.path.join(self.dir, "inventory.yaml")))


class CostCap(StandInTest):
    def test_a_fleet_over_the_cap_makes_no_call_at_all(self):
        # virginia 0.86 + 2 x tokyo 1.11 = 3.08 USD/hour > 3.
        args = self.up_args(["virginia=1", "tokyo=2"])
        args[args.index("--max-usd-per-hour") + 1] = "3"
        code, err = self.gaia_ec2(args)
        self.assertEqual(code, 2, err)
        self.assertIn("3.08 USD/hour, over --max-usd-per-hour 3; nothing was created", err)
        self.assertEqual(self.fake.creating_calls(), [])
        self.assertEqual(self.actions(), [])

    def test_a_fleet_too_big_for_a_security_group_makes_no_call_at_all(self):
        # virginia's group: 1 SSH source + 40 fleet hosts + 30 private addresses > 60.
        code, err = self.gaia_ec2(self.up_args(["virginia=30", "oregon=10"],
                                               extra=["--max-usd-per-hour", "100"]))
        self.assertEqual(code, 2, err)
        self.assertIn("[us-east-1] the security group would need 71 inbound rules", err)
        self.assertEqual(self.actions(), [])

    def test_a_region_without_a_price_makes_no_call_at_all(self):
        prices = f"{self.dir}/prices.csv"
        with open(prices, "w") as f:
            f.write("region,cpu_hour\nvirginia,0.5\n")
        code, err = self.gaia_ec2(self.up_args(["virginia=1", "tokyo=1"],
                                               extra=["--prices", prices]))
        self.assertEqual(code, 2, err)
        self.assertIn("no prices for region 'tokyo'", err)
        self.assertEqual(self.actions(), [])


if __name__ == "__main__":
    unittest.main()
