"""The async engine and session factory shared by the kernel and every plugin."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from .reader import BatchGet, BatchRead, Fetch
from .writer import GroupCommit, Step


class Database:
    def __init__(self, url: str, echo: bool = False, commit_delay: float = 0.0) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        # Parameters are key and password hashes, tokens: never in a log or an error message.
        options: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        if self.is_sqlite:
            database = self.url.database
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            options.update(pool_size=5, max_overflow=5, pool_timeout=60)
        else:
            options.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        self.engine = create_async_engine(self.url, **options)
        self.read_engine = self.engine
        if self.is_sqlite:
            _tune_sqlite(self.engine.sync_engine)
            # Readers begin deferred: in WAL they never wait for the writer, whereas
            # BEGIN IMMEDIATE would queue every read behind the write lock.
            self.read_engine = create_async_engine(self.url, **options)
            _tune_sqlite(self.read_engine.sync_engine, immediate=False)
        # SQLite: the group commit writes on the event loop's own thread, with the plain
        # driver. Through aiosqlite's thread every row of an executemany re-acquires the
        # GIL from the busy loop thread, and a batch took ~1 ms per message.
        self.write_engine: Engine | None = None
        if self.is_sqlite and self.url.database and self.url.database != ":memory:":
            self.write_engine = create_engine(
                self.url.set(drivername="sqlite+pysqlite"),
                pool_size=1,
                max_overflow=0,
                pool_timeout=0.1,  # the writer keeps its one connection; nobody waits
                hide_parameters=True,
            )
            # Never wait for the lock on the loop's thread: busy -> the async path waits.
            # Nor checkpoint there (it fsyncs): the writer checkpoints in a thread.
            _tune_sqlite(self.write_engine, busy_timeout_ms=0, autocheckpoint=False)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessions = async_sessionmaker(self.read_engine, expire_on_commit=False)
        self.writer = GroupCommit(self, commit_delay=commit_delay)
        self._loaders: dict[Any, BatchRead] = {}

    def read(self) -> AsyncSession:
        """The read session, the default way to read: ``async with db.read() as session``.
        On SQLite it begins deferred on connections that refuse writes, so a read never
        waits for (or takes) the write lock; on PostgreSQL it is a plain session."""
        return self.read_sessions()

    def transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        """The writing session: ``async with db.transaction() as session`` commits when the
        block ends (rolls back on an exception). On SQLite it begins ``IMMEDIATE``: the
        write lock is taken up front, so use it only to write (or to read what you write
        in the same transaction)."""
        return self.sessions.begin()

    async def get(self, model: Any, key: Any) -> Any:
        """Row of ``model`` by primary key, or None; concurrent lookups share one query."""
        loader = self._loaders.get(model)
        if loader is None:
            loader = self._loaders[model] = BatchGet(self, model)
        return await loader.get(key)

    def batched(self, name: str, fetch: Fetch, default: Any = None) -> BatchRead:
        """A shared reader named ``name``: ``await reader.get(key)`` is ``fetch(session,
        keys)[key]`` (or ``default``), one ``fetch`` for all lookups made meanwhile. For
        reads on hot paths (every boot): thousands of stations, one query per batch."""
        loader = self._loaders.get(name)
        if loader is None:
            loader = self._loaders[name] = BatchRead(self, fetch, default)
        return loader

    async def write(self, *steps: Step) -> None:
        """Run these (statement, rows) steps atomically in the next group commit; returns
        once committed. For hot-path writes that need no read in the same transaction."""
        await self.writer.write(*steps)

    async def close(self) -> None:
        await self.writer.close()
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()
        if self.write_engine is not None:
            self.write_engine.dispose()


def _tune_sqlite(
    engine: Any, immediate: bool = True, busy_timeout_ms: int = 30000, autocheckpoint: bool = True
) -> None:
    # WAL lets readers run beside the writer; BEGIN IMMEDIATE takes the write lock up
    # front so two transactions never deadlock upgrading a read lock (SQLAlchemy's recipe).
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        if not immediate:
            cursor.execute("PRAGMA query_only=ON")
        if not autocheckpoint:
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
