"""Which stage starts next when several run at once.

A stage marked exclusive (it measures time, or loads the host on purpose) runs when
nothing else does, and nothing starts beside it. The others run `jobs` at a time.
"""
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Stage:
    name: str
    run: Callable               # run(tally): the stage's checks
    cost: int = 10              # seconds it takes on an idle host: the longest start first
    exclusive: bool = False

    @property
    def title(self):
        return self.run.__doc__.strip().splitlines()[0]


def run_order(stages, jobs):
    """The order to start stages in. One at a time: as listed. Several: the exclusive ones
    first (nothing runs yet, so no core idles while they wait), then the longest first, so
    that the short ones fill the gaps at the end."""
    if jobs <= 1:
        return list(stages)
    return sorted(stages, key=lambda s: (not s.exclusive, -s.cost))


class Schedule:
    def __init__(self, stages, jobs):
        if jobs < 1:
            raise ValueError(f"jobs must be at least 1, not {jobs}")
        self.waiting = list(stages)
        self.running = []
        self.jobs = jobs

    def next(self):
        """The first waiting stage that may start now, or None."""
        if len(self.running) >= self.jobs or any(s.exclusive for s in self.running):
            return None
        for stage in self.waiting:
            if not stage.exclusive or not self.running:
                return stage
        return None

    def start(self, stage):
        self.waiting.remove(stage)
        self.running.append(stage)

    def finish(self, stage):
        self.running.remove(stage)

    def done(self):
        return not self.waiting and not self.running
