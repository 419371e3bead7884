"""Batched reads: concurrent lookups become one query. A reconnect storm otherwise queues
thousands of handshakes and boots on the connection pool, one query each.

``BatchGet`` is the primary-key case (``db.get``); ``BatchRead`` takes any
``fetch(session, keys) -> {key: value}`` (``db.batched``), e.g. the rows of a non-unique
column, or one shared answer for every caller (a single key)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from .database import Database

MAX_KEYS = 500  # below every backend's bound-parameter limit

Fetch = Callable[[AsyncSession, Sequence[Any]], Awaitable[dict[Any, Any]]]


class BatchRead:
    """``await reader.get(key)``: ``fetch``'s value for that key, or ``default``.

    A lookup joins the next query, never one already running, so it sees every write
    committed before it was made. Queries run on a read session.
    """

    def __init__(
        self, db: Database, fetch: Fetch, default: Any = None, max_keys: int = MAX_KEYS
    ) -> None:
        self.db = db
        self.fetch = fetch
        self.default = default
        self.max_keys = max_keys
        self._waiting: dict[Any, asyncio.Future[Any]] = {}
        self._task: asyncio.Task | None = None

    async def get(self, key: Any) -> Any:
        future = self._waiting.get(key)
        if future is None:
            loop = asyncio.get_running_loop()
            future = self._waiting[key] = loop.create_future()
            if self._task is None or self._task.done() or self._task.get_loop() is not loop:
                self._task = loop.create_task(self._run())
        # Shielded: one caller giving up must not cancel the answer others wait for.
        return await asyncio.shield(future)

    async def _run(self) -> None:
        while self._waiting:
            keys = list(self._waiting)[: self.max_keys]
            futures = [self._waiting.pop(key) for key in keys]
            try:
                async with self.db.read() as session:
                    found = await self.fetch(session, keys)
            except Exception as exc:
                for future in futures:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for key, future in zip(keys, futures, strict=True):
                if not future.done():
                    future.set_result(found.get(key, self.default))


class BatchGet(BatchRead):
    """``await loader.get(key)``: the row (detached ORM object) or None."""

    def __init__(self, db: Database, model: Any, max_keys: int = MAX_KEYS) -> None:
        self.model = model
        (self.column,) = model.__table__.primary_key.columns
        super().__init__(db, self._fetch_rows, max_keys=max_keys)

    async def _fetch_rows(self, session: AsyncSession, keys: Sequence[Any]) -> dict[Any, Any]:
        rows = (await session.scalars(select(self.model).where(self.column.in_(keys)))).all()
        return {getattr(row, self.column.key): row for row in rows}
