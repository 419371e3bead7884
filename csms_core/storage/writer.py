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
    from .database import Database

log = logging.getLogger("csms.storage")

Params = dict[str, Any] | Sequence[dict[str, Any]]
Step = tuple[Executable, Params]

MAX_BATCH = 1000  # jobs per transaction


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

    def __init__(self, db: Database, max_batch: int | None = None) -> None:
        self.db = db
        self.max_batch = max_batch or MAX_BATCH
        self._jobs: list[_Job] = []
        self._wakeup: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self._closing = False
        self._sqlite = (
            _SqliteWriter(db.sqlite_path, db.engine.dialect) if db.sqlite_path is not None else None
        )
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
        while not (self._closing and not self._jobs):
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._jobs:
                # Whatever queued while the last commit ran goes into the next one.
                batch = self._jobs[: self.max_batch]
                del self._jobs[: self.max_batch]
                await self._commit_batch(batch)
        if self._sqlite is not None:
            await asyncio.to_thread(self._sqlite.close)

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
                work = self._sqlite.prepare(list(groups.values()))
            except Exception:
                work = None  # not for the fast path: SQLAlchemy below
            if work is not None:
                try:
                    await asyncio.to_thread(self._sqlite.run, work)
                    return
                except Exception:
                    pass  # the path below raises SQLAlchemy's error, for the retry
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


class _SqliteWriter:
    """The group commit's own SQLite connection.

    Rows are flattened on the loop's thread into one multi-row INSERT per statement
    (statements compiled once per shape, datetimes converted with SQLAlchemy's own
    processors, once per distinct value), then a worker thread runs the transaction.
    One sqlite3 step per statement means the thread holds the GIL only briefly: with an
    executemany it re-took it for every row from the busy loop thread, and SQLAlchemy's
    own executemany cost ~30 us a row on the loop.
    """

    MAX_PLANS = 500
    MAX_VARIABLES = 30_000  # SQLite's limit is 32766 since 3.32

    def __init__(self, path: str, dialect: Any) -> None:
        self.path = path
        self.dialect = dialect
        self._connection: sqlite3.Connection | None = None
        self._plans: dict[tuple[Executable, tuple[str, ...]], Any] = {}

    def _plan(self, statement: Executable, keys: tuple[str, ...]) -> Any:
        plan = self._plans.get((statement, keys))
        if plan is None:
            if len(self._plans) >= self.MAX_PLANS:
                self._plans.clear()
            compiled = statement.compile(  # type: ignore[attr-defined]
                dialect=self.dialect, column_keys=list(keys)
            )
            names = compiled.positiontup
            if (
                compiled.insert_prefetch
                or compiled.update_prefetch
                or not compiled.positional
                or not names
                or not set(names) <= set(keys)
            ):
                # Python-side defaults or values fixed in the statement: SQLAlchemy's job.
                plan = False
            else:
                processors = compiled._bind_processors
                converted = [(i, processors[n]) for i, n in enumerate(names) if n in processors]
                getter = operator.itemgetter(*names) if len(names) > 1 else None
                group = "(" + ", ".join("?" * len(names)) + ")"
                sql = compiled.string
                # A plain INSERT .. VALUES (?, ..) becomes one statement for many rows.
                multi = getattr(statement, "is_insert", False) and sql.count(group) == 1
                plan = (sql, names, getter, converted, group if multi else None)
            self._plans[(statement, keys)] = plan
        return plan

    def prepare(self, groups: list[tuple[Executable, list[dict[str, Any]]]]) -> list[Any]:
        """On the loop's thread: (sql, parameters, executemany?) steps."""
        work: list[Any] = []
        memo: dict[Any, Any] = {}
        for statement, rows in groups:
            if not rows:
                continue
            keys = tuple(rows[0])
            plan = self._plan(statement, keys)
            if not plan or any(tuple(row) != keys for row in rows):
                raise ValueError("not for the fast path")
            sql, names, getter, converted, group = plan
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
            if group is None:
                work.append((sql, tuples, True))
                continue
            per_statement = max(1, self.MAX_VARIABLES // len(names))
            for start in range(0, len(tuples), per_statement):
                chunk = tuples[start : start + per_statement]
                flat = [value for values in chunk for value in values]
                work.append((sql.replace(group, ", ".join([group] * len(chunk))), flat, False))
        return work

    def run(self, work: list[Any]) -> None:
        """In a worker thread: one transaction."""
        connection = self._connection
        if connection is None:
            connection = self._connection = sqlite3.connect(
                self.path,
                isolation_level=None,
                check_same_thread=False,
                timeout=30,
                cached_statements=16,  # multi-row INSERTs vary in length: keep few
            )
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("BEGIN IMMEDIATE")
        try:
            for sql, parameters, many in work:
                if many:
                    connection.executemany(sql, parameters)
                else:
                    connection.execute(sql, parameters)
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
