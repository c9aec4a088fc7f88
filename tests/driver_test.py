"""Tests of the test driver's own logic (scripts/run-tests.py, scripts/testing/): the
tally, the summary line, the reading of a stage's output, and which stage starts when.

Run by `make test` (the host-python stage), or alone:
python3 -m unittest discover -s tests -p '*_test.py'
"""
import io
import signal
import subprocess
import sys
import unittest
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
sys.path.insert(0, str(SCRIPTS))
from testing.schedule import Schedule, Stage, run_order  # noqa: E402
from testing.stages import STAGES  # noqa: E402
from testing.tally import Tally, stage_report  # noqa: E402


def quiet_tally():
    return Tally(out=io.StringIO())


class TallyCounts(unittest.TestCase):
    def test_check_and_skip_lines(self):
        t = quiet_tally()
        self.assertTrue(t.check("a", True))
        self.assertFalse(t.check("b", None, ["why"]))
        t.skip("c", "no disk")
        self.assertEqual((t.passed, t.failed, t.skipped), (1, 1, 1))
        self.assertEqual(t.out.getvalue().splitlines(),
                         ["PASS a", "FAIL b", "    why", "SKIP c: no disk"])
        self.assertEqual(t.summary(), "1 passed, 1 failed, 1 skipped")

    def test_details_are_made_only_for_a_failure(self):
        made = []
        t = quiet_tally()
        t.check("a", True, lambda: made.append(1) or ["x"])
        self.assertEqual(made, [])
        t.check("b", False, lambda: made.append(1) or ["x"])
        self.assertEqual(made, [1])
        self.assertIn("    x", t.out.getvalue().splitlines())

    def test_add_sums_the_stages(self):
        total, a, b = quiet_tally(), quiet_tally(), quiet_tally()
        a.check("a", True)
        b.check("b", False)
        b.skip("c", "r")
        total.add(a)
        total.add(b)
        self.assertEqual(total.summary(), "1 passed, 1 failed, 1 skipped")

    def test_summary_read_back(self):
        t = Tally.from_summary("907 passed, 0 failed, 102 skipped\n")
        self.assertEqual((t.passed, t.failed, t.skipped), (907, 0, 102))
        self.assertIsNone(Tally.from_summary("PASS 1 passed, 0 failed, 0 skipped"))
        self.assertIsNone(Tally.from_summary("# logs in build/test-logs/, 3 s"))


class StageOutput(unittest.TestCase):
    def test_closing_lines_dropped(self):
        lines = ["# s: title", "PASS s: a", "# logs in build/test-logs/, 1 s",
                 "1 passed, 0 failed, 0 skipped"]
        body, counts = stage_report("s", lines, 0)
        self.assertEqual(body, ["# s: title", "PASS s: a"])
        self.assertEqual(counts.summary(), "1 passed, 0 failed, 0 skipped")

    def test_no_summary_is_a_failure(self):
        lines = ["# s: title", "PASS s: a", "Traceback (most recent call last):"]
        body, counts = stage_report("s", lines, -9)
        self.assertEqual(counts.summary(), "0 passed, 1 failed, 0 skipped")
        self.assertEqual(body[:3], lines)
        self.assertIn("FAIL s: stage ran to the end", body)
        self.assertTrue(any("status -9" in line for line in body))

    def test_no_output_at_all_is_a_failure(self):
        body, counts = stage_report("s", [], 1)
        self.assertEqual((counts.passed, counts.failed), (0, 1))


def stage(name, cost=1, exclusive=False):
    return Stage(name, lambda t: None, cost, exclusive)


def start_all(schedule):
    started = []
    while (s := schedule.next()) is not None:
        schedule.start(s)
        started.append(s.name)
    return started


