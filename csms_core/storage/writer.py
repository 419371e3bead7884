"""Group commit: many handlers' writes go into one transaction, and each handler resumes
only after that transaction has committed, so nothing is acknowledged before it is stored.

One writer per process also means one SQLite writer: pooled connections that each take
the write lock wait on SQLite's busy handler (sleeps of 1 to 100 ms), which under load
costs far more than the writes themselves.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy.sql import Executable

if TYPE_CHECKING:
    from .database import Database

log = logging.getLogger("csms.storage")

Params = dict[str, Any] | Sequence[dict[str, Any]]
Step = tuple[Executable, Params]

MAX_BATCH = 1000  # jobs per transaction: bounds one commit's time on the loop's thread


class _Job:
    __slots__ = ("future", "steps")

    def __init__(self, steps: Sequence[Step], future: asyncio.Future[None]) -> None:
        self.steps = steps
        self.future = future


class GroupCommit:
    """``await writer.write((statement, rows), ...)``: the steps of one call are atomic.

    Statements should be built once (module constants): equal objects are merged into
    one executemany, in the order each first appears in the batch, so jobs that issue
    statements in a consistent order keep that order. A batch that fails is retried job
    by job, so one bad row fails only its own caller.
    """

    def __init__(self, db: Database, max_batch: int = MAX_BATCH) -> None:
        self.db = db
        self.max_batch = max_batch
        self._jobs: list[_Job] = []
        self._wakeup: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self._closing = False
        self.batches = 0
        self.jobs = 0

    async def write(self, *steps: Step) -> None:
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            # First write on this event loop (tests and CLI commands run several loops).
            self._jobs = []
            self._closing = False
            self._wakeup = asyncio.Event()
            self._task = loop.create_task(self._run())
        future = loop.create_future()
        self._jobs.append(_Job(steps, future))
        assert self._wakeup is not None
        self._wakeup.set()
        await future

    async def _run(self) -> None:
        assert self._wakeup is not None
        while not (self._closing and not self._jobs):
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._jobs:
                # Whatever queued while the last commit ran goes into the next one.
                batch = self._jobs[: self.max_batch]
                del self._jobs[: self.max_batch]
                await self._commit_batch(batch)

    async def _commit_batch(self, batch: list[_Job]) -> None:
        try:
            await self._commit(batch)
        except Exception as exc:
            if len(batch) == 1:
                if not batch[0].future.done():
                    batch[0].future.set_exception(exc)
                return
            log.warning("group commit of %d jobs failed (%s); retrying one by one", len(batch), exc)
            for job in batch:
                await self._commit_batch([job])
            return
        self.batches += 1
        self.jobs += len(batch)
        for job in batch:
            if not job.future.done():
                job.future.set_result(None)

    async def _commit(self, batch: list[_Job]) -> None:
        groups: dict[int, tuple[Executable, list[dict[str, Any]]]] = {}
        for job in batch:
            for statement, params in job.steps:
                group = groups.get(id(statement))
                if group is None:
                    group = groups[id(statement)] = (statement, [])
                if isinstance(params, dict):
                    group[1].append(params)
                else:
                    group[1].extend(params)
        async with self.db.engine.begin() as connection:
            for statement, rows in groups.values():
                if rows:
                    await connection.execute(statement, rows)

    async def close(self) -> None:
        """Commit what is queued, then stop."""
        if self._task is None or self._task.done():
            return
        if self._task.get_loop() is not asyncio.get_running_loop():
            self._task = None
            return
        self._closing = True
        assert self._wakeup is not None
        self._wakeup.set()
        await self._task
        self._task = None
        self._closing = False
