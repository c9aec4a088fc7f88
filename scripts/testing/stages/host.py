"""Stages on the host alone: the GoogleTest cases and the scripts' Python tests."""
import json
import subprocess
import unittest

from machine import tail
from testing.paths import LOGS, ROOT, UNIT_TESTS

HOST_TIMEOUT = 120


def gtest_outcomes(data):
    """The cases of a GoogleTest JSON report (--gtest_output=json): (name, outcome,
    details) with outcome "pass", "fail" or "skip". GTEST_SKIP is result SKIPPED; a
    DISABLED_ case is never run (status NOTRUN): both skipped, unless a failure was
    recorded first."""
    out = []
    for suite in data.get("testsuites", []):
        for case in suite.get("testsuite", []):
            name = f"{suite['name']}.{case['name']}"
            failures = [line for f in case.get("failures", []) for line in f["failure"].splitlines()]
            if failures:
                out.append((name, "fail", failures))
            elif case.get("result") == "SKIPPED" or case.get("status") == "NOTRUN":
                reason = "; ".join(s.get("message", "") for s in case.get("skipped", []))
                out.append((name, "skip", reason or ("disabled" if case.get("status") == "NOTRUN"
                                                     else "GTEST_SKIP")))
            elif case.get("status") == "RUN":
                out.append((name, "pass", []))
            else:
                out.append((name, "fail", [f"status {case.get('status')!r}, "
                                           f"result {case.get('result')!r}"]))
    return out


def stage_host(t):
    """Host unit tests: each GoogleTest case counts."""
    report = LOGS / "host-unit-tests.json"
    report.unlink(missing_ok=True)
    log = LOGS / "host-unit-tests.log"
    if not UNIT_TESTS.exists():
        t.check("host: unit-tests built", False, [f"{UNIT_TESTS} is missing"])
        return
    with open(log, "wb") as out:
        try:
            proc = subprocess.run([UNIT_TESTS, f"--gtest_output=json:{report}"], cwd=ROOT,
                                  stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=subprocess.STDOUT, timeout=HOST_TIMEOUT)
            status = proc.returncode
        except subprocess.TimeoutExpired:
            status = f"none: killed after {HOST_TIMEOUT} s"
    output = log.read_text(errors="replace")
    try:
        data = json.loads(report.read_text())
    except (OSError, ValueError) as e:
        t.check("host: unit-tests ran", False,
                [f"no JSON report ({e}); exit status {status}"] + tail(output))
        return
    cases = gtest_outcomes(data)
    for name, outcome, details in cases:
        if outcome == "skip":
            t.skip(f"host: {name}", details)
        else:
            t.check(f"host: {name}", outcome == "pass", details)
    if not cases:
        t.note("host: build/host/unit-tests holds no test cases")
    if status != 0 and not any(outcome == "fail" for _, outcome, _ in cases):
        t.check("host: unit-tests exit status", False,
                [f"exit status {status} with no case failed"] + tail(output))


class TallyResult(unittest.TestResult):
    """Counts each case of a unittest run in a tally as it ends."""

    def __init__(self, tally):
        super().__init__()
        self.tally = tally

    def addSuccess(self, test):
        super().addSuccess(test)
        self.tally.check(f"host: {test.id()}", True)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.tally.check(f"host: {test.id()}", False,
                         self._exc_info_to_string(err, test).splitlines())

    def addError(self, test, err):
        super().addError(test, err)
        self.tally.check(f"host: {test.id()}", False,
                         self._exc_info_to_string(err, test).splitlines())

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.tally.skip(f"host: {test.id()}", reason)


def stage_host_python(t):
    """The scripts' own tests (tests/*_test.py, Python's unittest): each case counts."""
    suite = unittest.defaultTestLoader.discover(str(ROOT / "tests"), pattern="*_test.py",
                                                top_level_dir=str(ROOT / "tests"))
    result = TallyResult(t)
    suite.run(result)
    t.check("host: the scripts' Python tests were found and ran", result.testsRun > 0,
            [f"no test case in {ROOT / 'tests'}/*_test.py"])