class Scheduling(unittest.TestCase):
    def test_jobs_at_a_time(self):
        sched = Schedule([stage("a"), stage("b"), stage("c")], 2)
        self.assertEqual(start_all(sched), ["a", "b"])
        sched.finish(sched.running[0])
        self.assertEqual(start_all(sched), ["c"])
        while sched.running:
            sched.finish(sched.running[0])
        self.assertTrue(sched.done())

    def test_exclusive_runs_alone(self):
        x = stage("x", exclusive=True)
        sched = Schedule([stage("a"), x, stage("b"), stage("c")], 2)
        # x waits while a runs; b starts beside a instead.
        self.assertEqual(start_all(sched), ["a", "b"])
        sched.finish(sched.running[0])
        self.assertEqual(start_all(sched), ["c"])
        sched.finish(sched.running[0])
        sched.finish(sched.running[0])
        self.assertEqual(start_all(sched), ["x"])
        self.assertEqual(sched.waiting, [])

    def test_nothing_starts_beside_an_exclusive_stage(self):
        sched = Schedule([stage("x", exclusive=True), stage("a")], 2)
        self.assertEqual(start_all(sched), ["x"])
        sched.finish(sched.running[0])
        self.assertEqual(start_all(sched), ["a"])

    def test_one_job_keeps_the_order(self):
        stages = [stage("a", 1), stage("x", 9, True), stage("b", 5)]
        self.assertEqual(run_order(stages, 1), stages)
        sched = Schedule(stages, 1)
        order = []
        while not sched.done():
            order += start_all(sched)
            sched.finish(sched.running[0])
        self.assertEqual(order, ["a", "x", "b"])

    def test_several_jobs_start_exclusive_then_longest(self):
        stages = [stage("a", 1), stage("x", 9, True), stage("b", 5), stage("c", 5)]
        self.assertEqual([s.name for s in run_order(stages, 2)], ["x", "b", "c", "a"])

    def test_jobs_at_least_one(self):
        with self.assertRaises(ValueError):
            Schedule([], 0)


class StageList(unittest.TestCase):
    def test_names_unique_and_titled(self):
        names = [s.name for s in STAGES]
        self.assertEqual(len(names), len(set(names)))
        self.assertTrue(all(s.title for s in STAGES))

    def test_the_stages_that_load_the_host_are_exclusive(self):
        self.assertEqual([s.name for s in STAGES if s.exclusive], ["loaded-host"])


# A stage that waits to be interrupted, and whose cleanup receives a second signal.
INTERRUPTED_STAGE = """
import importlib.util, os, signal, sys, time
spec = importlib.util.spec_from_file_location("run_tests", sys.argv[1])
run_tests = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_tests)

def stage(t):
    \"\"\"Waits.\"\"\"
    try:
        print("started", flush=True)
        time.sleep(30)
    finally:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.2)
        print("cleaned up", flush=True)

from testing.schedule import Stage
run_tests.run_in_process([Stage("s", stage)])
"""


class Interrupted(unittest.TestCase):
    def test_a_stage_cleans_up_through_a_second_signal(self):
        proc = subprocess.Popen([sys.executable, "-c", INTERRUPTED_STAGE,
                                 SCRIPTS / "run-tests.py"], stdout=subprocess.PIPE, text=True)
        try:
            self.assertEqual(proc.stdout.readline().strip(), "# s: Waits.")
            self.assertEqual(proc.stdout.readline().strip(), "started")
            proc.send_signal(signal.SIGINT)
            out = proc.stdout.read()
            self.assertEqual(proc.wait(10), 128 + signal.SIGINT)
            self.assertIn("cleaned up", out)
        finally:
            proc.kill()
            proc.wait()
            proc.stdout.close()


class CommandLine(unittest.TestCase):
    def run_tests(self, *args):
        return subprocess.run([sys.executable, SCRIPTS / "run-tests.py", *args],
                              capture_output=True, text=True, timeout=60)

    def test_list_names_every_stage(self):
        proc = self.run_tests("--list")
        self.assertEqual(proc.stdout.split(), [s.name for s in STAGES])

    def test_unknown_stage(self):
        proc = self.run_tests("no-such-stage")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("unknown stage(s): no-such-stage", proc.stderr)

    def test_jobs_must_be_positive(self):
        self.assertEqual(self.run_tests("--jobs", "0", "host").returncode, 2)


if __name__ == "__main__":
    unittest.main()
