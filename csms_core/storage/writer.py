"""Group commit: many handlers' writes go into one transaction, and each handler resumes
only after that transaction has committed, so nothing is acknowledged before it is stored.

One writer per process also means one SQLite writer: pooled connections that each take
the write lock wait on SQLite's busy handler (sleeps of 1 to 100 ms), which under load
costs far more than the writes themselves.
"""

from __future__ import annotations

import asyncio
import logging
import operator
import sqlite3
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy.sql import Executable

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from .database import Database

log = logging.getLogger("csms.storage")

Params = dict[str, Any] | Sequence[dict[str, Any]]
Step = tuple[Executable, Params]

MAX_BATCH = 1000  # jobs per transaction
MAX_SYNC_BATCH = 200  # on the loop's thread (SQLite): bounds how long one commit blocks it
CHECKPOINT_SECONDS = 1.0  # SQLite: how often the WAL is copied back, in a thread


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

    def __init__(
        self, db: Database, max_batch: int | None = None, commit_delay: float = 0.0
    ) -> None:
        self.db = db
        # Wait this long after the first write of a batch for others to join it (like
        # PostgreSQL's commit_delay): at moderate rates one COMMIT per message costs more
        # CPU than the wait costs latency.
        self.commit_delay = commit_delay
        self.max_batch = max_batch or (MAX_SYNC_BATCH if db.write_engine is not None else MAX_BATCH)
        self._jobs: list[_Job] = []
        self._wakeup: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self._closing = False
        self._sqlite = _SqliteWriter(db.write_engine) if db.write_engine is not None else None
        self.batches = 0
        self.jobs = 0
        self.seconds = 0.0  # spent committing: with batches and jobs, the writer's load

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
        checkpoint: asyncio.Task | None = None
        last_checkpoint = time.monotonic()
        while not (self._closing and not self._jobs):
            await self._wakeup.wait()
            if self.commit_delay:
                await asyncio.sleep(self.commit_delay)
            self._wakeup.clear()
            while self._jobs:
                # Whatever queued while the last commit ran goes into the next one.
                batch = self._jobs[: self.max_batch]
                del self._jobs[: self.max_batch]
                await self._commit_batch(batch)
            if (
                self._sqlite is not None
                and (checkpoint is None or checkpoint.done())
                and time.monotonic() - last_checkpoint > CHECKPOINT_SECONDS
            ):
                last_checkpoint = time.monotonic()
                checkpoint = asyncio.ensure_future(asyncio.to_thread(self._sqlite.checkpoint))
        if checkpoint is not None:
            await checkpoint

    async def _commit_batch(self, batch: list[_Job]) -> None:
        started = time.perf_counter()
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
        self.seconds += time.perf_counter() - started
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
        if self._sqlite is not None:
            try:
                self._sqlite.commit(list(groups.values()))
                return
            except _Busy:
                pass  # another connection holds the write lock: wait for it off the loop
            except Exception:
                pass  # the async path below raises SQLAlchemy's error for the retry
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
        if self.batches:
            log.info(
                "group commit: %d jobs in %d transactions, %.1f ms each on average",
                self.jobs,
                self.batches,
                1000 * self.seconds / self.batches,
            )


class _Busy(Exception):
    pass


class _SqliteWriter:
    """The group commit's own SQLite connection, used on the event loop's thread.

    Statements are compiled once per shape; rows go to the driver's executemany as
    tuples, with SQLAlchemy's own bind processors (datetimes) applied once per distinct
    value. Per row this is a few microseconds instead of SQLAlchemy's ~30.
    """

    MAX_PLANS = 500

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._raw: Any = None
        self._plans: dict[tuple[Executable, tuple[str, ...]], Any] = {}

    def _plan(self, statement: Executable, keys: tuple[str, ...]) -> Any:
        plan = self._plans.get((statement, keys))
        if plan is None:
            if len(self._plans) >= self.MAX_PLANS:
                self._plans.clear()
            compiled = statement.compile(  # type: ignore[attr-defined]
                dialect=self.engine.dialect, column_keys=list(keys)
            )
            if (
                compiled.insert_prefetch
                or compiled.update_prefetch
                or not compiled.positional
                or not compiled.positiontup
                or not set(compiled.positiontup) <= set(keys)
            ):
                # Python-side defaults or values fixed in the statement: SQLAlchemy's job.
                plan = False
            else:
                names = compiled.positiontup
                processors = compiled._bind_processors
                converted = [(i, processors[n]) for i, n in enumerate(names) if n in processors]
                getter = operator.itemgetter(*names) if len(names) > 1 else None
                plan = (compiled.string, names, getter, converted)
            self._plans[(statement, keys)] = plan
        return plan

    def checkpoint(self) -> None:
        """Copy the WAL into the database (fsync included) from a worker thread."""
        try:
            connection = sqlite3.connect(self.engine.url.database, timeout=30)
            try:
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                connection.close()
        except Exception:
            log.exception("WAL checkpoint failed")

    def commit(self, groups: list[tuple[Executable, list[dict[str, Any]]]]) -> None:
        work = []
        memo: dict[Any, Any] = {}
        for statement, rows in groups:
            if not rows:
                continue
            keys = tuple(rows[0])
            plan = self._plan(statement, keys)
            if not plan or any(tuple(row) != keys for row in rows):
                raise ValueError("not for the fast path")
            sql, names, getter, converted = plan
            tuples = []
            for row in rows:
                # itemgetter builds the row's tuple in C; only datetimes need converting.
                values = list(getter(row)) if getter is not None else [row[names[0]]]
                for index, process in converted:
                    value = values[index]
                    if value is not None:
                        done = memo.get(value)
                        if done is None:
                            done = memo[value] = process(value)
                        values[index] = done
                tuples.append(values)
            work.append((sql, tuples))
        if self._raw is None:
            self._raw = self.engine.raw_connection()
        connection = self._raw.driver_connection
        try:
            connection.execute("BEGIN IMMEDIATE")
        except Exception as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise _Busy() from exc
            raise
        try:
            for sql, tuples in work:
                connection.executemany(sql, tuples)
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
