#!/usr/bin/env python3
"""Parse KTAP version 1 output and report on it.

    scripts/ktap.py [FILE]      (standard input without FILE)

Everything before the first "KTAP version 1" line is ignored (firmware, loader and boot
messages), and so is any later line that is not KTAP. Prints each failed case with its
diagnostic lines, then "N passed, N failed, N skipped". A case that skipped (`ok N name
# SKIP reason`) counts as skipped, never as passed; `not ok` is a failure whatever its
directive. Cases the plan announced but that never reported count as failed. A "Bail
out!" line ends the stream: it is reported with its reason, and the cases still to come
count as failed. Exits 0 only if no case failed and the plan was complete.

The test runner imports this file: parse() takes the lines and returns a Result.
"""
import re
import sys
from dataclasses import dataclass, field

HEADER = re.compile(r"^(\s*)KTAP version 1\s*$")
PLAN = re.compile(r"^(\s*)1\.\.(\d+)\s*$")
RESULT = re.compile(r"^(\s*)(not ok|ok) (\d+)(?: -)?(?: ([^#]*?))?\s*(?:#\s*(.*))?$")
DIAGNOSTIC = re.compile(r"^\s*#")
BAIL_OUT = re.compile(r"^(\s*)Bail out!\s*(.*?)\s*$")
# Terminal control sequences (GRUB draws its menu with them) and carriage returns.
CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\r")


@dataclass
class Case:
    number: int
    name: str
    ok: bool
    directive: str = ""         # "SKIP reason" and the like
    diagnostics: list = field(default_factory=list)

    @property
    def skipped(self):
        return self.ok and self.directive.upper().startswith("SKIP")

    @property
    def passed(self):
        return self.ok and not self.skipped

    @property
    def skip_reason(self):
        return self.directive[4:].strip() if self.skipped else ""


@dataclass
class Result:
    found: bool = False         # a "KTAP version 1" header was seen
    planned: int | None = None
    cases: list = field(default_factory=list)
    errors: list = field(default_factory=list)     # what is wrong with the stream itself

    @property
    def passed(self):
        return [c for c in self.cases if c.passed]

    @property
    def skipped(self):
        return [c for c in self.cases if c.skipped]

    @property
    def failed(self):
        return [c for c in self.cases if not c.ok]

    @property
    def missing(self):
        """Cases the plan promised that never reported."""
        return max(0, (self.planned or 0) - len(self.cases))

    @property
    def plan_matched(self):
        return self.found and not self.errors

    @property
    def ok(self):
        return self.plan_matched and not self.failed


def clean(line):
    return CONTROL.sub("", line.rstrip("\n"))


def parse(lines):
    """Parse the top-level test of a KTAP stream; nested subtests (indented) are kept as
    diagnostics of the case they belong to."""
    result = Result()
    pending = []        # diagnostics seen since the last result line
    indent = None       # the top level's indentation
    for raw in lines:
        line = clean(raw)
        header = HEADER.match(line)
        if header:
            if not result.found:
                result.found, indent = True, header.group(1)
                continue
            if header.group(1) == indent:
                result.errors.append("a second KTAP header: the output restarted")
                break
        if not result.found:
            continue

        # The test gave up: what follows is not its results, and the cases it did not
        # get to are missing.
        bail = BAIL_OUT.match(line)
        if bail and bail.group(1) == indent:
            result.errors.append(f"bailed out: {bail.group(2) or 'no reason given'}")
            break

        plan = PLAN.match(line)
        if plan and plan.group(1) == indent:
            if result.planned is not None:
                result.errors.append(f"a second plan line: {line.strip()}")
            elif result.cases:
                result.errors.append("the plan comes after results")
            result.planned = int(plan.group(2))
            continue

        res = RESULT.match(line)
        if res and res.group(1) == indent:
            number = int(res.group(3))
            expected = len(result.cases) + 1
            if number != expected:
                result.errors.append(f"result {number} where {expected} was expected")
            result.cases.append(Case(number, (res.group(4) or "").strip(),
                                     res.group(2) == "ok", (res.group(5) or "").strip(),
                                     pending))
            pending = []
            continue

        if DIAGNOSTIC.match(line) or (res or plan or header or bail):
            pending.append(line)

    if not result.found:
        result.errors.append("no 'KTAP version 1' line")
    elif result.planned is None:
        result.errors.append("no plan line")
    elif len(result.cases) != result.planned:
        result.errors.append(f"planned {result.planned} cases, {len(result.cases)} reported")
    return result


def report(result, out=None):
    """Print the failures and the problems with the stream; returns (passed, failed,
    skipped)."""
    out = out or sys.stdout
    for case in result.failed:
        print(f"not ok {case.number} {case.name}", file=out)
        for line in case.diagnostics:
            print(f"    {line.strip()}", file=out)
    for error in result.errors:
        print(f"KTAP: {error}", file=out)
    return len(result.passed), len(result.failed) + result.missing, len(result.skipped)


def main(argv):
    if len(argv) > 2:
        print("usage: ktap.py [FILE]", file=sys.stderr)
        return 2
    if len(argv) == 2:
        with open(argv[1], errors="replace") as f:
            result = parse(f)
    else:
        result = parse(sys.stdin)
    passed, failed, skipped = report(result)
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
