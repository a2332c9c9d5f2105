"""The cost estimate and its price table; runs without AWS."""

import os
import subprocess
import sys
import tempfile
import unittest

import harness
from gaia_ec2 import cost, fleet, runs


class PriceTable(unittest.TestCase):
    def test_the_shipped_table_prices_a_fleet(self):
        prices = cost.load_prices(cost.default_price_file())
        plans = fleet.parse_fleet(["virginia=2", "west=1@tokyo", "eu=3@eu-west-1"])
        lines, total = cost.estimate(plans, prices, "cpu_hour", "t")
        self.assertEqual([l[:3] for l in lines],
                         [("virginia", "virginia", 2), ("west", "tokyo", 1), ("eu", "ireland", 3)])
        self.assertAlmostEqual(total, 2 * 0.86 + 1.11 + 3 * 0.95)
        _, gpu = cost.estimate(plans[:1], prices, "gpu_hour", "t")
        self.assertAlmostEqual(gpu, 2 * 2.60)

    def test_bad_tables_name_file_line_and_field(self):
        cases = [("region,cpu_hour\nvirginia,-1\n", "p.csv:2: cpu_hour: want a price >= 0"),
                 ("region,cpu_hour\nvirginia,nan\n", "p.csv:2: cpu_hour: want a price >= 0"),
                 ("# c\nregion,cpu_hour\nvirginia\n", "p.csv:3: line: 1 fields"),
                 ("region,cpu_hour\na,1\na,2\n", "p.csv:3: region: 'a' given twice"),
                 ("name,cpu_hour\n", "p.csv:1: header:"), ("# only\n", "p.csv: no header")]
        for text, message in cases:
            with self.subTest(text=text), self.assertRaisesRegex(cost.PriceError, message):
                cost.parse_prices(text, "p.csv")

    def test_a_missing_column_is_an_error_not_a_free_host(self):
        prices = cost.parse_prices("region,cpu_hour\nvirginia,1\n", "p.csv")
        with self.assertRaisesRegex(cost.PriceError, "no column 'gpu_hour'"):
            cost.estimate(fleet.parse_fleet(["virginia=1"]), prices, "gpu_hour", "p.csv")


class FleetFlags(unittest.TestCase):
    def test_bad_dc_flags_say_what_is_wrong(self):
        cases = [("virginia", "want NAME=COUNT"), ("virginia=0", "COUNT: want 1..100"),
                 ("vir ginia=1", "want NAME=COUNT"), ("lima=1", "REGION: unknown region 'lima'"),
                 ("a=1@mars", "unknown region 'mars'")]
        for text, message in cases:
            with self.subTest(text=text), self.assertRaisesRegex(ValueError, message):
                fleet.parse_dc(text)
        with self.assertRaisesRegex(ValueError, "given twice"):
            fleet.parse_fleet(["virginia=1", "virginia=2"])

    def test_durations_and_ports(self):
        self.assertEqual(runs.parse_duration("90m", "--ttl"), 5400)
        self.assertEqual(runs.parse_duration("1.5h", "--ttl"), 5400)
        for bad in ["0h", "5", "h", "-1h", "2w"]:
            with self.subTest(bad=bad), self.assertRaisesRegex(ValueError, "--ttl"):
                runs.parse_duration(bad, "--ttl")
        self.assertEqual(runs.parse_duration("0s", "--older-than", allow_zero=True), 0)
        self.assertEqual(fleet.parse_ports("7000-7999"), (7000, 7999))
        for bad in ["0-10", "10-5", "x", "70000"]:
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                fleet.parse_ports(bad)


class EstimateCommand(unittest.TestCase):
    def test_estimate_prints_per_dc_and_the_ttl_bound(self):
        done = subprocess.run([sys.executable, harness.GAIA_EC2, "estimate", "--dc", "virginia=2",
                               "--dc", "tokyo=1", "--ttl", "3h"], capture_output=True, text=True,
                              timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertRegex(done.stdout, r"\n  tokyo +tokyo +1 host\(s\) +1.11 USD/hour\n")
        self.assertIn("2.83 USD/hour; at most about 8.49 USD", done.stdout)

    def test_a_bad_price_file_is_exit_2_naming_it(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "p.csv")
            with open(path, "w") as f:
                f.write("region,cpu_hour\nvirginia,x\n")
            done = subprocess.run([sys.executable, harness.GAIA_EC2, "estimate", "--dc",
                                   "virginia=1", "--prices", path], capture_output=True,
                                  text=True, timeout=60)
        self.assertEqual(done.returncode, 2)
        self.assertIn("p.csv:2: cpu_hour: want a price >= 0, got 'x'", done.stderr)


if __name__ == "__main__":
    unittest.main()
