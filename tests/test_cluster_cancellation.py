"""A cluster loop that retries on errors still ends when its task is cancelled, also when the
library it awaits turns the cancellation into an error of its own (nats-py does: a
cancelled publish becomes TooManyStalledMsgsError or a TimeoutError). Before, a node's
shutdown could wait for such a loop forever (seen as a rare hang at test teardown)."""

from __future__ import annotations

import asyncio

from csms_core.cluster.nats import _stop_if_cancelled


async def a_library_call() -> None:
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        raise TimeoutError("the library's own error") from None


async def test_a_retrying_loop_ends_when_cancelled() -> None:
    attempts = 0
    started = asyncio.Event()

    async def retry_forever() -> None:
        nonlocal attempts
        while True:
            attempts += 1
            started.set()
            try:
                await a_library_call()
            except Exception:
                _stop_if_cancelled()
                await asyncio.sleep(0)  # then try again

    task = asyncio.ensure_future(retry_forever())
    await started.wait()
    task.cancel()
    await asyncio.wait({task}, timeout=5)
    try:
        assert task.cancelled() and attempts == 1
    finally:
        task.cancel()  # without the check the loop runs on: stop it for good
