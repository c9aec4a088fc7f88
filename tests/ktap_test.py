"""Tests of scripts/ktap.py, and of how the test stages read GoogleTest's report and count
KTAP cases (scripts/testing/).

Run by `make test` (the host stage), or alone: python3 -m unittest discover -s tests -p '*_test.py'
"""
import io
import os
import sys
import tempfile
import unittest
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
sys.path.insert(0, str(SCRIPTS))
import ktap  # noqa: E402
from testing.checks import check_ktap  # noqa: E402
from testing.stages.host import gtest_outcomes  # noqa: E402
from testing.tally import Tally  # noqa: E402


def parse(text):
    return ktap.parse(text.splitlines(keepends=True))


def counts(text):
    """(passed, failed, skipped) as the report gives them, and the exit status."""
    result = parse(text)
    return ktap.report(result, out=io.StringIO()), result.ok


class Parse(unittest.TestCase):
    def test_all_pass(self):
        text = "KTAP version 1\n1..2\nok 1 a.one\nok 2 a.two\n"
        self.assertEqual(counts(text), ((2, 0, 0), True))
        self.assertEqual([c.name for c in parse(text).cases], ["a.one", "a.two"])

    def test_failure_keeps_its_diagnostics(self):
        text = ("KTAP version 1\n1..2\n    # file.cpp:12: expected x == 1\n"
                "not ok 1 a.bad\nok 2 a.good\n")
        result = parse(text)
        self.assertEqual(counts(text), ((1, 1, 0), False))
        self.assertEqual([d.strip() for d in result.failed[0].diagnostics],
                         ["# file.cpp:12: expected x == 1"])
        out = io.StringIO()
        ktap.report(result, out)
        self.assertIn("not ok 1 a.bad", out.getvalue())
        self.assertIn("file.cpp:12", out.getvalue())

    def test_skip_is_neither_pass_nor_failure(self):
        text = ("KTAP version 1\n1..3\nok 1 a.one\n"
                "ok 2 disk.fixture # SKIP no test disks (test_disks=1 not given)\n"
                "ok 3 a.three # skip lower case\n")
        result = parse(text)
        self.assertEqual(counts(text), ((1, 0, 2), True))
        self.assertEqual([c.name for c in result.skipped], ["disk.fixture", "a.three"])
        self.assertEqual(result.skipped[0].skip_reason, "no test disks (test_disks=1 not given)")
        self.assertFalse(result.skipped[0].passed)

    def test_not_ok_with_skip_is_a_failure(self):
        self.assertEqual(counts("KTAP version 1\n1..1\nnot ok 1 a # SKIP why\n"),
                         ((0, 1, 0), False))

    def test_other_directives_pass(self):
        self.assertEqual(counts("KTAP version 1\n1..1\nok 1 a # TODO later\n"), ((1, 0, 0), True))

    def test_dash_before_the_name(self):
        self.assertEqual([c.name for c in parse("KTAP version 1\n1..1\nok 1 - a\n").cases], ["a"])

    def test_missing_plan(self):
        result = parse("KTAP version 1\nok 1 a\n")
        self.assertFalse(result.ok)
        self.assertIn("no plan line", result.errors)

    def test_missing_header(self):
        result = parse("1..1\nok 1 a\n")
        self.assertFalse(result.found)
        self.assertFalse(result.ok)
        self.assertEqual(result.cases, [])

    def test_cases_missing_from_the_plan_fail(self):
        text = "KTAP version 1\n1..4\nok 1 a\nok 2 b # SKIP x\n"
        self.assertEqual(counts(text), ((1, 2, 1), False))
        self.assertEqual(parse(text).missing, 2)

    def test_more_cases_than_planned(self):
        self.assertFalse(parse("KTAP version 1\n1..1\nok 1 a\nok 2 b\n").ok)

    def test_numbers_out_of_order(self):
        result = parse("KTAP version 1\n1..2\nok 2 a\nok 1 b\n")
        self.assertFalse(result.ok)
        self.assertIn("result 2 where 1 was expected", result.errors)

    def test_restarted_output(self):
        result = parse("KTAP version 1\n1..2\nok 1 a\nKTAP version 1\n1..2\nok 1 a\nok 2 b\n")
        self.assertFalse(result.ok)
        self.assertEqual(len(result.cases), 1)

    def test_boot_messages_and_control_sequences_ignored(self):
        text = ("\x1b[2J\x1b[1;1HGRUB loading\r\nFerrite version 0\r\nKTAP version 1\r\n"
                "1..1\r\nsome printk line\r\nok 1 a\r\n# selftest: all passed, 0 skipped\r\n")
        self.assertEqual(counts(text), ((1, 0, 0), True))

    def test_nested_subtests_are_diagnostics(self):
        text = ("KTAP version 1\n1..1\n    KTAP version 1\n    1..2\n    ok 1 inner\n"
                "    not ok 2 inner2\nok 1 outer\n")
        result = parse(text)
        self.assertEqual(counts(text), ((1, 0, 0), True))
        self.assertEqual(len(result.cases[0].diagnostics), 4)

    def test_bail_out_ends_the_stream(self):
        text = "KTAP version 1\n1..3\nok 1 a\nBail out! disk gone\nok 2 b\n"
        result = parse(text)
        self.assertEqual(counts(text), ((1, 2, 0), False))
        self.assertIn("bailed out: disk gone", result.errors)
        self.assertEqual([c.name for c in result.cases], ["a"])

    def test_bail_out_of_a_subtest_is_a_diagnostic(self):
        text = ("KTAP version 1\n1..1\n    KTAP version 1\n    1..1\n    Bail out! inner\n"
                "not ok 1 outer\n")
        result = parse(text)
        self.assertEqual(counts(text), ((0, 1, 0), False))
        self.assertEqual(result.errors, [])
        self.assertIn("    Bail out! inner", result.cases[0].diagnostics)


