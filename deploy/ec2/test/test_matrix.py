"""matrix: the probe between two endpoints on this machine, the CSV writer, the inventory reader."""

import math
import os
import re
import socket
import tempfile
import unittest
from unittest import mock

import harness  # noqa: F401  (puts gaia_ec2 on the path)
from gaia_ec2 import cli, inventory, matrix

HEADER = "from,to,bandwidth_mbps,delay_ms"
NUMBER = re.compile(r"^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$")


def read_link_matrix(text):
    """The WAN emulator's rules (docs/WAN_EMULATOR.md) for the parts the writer controls."""
    lines = [l for l in text.splitlines() if l.strip() and not l.startswith("#")]
    assert lines[0] == HEADER, lines[0]
    links = {}
    for line in lines[1:]:
        src, dst, bandwidth, delay = line.split(",")
        assert re.match(r"^[A-Za-z0-9_.-]+$", src) and re.match(r"^[A-Za-z0-9_.-]+$", dst)
        assert src != dst and (src, dst) not in links, line
        assert NUMBER.match(bandwidth) and NUMBER.match(delay), line
        assert 0 < float(bandwidth) <= 1e6 and 0 <= float(delay) <= 600000, line
        links[(src, dst)] = (float(bandwidth), float(delay))
    regions = {r for pair in links for r in pair}
    for a in regions:
        for b in regions:
            assert a == b or (a, b) in links, f"no link {a}->{b}"
    return links


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Writer(unittest.TestCase):
    def test_links_are_written_in_the_wan_emulators_format(self):
        text = matrix.render_csv([("virginia", "tokyo", 155.25, 36.4),
                                  ("tokyo", "virginia", 0.00042, 0.0)], ["measured", "by test"])
        self.assertTrue(text.startswith("# measured\n# by test\n" + HEADER + "\n"))
        links = read_link_matrix(text)
        self.assertEqual(links[("virginia", "tokyo")], (155.25, 36.4))
        self.assertAlmostEqual(links[("tokyo", "virginia")][0], 0.00042)

    def test_a_link_the_emulator_would_refuse_is_an_error(self):
        for bad in [("a", "b", 0.0, 1.0), ("a", "b", math.nan, 1.0), ("a", "b", 5.0, -1.0),
                    ("a", "a", 5.0, 1.0), ("a", "b", 5.0, math.inf)]:
            with self.subTest(bad=bad), self.assertRaises(matrix.MatrixError):
                matrix.render_csv([bad], [])
        with self.assertRaisesRegex(matrix.MatrixError, "given twice"):
            matrix.render_csv([("a", "b", 1, 1), ("a", "b", 2, 2)], [])


class InventoryReader(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.tmp.name, "inv.yaml")

    def tearDown(self):
        self.tmp.cleanup()

    def test_what_up_writes_reads_back(self):
        text = inventory.render("mf", "20261207-055012-3fa9c1", ["us-east-1", "ap-northeast-1"],
                                [("virginia", [("3.4.5.6", "admin", 22), ("3.4.5.7", "admin", 22)]),
                                 ("2", [("5.6.7.8", "admin", 2222)])])
        inventory.write(self.path, text)
        self.assertIn('  "2":\n', text)  # a DC name YAML would read as a number is quoted
        self.assertEqual(matrix.read_inventory(self.path),
                         [("virginia", [("3.4.5.6", "admin", 22), ("3.4.5.7", "admin", 22)]),
                          ("2", [("5.6.7.8", "admin", 2222)])])
        self.assertEqual(inventory.read_run(self.path),
                         ("20261207-055012-3fa9c1", ["us-east-1", "ap-northeast-1"]))

    def test_a_line_out_of_format_names_file_and_line(self):
        with open(self.path, "w") as f:
            f.write("# inventory for job j, run id 20261207-055012-3fa9c1\n# regions: us-east-1\n"
                    "dcs:\n  east:\n    - address 1.2.3.4\n")
        with self.assertRaisesRegex(matrix.MatrixError, r"inv.yaml:5: line: "):
            matrix.read_inventory(self.path)


class Probe(unittest.TestCase):
    def test_two_dcs_on_this_machine_give_a_full_matrix_of_positive_links(self):
        # The probe program itself, as ssh would start it on the hosts (python3 - ...),
        # between endpoints on this machine's loopback.
        host = ("127.0.0.1", "unused", 22)
        dcs = [("east", [host]), ("west", [host])]
        logged = []
        links = matrix.measure_matrix(matrix.LocalRunner(), dcs, free_port(), 0.3, 3, 20,
                                      logged.append)
        self.assertEqual([(l[0], l[1]) for l in links], [("east", "west"), ("west", "east")])
        for _, _, bandwidth_mbps, delay_ms in links:
            # Loopback moves far more than 10 Mbit/s and answers within a second.
            self.assertGreater(bandwidth_mbps, 10)
            self.assertLess(delay_ms, 1000)
        self.assertEqual(len(logged), 2)
        read_link_matrix(matrix.render_csv(links, ["loopback"]))

    def test_ssh_runner_starts_the_probe_with_keys_only_and_the_hosts_port(self):
        argv = matrix.SshRunner("/k", ["-o", "ConnectTimeout=5"]).argv(
            ("3.4.5.6", "admin", 2222), ["serve", "--port", "5201"])
        self.assertEqual(argv, ["ssh", "-o", "BatchMode=yes", "-p", "2222", "-i", "/k", "-o",
                                "ConnectTimeout=5", "admin@3.4.5.6", "python3", "-", "serve",
                                "--port", "5201"])

    def test_a_dead_peer_is_an_error_naming_the_link(self):
        host = ("127.0.0.1", "unused", 22)
        with self.assertRaisesRegex(matrix.MatrixError, "127.0.0.1 -> 127.0.0.1"):
            # The server gives up after 0.5 s; the client targets a port nobody serves.
            matrix.measure_pair(BrokenServerRunner(), host, host, free_port(), 0.1, 1, 1)


class MatrixCommand(unittest.TestCase):
    def test_matrix_reads_the_inventory_and_writes_the_csv_with_its_provenance(self):
        with tempfile.TemporaryDirectory() as tmp:
            inv = os.path.join(tmp, "inv.yaml")
            out = os.path.join(tmp, "links.csv")
            host = ("127.0.0.1", "admin", 22)
            inventory.write(inv, inventory.render("mf", "20261207-055012-3fa9c1", ["us-east-1"],
                                                  [("a", [host]), ("b", [host]), ("c", [host])]))
            # Everything but ssh itself: the hosts are this machine.
            with mock.patch.object(matrix, "SshRunner", lambda *args: matrix.LocalRunner()):
                code = cli.main(["matrix", "--inventory", inv, "--out", out, "--seconds", "0.2",
                                 "--rtt-samples", "2", "--port", str(free_port())])
            self.assertEqual(code, 0)
            with open(out) as f:
                text = f.read()
        self.assertIn("# measured by gaia-ec2 matrix on run 20261207-055012-3fa9c1", text)
        self.assertEqual(sorted(read_link_matrix(text)),
                         [("a", "b"), ("a", "c"), ("b", "a"), ("b", "c"), ("c", "a"), ("c", "b")])


class BrokenServerRunner(matrix.LocalRunner):
    """A server side that exits at once, as when python3 is missing on the host."""

    def argv(self, host, args):
        if args[0] == "serve":
            return ["sh", "-c", "cat >/dev/null; exit 127"]
        return super().argv(host, args)


if __name__ == "__main__":
    unittest.main()
