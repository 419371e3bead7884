"""Batched primary-key reads: concurrent lookups of one table become one
``SELECT ... WHERE key IN (...)``. A reconnect storm otherwise queues thousands of
handshakes on the connection pool, one query each."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

if TYPE_CHECKING:
    from .database import Database

MAX_KEYS = 500  # below every backend's bound-parameter limit


class BatchGet:
    """``await loader.get(key)``: the row (detached ORM object) or None.

    A lookup joins the next query, never one already running, so it sees every write
    committed before it was made.
    """

    def __init__(self, db: Database, model: Any, max_keys: int = MAX_KEYS) -> None:
        self.db = db
        self.model = model
        (self.column,) = model.__table__.primary_key.columns
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
                async with self.db.read_session() as session:
                    rows = (
                        await session.scalars(select(self.model).where(self.column.in_(keys)))
                    ).all()
            except Exception as exc:
                for future in futures:
                    if not future.done():
                        future.set_exception(exc)
                continue
            found = {getattr(row, self.column.key): row for row in rows}
            for key, future in zip(keys, futures, strict=True):
                if not future.done():
                    future.set_result(found.get(key))
