"""Threads that race each other round after round, for the concurrency tests on PostgreSQL.

Each racer is one thread with its own database connection, kept for all the rounds (Django's
connections are per thread): a test of 200 rounds × 8 threads opens 8 connections, not 1,600, and
spends its time on the race itself. In every round all racers wait at one barrier and then call the
round's function at the same moment; `Racers.round` returns what each call returned or raised, in
racer order. Racers stop, and close their connections, when the `with` block ends.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection

ROUND_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Outcome:
    racer: int
    value: Any = None
    error: BaseException | None = None


class Racers:
    def __init__(self, count: int) -> None:
        self.count = count
        self._jobs: list[queue.Queue] = [queue.Queue() for _ in range(count)]
        self._outcomes: queue.Queue[Outcome] = queue.Queue()
        self._threads = [threading.Thread(target=self._serve, args=(i,), daemon=True) for i in range(count)]

    def __enter__(self) -> Racers:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for jobs in self._jobs:
            jobs.put(None)
        for thread in self._threads:
            thread.join(ROUND_TIMEOUT_SECONDS)

    def _serve(self, racer: int) -> None:
        try:
            while (job := self._jobs[racer].get()) is not None:
                barrier, function = job
                try:
                    barrier.wait(ROUND_TIMEOUT_SECONDS)
                    self._outcomes.put(Outcome(racer, value=function(racer)))
                except BaseException as error:  # noqa: BLE001 - handed to the test, which decides
                    self._outcomes.put(Outcome(racer, error=error))
        finally:
            connection.close()

    def round(self, function: Callable[[int], Any]) -> list[Outcome]:
        """Run `function(racer)` in every racer at once; wait for all of them."""
        barrier = threading.Barrier(self.count)
        for jobs in self._jobs:
            jobs.put((barrier, function))
        outcomes = [self._outcomes.get(timeout=ROUND_TIMEOUT_SECONDS) for _ in range(self.count)]
        return sorted(outcomes, key=lambda outcome: outcome.racer)


def split(outcomes: list[Outcome], *expected: type[BaseException]) -> tuple[list[Outcome], list[Outcome]]:
    """(wins, refusals): calls that returned, and calls refused with one of the expected errors.
    Any other error is re-raised, so a crash in a racer fails the test instead of counting as a loss."""
    for outcome in outcomes:
        if outcome.error is not None and not isinstance(outcome.error, expected):
            raise outcome.error
    return [o for o in outcomes if o.error is None], [o for o in outcomes if o.error is not None]
