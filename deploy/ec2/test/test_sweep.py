"""sweep deletes an old run's leftovers and leaves a new run alone."""

import datetime
import unittest

from harness import StandInTest


def old_run_id():
    """A run made three days ago: older than the sweep's 1d."""
    then = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=3)
    return then.strftime("%Y%m%d-%H%M%S") + "-0a0a0a"


class Sweep(StandInTest):
    def test_sweep_removes_an_old_run_and_keeps_a_new_one(self):
        old_run = old_run_id()
        code, err = self.gaia_ec2(self.up_args(["virginia=1"], job="old",
                                               extra=["--run-id", old_run]))
        self.assertEqual(code, 0, err)
        code, err = self.gaia_ec2(self.up_args(["virginia=1"], job="new"))
        self.assertEqual(code, 0, err)
        # A stray key whose name only looks like gaia's is not a run and stays.
        self.fake.regions["us-east-1"].key_pairs["gaia-not-a-run"] = {
            "id": "key-stray", "fingerprint": "fp", "tags": {}}
        new_run = [i["tags"]["gaia:run-id"]
                   for i in self.fake.regions["us-east-1"].instances.values()
                   if i["tags"]["gaia:job"] == "new"][0]
        before = self.fake.live()
        self.assertEqual(len(before), 7)  # per run: instance, group, key; and the stray key

        code, err = self.gaia_ec2(["sweep", "--older-than", "1d", "--region", "virginia",
                                   "--dry-run"] + self.aws_flags())
        self.assertEqual(code, 0, err)
        self.assertEqual(self.fake.live(), before)
        self.assertIn(f"run {old_run}", err)

        code, err = self.gaia_ec2(["sweep", "--older-than", "1d", "--region", "virginia"] +
                                  self.aws_flags())
        self.assertEqual(code, 0, err)
        left = self.fake.live()
        names = {what for _, _, what in left}
        self.assertEqual(len(left), 4, left)
        self.assertIn(f"gaia-{new_run}", names)
        self.assertIn("gaia-not-a-run", names)
        self.assertNotIn(f"gaia-{old_run}", names)
        region = self.fake.regions["us-east-1"]
        live_jobs = [i["tags"]["gaia:job"] for i in region.instances.values()
                     if i["state"] != "terminated"]
        self.assertEqual(live_jobs, ["new"])
        self.assertEqual([g["name"] for g in region.groups.values()], [f"gaia-{new_run}"])


if __name__ == "__main__":
    unittest.main()
