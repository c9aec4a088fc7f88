#!/usr/bin/env python3
"""Every test of the project, on what `make` built: what `make test` runs.

    scripts/run-tests.py [--jobs N] [STAGE...]    all stages without STAGE; --list names them
    scripts/run-tests.py --in-process STAGE...    in this process, one after the other

Prints PASS, FAIL or SKIP and a name for each check, and last the line
"N passed, N failed, N skipped". A case that skipped (KTAP's "# SKIP", GoogleTest's
GTEST_SKIP) counts as skipped, never as passed; where a stage gives a case what it needs
(the disk and swap stages attach the disks) it may not skip, and a skip there is a failure.
Counted: each host GoogleTest case, each case of the scripts' own Python tests, each KTAP
case of each boot, and each other check.

Each stage runs in a process of its own, N at a time (default 2); its output is kept in
build/test-logs/stages/STAGE.log and printed whole when it ends, so that stages never
interleave. A stage marked exclusive runs with nothing beside it. Exits non-zero if
anything failed. Stages are independent: one failing does not stop the others. Each
emulator run is limited in time and killed (by its PID) when it overruns, which is a
failure. Logs of every run are in build/test-logs/. The stages are in scripts/testing/.
"""
import argparse
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from testing.machines import kill_all  # noqa: E402
from testing.paths import LOGS, ROOT  # noqa: E402
from testing.schedule import Schedule, run_order  # noqa: E402
from testing.stages import STAGES  # noqa: E402
from testing.tally import LOGS_LINE, Tally, stage_report  # noqa: E402

STAGE_LOGS = LOGS / "stages"
STOP_TIMEOUT = 60       # for a stage told to stop: Bochs takes up to 30 s to quit


def run_in_process(stages):
    """The stages one after the other, output as it comes; the sum of their tallies."""
    # A SIGTERM from the driver or a SIGINT (Ctrl-C) unwinds the stage, whose finally
    # blocks kill its emulators; a second signal must not cut that short.
    def stop(signum, _frame):
        for s in (signal.SIGINT, signal.SIGTERM):
            signal.signal(s, signal.SIG_IGN)
        sys.exit(128 + signum)
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, stop)
    total = Tally()
    for stage in stages:
        t = Tally()
        print(f"# {stage.name}: {stage.title}", flush=True)
        try:
            stage.run(t)
        except Exception:
            t.check(f"{stage.name}: stage ran to the end", False,
                    traceback.format_exc().splitlines())
        finally:
            kill_all()
        total.add(t)
    return total


class StageProcess:
    """A stage run by `run-tests.py --in-process STAGE`, its output into a log."""

    def __init__(self, stage):
        self.stage = stage
        self.log = STAGE_LOGS / f"{stage.name}.log"
        self.started = time.monotonic()
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen([sys.executable, __file__, "--in-process", stage.name],
                                         cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT)

    def report(self):
        """Prints the stage's output whole and returns its counts."""
        lines = self.log.read_text(errors="replace").splitlines()
        body, counts = stage_report(self.stage.name, lines, self.proc.returncode)
        body.append(f"# {self.stage.name}: {time.monotonic() - self.started:.0f} s")
        print("\n".join(body), flush=True)
        return counts

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def run_in_processes(stages, jobs):
    """Each stage in a process of its own, `jobs` at a time; the sum of their tallies."""
    STAGE_LOGS.mkdir(parents=True, exist_ok=True)
    schedule = Schedule(run_order(stages, jobs), jobs)
    total = Tally()
    running = []
    try:
        while not schedule.done():
            while (stage := schedule.next()) is not None:
                schedule.start(stage)
                running.append(StageProcess(stage))
            for child in [c for c in running if c.proc.poll() is not None]:
                running.remove(child)
                schedule.finish(child.stage)
                total.add(child.report())
            time.sleep(0.1)
    finally:
        for child in running:
            child.stop()
    return total


def main(argv):
    names = [s.name for s in STAGES]
    parser = argparse.ArgumentParser(prog="run-tests.py", description=__doc__.splitlines()[0])
    parser.add_argument("stages", nargs="*", metavar="STAGE", help="stages to run (default: all)")
    parser.add_argument("--list", action="store_true", help="name the stages, in order")
    parser.add_argument("--jobs", "-j", type=int, default=2,
                        help="stages running at once (default 2; 1: one after the other)")
    parser.add_argument("--in-process", action="store_true",
                        help="run the stages in this process, output as it comes")
    args = parser.parse_args(argv[1:])
    if args.list:
        print("\n".join(names))
        return 0
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, not {args.jobs}")
    unknown = [n for n in args.stages if n not in names]
    if unknown:
        print(f"unknown stage(s): {' '.join(unknown)}; stages: {' '.join(names)}",
              file=sys.stderr)
        return 2
    chosen = [s for s in STAGES if not args.stages or s.name in args.stages]
    LOGS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        total = (run_in_process(chosen) if args.in_process else
                 run_in_processes(chosen, args.jobs))
    except KeyboardInterrupt:
        print("# interrupted: the stages still running were stopped, no summary",
              file=sys.stderr)
        return 130
    finally:
        kill_all()
    print(f"{LOGS_LINE}{LOGS.relative_to(ROOT)}/, {time.monotonic() - started:.0f} s", flush=True)
    print(total.summary(), flush=True)
    return 1 if total.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
