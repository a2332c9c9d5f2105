#!/usr/bin/python3
"""ctest's entry to the deploy/ec2 tests: run_tests.py [--needs-aws] module[.Class[.test]]...

With --needs-aws and no AWS CLI on PATH, prints why and exits 77 (ctest: skipped).
"""

import os
import sys
import unittest

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.realpath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402

SKIPPED = 77


def main(argv):
    names = [a for a in argv if a != "--needs-aws"]
    if "--needs-aws" in argv and not harness.aws_path():
        print("SKIP: the AWS CLI ('aws') is not on PATH; these tests drive it against the "
              "local EC2 stand-in (install: apt-get install awscli)")
        return SKIPPED
    suite = unittest.defaultTestLoader.loadTestsFromNames(names)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    return 0 if result.wasSuccessful() and result.testsRun > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
