"""Tests of scripts/machine.py, which runs the emulators for the tests.

Run by `make test` (the host-python stage), or alone:
python3 -m unittest discover -s tests -p '*_test.py'
"""
import subprocess
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from machine import end_process_group  # noqa: E402


class ProcessGroup(unittest.TestCase):
    def test_what_outlives_its_parent_is_killed(self):
        # The leader exits at once and leaves a child behind in its group, as
        # bochs-run.sh killed before its Bochs would.
        proc = subprocess.Popen(["sh", "-c", "sleep 60 & echo $!"], stdout=subprocess.PIPE,
                                text=True, start_new_session=True)
        orphan = int(proc.stdout.readline())
        proc.wait()
        proc.stdout.close()
        self.assertTrue(end_process_group(proc.pid))
        for _ in range(100):
            if not alive(orphan):
                break
            time.sleep(0.05)
        else:
            self.fail(f"PID {orphan} still runs")

    def test_nothing_left(self):
        proc = subprocess.Popen(["true"], start_new_session=True)
        proc.wait()
        self.assertFalse(end_process_group(proc.pid))


def alive(pid):
    """Whether pid runs: neither gone nor a zombie waiting for init to reap it."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


if __name__ == "__main__":
    unittest.main()
