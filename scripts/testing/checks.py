"""What the boots are checked for: the banner, the KTAP stream, the self-tests' summary
line. Each function counts its checks in the Tally it is given."""
import fnmatch
import re

import ktap
from testing.paths import ROOT
from testing.tally import resolve


def expected_banner():
    """The banner as kernel/version.h spells it: name, version and architecture. If that
    cannot be read, a string no kernel prints, so that the banner checks fail."""
    try:
        text = (ROOT / "kernel" / "version.h").read_text()
        fields = dict(re.findall(r'#define\s+KERNEL_(NAME|VERSION|ARCH)\s+"([^"]*)"', text))
        return f"{fields['NAME']} version {fields['VERSION']} ({fields['ARCH']})"
    except (OSError, KeyError) as e:
        return f"<no banner: kernel/version.h: {e!r}>"


BANNER = expected_banner()

# GRUB draws its menu with cursor moves; after its last screen clear the kernel's first
# line follows on the same line of the byte stream, yet at the start of a screen line.
CURSOR_MOVE = r"\x1b\[[0-9;]*[HfJ]"
BANNER_LINE = (rb"(?:^|[\r\n]|" + CURSOR_MOVE.encode() + rb")" + re.escape(BANNER.encode()) +
               rb"\r?\n")

# The cases that skip for want of something a boot may not give them: the test disks
# (selftest stages without them), the initrd (a bare -kernel boot), swap disks and disks
# (the user suite's boot without them).
SKIP_WITHOUT_DISKS = ("disk.*", "disk_timeout.*", "disk_clock.*")
SKIP_WITHOUT_INITRD = ("fs.*",)
SKIP_WITHOUT_USER_DISKS = ("swap_*", "ioerr_*", "disk_*")

PANIC = re.compile(r"Kernel panic|Oops")


def lines_of(text):
    return [ktap.clean(line) for line in re.sub(CURSOR_MOVE, "\n", text).splitlines()]


def banner_line_present(text):
    return BANNER in (line.strip() for line in lines_of(text))


def first_line(text):
    lines = [line.strip() for line in lines_of(text) if line.strip()]
    return lines[0] if lines else None


def first_line_is_banner(text):
    return first_line(text) == BANNER


def screen_details(rows):
    return ["screen:"] + [f"  |{row.rstrip()}" for row in rows if row.strip()]


def check_ktap(t, label, text, details, may_skip=()):
    """Count each KTAP case of one boot, and check that the plan was kept. A skipped case
    counts as skipped if its name matches a glob of may_skip, else as a failure: this boot
    gave it what it needs. details: as for Tally.check, printed if the plan was not kept."""
    result = ktap.parse(text.splitlines())
    for case in result.cases:
        if case.skipped and any(fnmatch.fnmatchcase(case.name, g) for g in may_skip):
            t.skip(f"{label}: {case.name}", case.skip_reason)
            continue
        name = case.name + (f" # {case.directive}" if case.directive else "")
        if case.skipped:
            t.check(f"{label}: {name}", False,
                    ["skipped where nothing it needs is missing: a failure here"] +
                    [d.strip() for d in case.diagnostics])
            continue
        t.check(f"{label}: {name}", case.ok, [d.strip() for d in case.diagnostics])
    t.check(f"{label}: KTAP plan complete ({result.planned} planned, "
            f"{len(result.cases)} reported)", result.plan_matched,
            lambda: [f"KTAP: {e}" for e in result.errors] + resolve(details))
    return result


def check_selftest_summary(t, label, text, result, details):
    """The kernel's last line agrees with its KTAP: "all passed, N skipped" when nothing
    failed, else "N passed, N failed, N skipped"."""
    passed, failed, skipped = len(result.passed), len(result.failed), len(result.skipped)
    want = (f"# selftest: all passed, {skipped} skipped" if not failed else
            f"# selftest: {passed} passed, {failed} failed, {skipped} skipped")
    t.check(f"{label}: summary line '{want}'",
            want in (line.strip() for line in lines_of(text)), details)


def check_emulated(t, label, text, details):
    """The suite's emulated_count test says whether CMOV was emulated."""
    t.check(f"{label}: the CPU lacks CMOV and the kernel emulated it",
            re.search(r"(?m)^# CMOV emulated: \d+ emulated instructions", text), details)
