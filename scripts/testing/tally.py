"""The counted checks of a stage: PASS, FAIL or SKIP and a name, one line each.

Each stage gets a Tally of its own and writes to it; the driver adds the stages' counts up
and prints the last line of `make test`, the summary "N passed, N failed, N skipped".
"""
import io
import re
import sys

from machine import tail

SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed, (\d+) skipped$")
LOGS_LINE = "# logs in "     # the driver's line before the summary


def resolve(details):
    return details() if callable(details) else details


class Tally:
    def __init__(self, out=None):
        self.out = out          # None: whatever sys.stdout is when a line is written
        self.passed = 0
        self.failed = 0
        self.skipped = 0

    def _print(self, line):
        print(line, file=self.out or sys.stdout, flush=True)

    def skip(self, name, reason):
        """A case that did not run here: neither a pass nor a failure."""
        self.skipped += 1
        self._print(f"SKIP {name}: {reason}")

    def check(self, name, ok, details=()):
        """One counted check; details (lines, or a function returning them) are printed
        under a failure."""
        if ok:
            self.passed += 1
            self._print(f"PASS {name}")
        else:
            self.failed += 1
            self._print(f"FAIL {name}")
            for line in resolve(details):
                self._print(f"    {line}")
        return bool(ok)

    def note(self, text):
        """An uncounted remark (a figure, a duration) for whoever reads the output."""
        self._print(f"NOTE {text}")

    def add(self, other):
        """Counts another tally's checks in this one (the driver's total)."""
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped

    def summary(self):
        return f"{self.passed} passed, {self.failed} failed, {self.skipped} skipped"

    @classmethod
    def from_summary(cls, line):
        """The counts of a summary line (a stage run in a process of its own ends with
        one), or None if the line is not one."""
        found = SUMMARY.match(line.strip())
        if not found:
            return None
        t = cls()
        t.passed, t.failed, t.skipped = (int(n) for n in found.groups())
        return t


def stage_report(name, lines, status):
    """What a stage's process printed, without its closing lines, and its counts: those of
    its summary line, or one failure if it ended without one."""
    counts = Tally.from_summary(lines[-1]) if lines else None
    if counts is None:
        out = io.StringIO()
        counts = Tally(out)
        counts.check(f"{name}: stage ran to the end", False,
                     [f"its process ended with status {status} and no summary line"] +
                     tail("\n".join(lines), 10))
        return lines + out.getvalue().splitlines(), counts
    body = lines[:-1]
    if body and body[-1].startswith(LOGS_LINE):
        body = body[:-1]
    return body, counts
