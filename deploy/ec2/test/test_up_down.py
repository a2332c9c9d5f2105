"""up then down against the stand-in: what up makes, the inventory it writes, and nothing left."""

import base64
import os
import unittest

import yaml

from harness import SSH_FROM, StandInTest


class UpThenDown(StandInTest):
    def test_up_makes_a_tagged_self_ending_fleet_and_down_leaves_nothing(self):
        code, err = self.gaia_ec2(self.up_args(["virginia=2", "tokyo=1@ap-northeast-1"]))
        self.assertEqual(code, 0, err)
        state = self.fake.snapshot()["regions"]
        self.assertEqual(sorted(state), ["ap-northeast-1", "us-east-1"])
        instances = {r: list(s["instances"].values()) for r, s in state.items()}
        self.assertEqual(len(instances["us-east-1"]), 2)
        self.assertEqual(len(instances["ap-northeast-1"]), 1)
        run_ids = set()
        public = set()
        for region, insts in instances.items():
            for inst in insts:
                self.assertEqual(inst["state"], "running")
                run_ids.add(inst["tags"]["gaia:run-id"])
                self.assertEqual(inst["tags"]["gaia:job"], "mf")
                self.assertEqual(inst["shutdown_behavior"], "terminate")
                self.assertIn("--on-active=7200s", inst["user_data"])
                self.assertIn("poweroff", inst["user_data"])
                # The TTL is armed before the runtime libraries are installed.
                self.assertLess(inst["user_data"].index("--on-active"),
                                inst["user_data"].index("libgrpc++1.51"))
                # The newest Debian 12 amd64 image of the Debian account, not arm64 or others.
                self.assertTrue(inst["image"].startswith("ami-deb12b"), inst["image"])
                public.add(inst["public_ip"])
        self.assertEqual(len(run_ids), 1)
        run_id = run_ids.pop()
        for region, s in state.items():
            self.assertEqual(list(s["key_pairs"]), [f"gaia-{run_id}"])
            (group,) = s["groups"].values()
            self.assertEqual(group["name"], f"gaia-{run_id}")
            ssh = [r["cidr"] for r in group["ingress"] if r["from"] == 22]
            self.assertEqual(ssh, [SSH_FROM])
            job = {r["cidr"] for r in group["ingress"] if r["from"] == 1024}
            own_private = {i["private_ip"] + "/32" for i in instances[region]}
            self.assertEqual(job, {ip + "/32" for ip in public} | own_private)
            for inst in instances[region]:
                self.assertEqual(inst["groups"], list(s["groups"]))

        # The inventory, read as YAML, is hosts-format.md's: DC name -> hosts.
        path = os.path.join(self.dir, "inventory.yaml")
        with open(path) as f:
            text = f.read()
        self.assertTrue(text.startswith(f"# inventory for job mf, run id {run_id}\n"), text)
        parsed = yaml.safe_load(text)
        self.assertEqual(list(parsed), ["dcs"])
        self.assertEqual(list(parsed["dcs"]), ["virginia", "tokyo"])
        virginia = sorted(i["public_ip"] for i in instances["us-east-1"])
        self.assertEqual(sorted(h["address"] for h in parsed["dcs"]["virginia"]), virginia)
        self.assertEqual([h["address"] for h in parsed["dcs"]["tokyo"]],
                         [instances["ap-northeast-1"][0]["public_ip"]])
        for hosts in parsed["dcs"].values():
            for host in hosts:
                self.assertEqual(host, {"address": host["address"], "ssh_user": "admin",
                                        "ssh_port": 22})

        code, err = self.gaia_ec2(["down", "--inventory", path] + self.aws_flags())
        self.assertEqual(code, 0, err)
        self.assertNothingLeft()
        self.assertIn("nothing left", err)

    def test_down_of_a_run_that_is_gone_succeeds_and_changes_nothing(self):
        code, err = self.gaia_ec2(["down", "--run-id", "20261201-000000-abcdef", "--region",
                                   "virginia"] + self.aws_flags())
        self.assertEqual(code, 0, err)
        self.assertNothingLeft()
        self.assertNotIn("TerminateInstances", self.actions())

    def test_a_user_key_that_is_not_openssh_is_refused_before_any_call(self):
        with open(self.key, "w") as f:
            f.write(base64.b64encode(b"not a key").decode())
        code, err = self.gaia_ec2(self.up_args(["virginia=1"]))
        self.assertEqual(code, 2)
        self.assertIn("not an OpenSSH public key", err)
        self.assertEqual(self.actions(), [])


if __name__ == "__main__":
    unittest.main()