class Main(unittest.TestCase):
    def run_main(self, text):
        with tempfile.NamedTemporaryFile("w", suffix=".ktap", delete=False) as f:
            f.write(text)
        try:
            out = io.StringIO()
            stdout, sys.stdout = sys.stdout, out
            try:
                status = ktap.main(["ktap.py", f.name])
            finally:
                sys.stdout = stdout
            return status, out.getvalue().splitlines()[-1]
        finally:
            os.unlink(f.name)

    def test_skips_exit_zero(self):
        self.assertEqual(self.run_main("KTAP version 1\n1..2\nok 1 a\nok 2 b # SKIP x\n"),
                         (0, "1 passed, 0 failed, 1 skipped"))

    def test_failure_exits_one(self):
        self.assertEqual(self.run_main("KTAP version 1\n1..2\nok 1 a\nnot ok 2 b\n"),
                         (1, "1 passed, 1 failed, 0 skipped"))

    def test_incomplete_plan_exits_one(self):
        self.assertEqual(self.run_main("KTAP version 1\n1..2\nok 1 a\n"),
                         (1, "1 passed, 1 failed, 0 skipped"))


class GoogleTestReport(unittest.TestCase):
    """The host stage's reading of --gtest_output=json, on the shape GoogleTest writes."""

    def test_outcomes(self):
        data = {"testsuites": [{"name": "S", "testsuite": [
            {"name": "a", "status": "RUN", "result": "COMPLETED"},
            {"name": "b", "status": "RUN", "result": "SKIPPED"},
            {"name": "c", "status": "RUN", "result": "COMPLETED",
             "failures": [{"failure": "t.cpp:4\nExpected equality", "type": ""}]},
            {"name": "DISABLED_d", "status": "NOTRUN", "result": "SUPPRESSED"},
            {"name": "e", "status": "RUN", "result": "SKIPPED",
             "skipped": [{"message": "t.cpp:9\nno disk"}]},
            {"name": "f", "status": "RUN", "result": "SKIPPED",
             "failures": [{"failure": "t.cpp:12\nfailed before the skip", "type": ""}]},
        ]}]}
        got = gtest_outcomes(data)
        self.assertEqual([(name, outcome) for name, outcome, _ in got],
                         [("S.a", "pass"), ("S.b", "skip"), ("S.c", "fail"),
                          ("S.DISABLED_d", "skip"), ("S.e", "skip"), ("S.f", "fail")])
        self.assertEqual(got[2][2], ["t.cpp:4", "Expected equality"])
        self.assertEqual(got[1][2], "GTEST_SKIP")
        self.assertEqual(got[3][2], "disabled")
        self.assertIn("no disk", got[4][2])


class StageSkips(unittest.TestCase):
    """check_ktap: a skip counts as one only where the stage allows it."""

    TEXT = ("KTAP version 1\n1..3\nok 1 mm.a\nok 2 disk.b # SKIP no test disks\n"
            "ok 3 fs.c # SKIP no initrd\n")

    def tally_of(self, may_skip):
        t = Tally(out=io.StringIO())
        check_ktap(t, "t", self.TEXT, [], may_skip)
        return t.passed, t.failed, t.skipped

    def test_allowed_skips_are_skips(self):
        # mm.a and the plan pass; disk.b and fs.c skip.
        self.assertEqual(self.tally_of(("disk.*", "fs.*")), (2, 0, 2))

    def test_a_skip_not_allowed_fails(self):
        self.assertEqual(self.tally_of(("disk.*",)), (2, 1, 1))
        self.assertEqual(self.tally_of(()), (2, 2, 0))


if __name__ == "__main__":
    unittest.main()
