"""Taking many of the same change in one transaction: the residents' submissions at the cutoff.

One at a time, each submission is its own transaction: on SQLite one writer after another, on
PostgreSQL a flush to disk each; that is most of the cost of taking one. `Batches` lets the
requests that come while a batch is being taken wait together and be taken next, all at once, by
one function in one worker thread. A lone request is a batch of one and waits for nothing; under a
rush the batches grow by themselves with the queue, so the waiting they add is at most one batch.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from starlette.concurrency import run_in_threadpool

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")

LARGEST_BATCH = 200
"""The most items taken in one batch: a transaction of about a tenth of a second on SQLite."""


class Batches(Generic[Item, Outcome]):
    """Items put on the event loop, taken in batches by `take` in a worker thread.

    Parameters
    ----------
    take : callable
        Takes a batch and returns each item's outcome, in order (one list as long as the batch).
        An exception it raises is each item's of that batch.
    largest : int, optional
        The most items in one batch.
    """

    def __init__(
        self, take: Callable[[Sequence[Item]], list[Outcome]], largest: int = LARGEST_BATCH
    ) -> None:
        self.take = take
        self.largest = largest
        # Per event loop (a server has one; tests may run several, even at once).
        self.lines: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Line[Item, Outcome]] = (
            weakref.WeakKeyDictionary()
        )

    async def put(self, item: Item) -> Outcome:
        """Wait for the item to be taken (with those waiting beside it); its outcome."""
        loop = asyncio.get_running_loop()
        line = self.lines.setdefault(loop, _Line())
        outcome: asyncio.Future[Outcome] = loop.create_future()
        line.waiting.append((item, outcome))
        if line.taker is None:
            # A task of its own, not the first caller's: that caller is answered with its batch.
            line.taker = loop.create_task(self._take_all(line))
        return await outcome

    async def _take_all(self, line: _Line[Item, Outcome]) -> None:
        """Take batches until none waits."""
        try:
            while line.waiting:
                batch = line.waiting[: self.largest]
                del line.waiting[: self.largest]
                await self._take(batch)
        finally:
            line.taker = None

    async def _take(self, batch: list[tuple[Item, asyncio.Future[Outcome]]]) -> None:
        """One batch, in a worker thread; each caller's outcome (or the batch's exception)."""
        try:
            outcomes = await run_in_threadpool(self.take, [item for item, _ in batch])
            if len(outcomes) != len(batch):
                raise RuntimeError(f"{len(outcomes)} outcomes for a batch of {len(batch)}")
        except Exception as error:  # each caller of the batch gets it raised
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for (_, future), result in zip(batch, outcomes, strict=True):
            if not future.done():
                future.set_result(result)


@dataclass
class _Line(Generic[Item, Outcome]):
    """The items waiting on one event loop, and the task taking them (None when none is)."""

    waiting: list[tuple[Item, asyncio.Future[Outcome]]] = field(default_factory=list)
    taker: asyncio.Task[None] | None = None
