"""The NATS-backed call router: presence in JetStream KV, calls by request-reply.

- Presence: bucket ``<cluster>_stations`` maps each station to the node holding its socket.
  Every claim is a KV put; the KV orders them, so the latest revision owns the station. Every
  node mirrors the bucket with a watcher, and a node that sees a newer claim by another node
  for a station it holds closes its session (a reconnect elsewhere wins; a duplicate connection
  on two nodes ends with one owner).
- Liveness: each node puts ``<cluster>_nodes/<node>`` every ``cluster_ttl / 3`` seconds. A
  claim counts only while its node is heard from, so a node that dies loses its stations
  within ``cluster_ttl``; the leader deletes such claims.
- Calls: the holder subscribes ``<cluster>.station.<token>``; any node sends a request there.
  Nobody subscribed: "no responders", i.e. StationNotConnected at once. The request carries the
  claim revision the caller knows, so a node that lost the station stays silent.
- Watches: a node watching a station held elsewhere asks the holder (op ``watch``) to relay
  the station's messages to an inbox until it publishes ``<inbox>.stop`` (or a time limit).
- Singletons: a lock in ``<cluster>_locks`` (KV create, renewed with compare-and-set, expiring
  after ``cluster_ttl``) lets one node at a time run a periodic job.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import ssl
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js.errors import BucketNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from ..errors import (
    ActionNotAvailable,
    CallErrorReceived,
    CallFailed,
    CallTimeout,
    ConfigError,
    PayloadRejected,
    StationNotConnected,
    StationRejected,
)
from ..redact import mask_url_credentials, redact
from ..watch import StationMessage

if TYPE_CHECKING:
    from ..app import Csms
    from ..session import StationSession

log = logging.getLogger("csms.cluster")

REVISION_HEADER = "Csms-Claim"
OPERATION_HEADER = "Csms-Op"
BROKER_MARGIN = 5.0  # seconds a request may spend in the broker on top of the call timeout
LEADER_LOCK = "leader"
CONNECT_TIMEOUT = 15.0
MAX_CALL_SECONDS = 300.0  # longest call timeout a request may ask for (unless call_timeout is)
RELAY_SECONDS = 900.0  # a watcher that vanished without saying stop costs at most this


def token(text: str) -> str:
    """A station id or lock name as one subject token and KV key (any characters allowed)."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def untoken(value: str) -> str:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()


@dataclass
class Claim:
    node: str | None  # None: deleted
    revision: int
    seen_at: float  # loop time we learned of it


class NatsRouter:
    def __init__(self, app: Csms, url: str) -> None:
        self.app = app
        self.url = url
        self.node = app.node_id
        self.name = app.settings.cluster_name
        self.ttl = app.settings.cluster_ttl
        self.servers, self.options = broker_options(url, app.settings.cluster_credentials)
        self.shown_url = mask_url_credentials(url)
        self.nc: Client | None = None
        self.stations_kv: KeyValue | None = None
        self.nodes_kv: KeyValue | None = None
        self.locks_kv: KeyValue | None = None
        self._sessions: dict[str, StationSession] = {}
        self._claims: dict[StationSession, int] = {}  # our sessions' claim revisions
        self._lost: weakref.WeakSet[StationSession] = weakref.WeakSet()  # closing: not ours
        self._subs: dict[str, Subscription] = {}
        self._owners: dict[str, Claim] = {}  # mirror of the stations bucket
        self._heard: dict[str, float] = {}  # node -> loop time of its last heartbeat
        self._leading: set[str] = set()
        self._tasks: set[asyncio.Task] = set()
        self._watchers: list[Any] = []

    # --- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        try:
            # Reconnect forever once connected, but do not hang at start-up: nats-py's
            # first connect would retry forever too.
            self.nc = await asyncio.wait_for(
                nats.connect(
                    self.servers,
                    name=f"csms {self.node}",
                    max_reconnect_attempts=-1,
                    connect_timeout=5,
                    error_cb=self._on_broker_error,
                    disconnected_cb=self._on_disconnected,
                    reconnected_cb=self._on_reconnected,
                    **self.options,
                ),
                CONNECT_TIMEOUT,
            )
        except TimeoutError:
            raise ConnectionError(
                f"cannot reach NATS at {self.shown_url} (cluster_url) within {CONNECT_TIMEOUT:g} s"
            ) from None
        self._check_tls()
        js = self.nc.jetstream()
        self.stations_kv = await _bucket(js, f"{self.name}_stations", ttl=None)
        self.nodes_kv = await _bucket(js, f"{self.name}_nodes", ttl=self.ttl)
        self.locks_kv = await _bucket(js, f"{self.name}_locks", ttl=self.ttl)
        await self._heartbeat()
        # Load the current state before serving, so the first API answers are right.
        for kv, apply in ((self.nodes_kv, self._apply_node), (self.stations_kv, self._apply)):
            watcher = await kv.watchall()
            self._watchers.append(watcher)
            async for entry in watcher:
                if entry is None:  # initial values done
                    break
                apply(entry)
            self._start_task(self._follow(kv, watcher, apply))
        self._start_task(self._heartbeat_forever())
        self._start_task(self.run_singleton(LEADER_LOCK, self._leader_duties))
        log.info("node %s joined cluster %r at %s", self.node, self.name, self.shown_url)

    async def _on_broker_error(self, error: Exception) -> None:
        log.warning("NATS: %s", error)

    async def _on_disconnected(self) -> None:
        log.warning("lost the connection to NATS; reconnecting")

    async def _on_reconnected(self) -> None:
        log.info("reconnected to NATS")
        try:
            self._check_tls()
        except ConnectionError as exc:
            log.error("%s; closing the connection", exc)
            if self.nc is not None:
                await self.nc.close()

    def _check_tls(self) -> None:
        """nats-py upgrades to TLS only when the server says it requires TLS: with TLS asked
        for (tls://), a server (or someone in between) that does not is refused."""
        assert self.nc is not None
        if "tls" in self.options and not getattr(self.nc, "_server_info", {}).get("tls_required"):
            raise ConnectionError(
                f"cluster_url asks for TLS but the NATS server at {self.shown_url} does not "
                "require it"
            )

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for watcher in self._watchers:
            with contextlib.suppress(Exception):
                await watcher.stop()
        if self.nodes_kv is not None:
            with contextlib.suppress(Exception):
                await self.nodes_kv.delete(token(self.node))  # others need not wait the TTL
        if self.nc is not None:
            with contextlib.suppress(Exception):
                await self.nc.drain()

    def _start_task(self, coro: Awaitable[Any]) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)

        def done(t: asyncio.Task) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("cluster task failed", exc_info=t.exception())

        task.add_done_callback(done)
        return task

    # --- presence ---------------------------------------------------------------------

    async def attach(self, session: StationSession) -> StationSession | None:
        assert self.stations_kv is not None and self.nc is not None
        station_id = session.id
        previous = self._sessions.get(station_id)
        self._sessions[station_id] = session
        if station_id not in self._subs:
            self._subs[station_id] = await self.nc.subscribe(
                f"{self.name}.station.{token(station_id)}", cb=self._on_request
            )
        await self._claim(session)
        return previous

    async def _claim(self, session: StationSession) -> None:
        assert self.stations_kv is not None
        value = json.dumps({"node": self.node, "station": session.id}).encode()
        revision = await self.stations_kv.put(token(session.id), value)
        self._claims[session] = revision
        self._learn(session.id, Claim(self.node, revision, _now()))
        owner = self._owners[session.id]
        if owner.node != self.node and owner.revision > revision:
            # Another node claimed it while our put was in flight: theirs is newer.
            self._lose(session, owner)

    async def detach(self, session: StationSession) -> None:
        station_id = session.id
        revision = self._claims.pop(session, None)
        if self._sessions.get(station_id) is not session:
            return
        del self._sessions[station_id]
        sub = self._subs.pop(station_id, None)
        if sub is not None:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
        if revision is not None and self.stations_kv is not None:
            # Compare-and-delete: a newer claim by another node must survive.
            with contextlib.suppress(Exception):
                await self.stations_kv.delete(token(station_id), last=revision)

    def _apply(self, entry: KeyValue.Entry) -> None:
        station_id = untoken(entry.key)
        revision = entry.revision or 0
        if entry.operation in ("DEL", "PURGE") or not entry.value:
            self._learn(station_id, Claim(None, revision, _now()))
            return
        node = json.loads(entry.value)["node"]
        claim = Claim(node, revision, _now())
        self._learn(station_id, claim)
        session = self._sessions.get(station_id)
        if session is not None and node != self.node:
            ours = self._claims.get(session)
            if ours is not None and revision > ours:
                self._lose(session, claim)

    def _learn(self, station_id: str, claim: Claim) -> None:
        known = self._owners.get(station_id)
        if known is None or claim.revision >= known.revision:
            self._owners[station_id] = claim

    def _lose(self, session: StationSession, winner: Claim) -> None:
        """Another node holds the station now: close our (stale) connection to it."""
        if self._claims.pop(session, None) is None:
            return
        self._lost.add(session)
        log.info("%r is now held by node %s; closing our connection", session.id, winner.node)
        self._start_task(session.close(1000, "connected to another node"))

    def _apply_node(self, entry: KeyValue.Entry) -> None:
        node = untoken(entry.key)
        if entry.operation in ("DEL", "PURGE") or not entry.value:
            self._heard.pop(node, None)
        else:
            self._heard[node] = _now()

    async def _follow(
        self, kv: KeyValue, watcher: Any, apply: Callable[[KeyValue.Entry], None]
    ) -> None:
        """Keep the mirror current; if the watch ends (broker trouble), watch again: the
        current values come first, and applying them twice is harmless."""
        while True:
            try:
                async for entry in watcher:
                    if entry is not None:
                        apply(entry)
                log.warning("KV watch of %s ended; watching again", kv._name)
            except Exception as exc:
                _stop_if_cancelled()
                log.warning("KV watch of %s failed (%s); watching again", kv._name, exc)
            with contextlib.suppress(Exception):
                self._watchers.remove(watcher)
                await watcher.stop()
            while True:
                await asyncio.sleep(1.0)
                try:
                    watcher = await kv.watchall()
                    break
                except Exception as exc:
                    _stop_if_cancelled()
                    log.warning("cannot watch %s yet: %s", kv._name, exc)
            self._watchers.append(watcher)

    async def _heartbeat(self) -> None:
        assert self.nodes_kv is not None
        await self.nodes_kv.put(token(self.node), json.dumps({"node": self.node}).encode())

    async def _heartbeat_forever(self) -> None:
        while True:
            await asyncio.sleep(self.ttl / 3)
            try:
                await self._heartbeat()
                await self._reconcile()
            except Exception as exc:  # broker away: nats-py reconnects; try again next beat
                _stop_if_cancelled()
                log.warning("cluster heartbeat failed: %s", exc)

    async def _reconcile(self) -> None:
        """Re-claim a station whose claim vanished (e.g. deleted while we were cut off)."""
        for station_id, session in list(self._sessions.items()):
            ours = self._claims.get(session)
            owner = self._owners.get(station_id)
            if ours is None or session.closed:
                continue
            if owner is None or owner.node is None:
                await self._claim(session)
            elif owner.node != self.node and owner.revision > ours:
                self._lose(session, owner)

    def _alive(self, claim: Claim | None) -> bool:
        if claim is None or claim.node is None:
            return False
        if claim.node == self.node:
            return True
        # A fresh claim is itself a sign of life (its node's heartbeat may not be here yet).
        last = max(self._heard.get(claim.node, float("-inf")), claim.seen_at)
        return _now() - last < self.ttl

    async def is_connected(self, station_id: str) -> bool:
        return station_id in self._sessions or self._alive(self._owners.get(station_id))

    async def connected_ids(self) -> set[str]:
        return set(self._sessions) | {
            sid for sid, claim in self._owners.items() if self._alive(claim)
        }

    def held_elsewhere(self, station_id: str) -> bool:
        if station_id in self._sessions:
            return False
        owner = self._owners.get(station_id)
        return owner is not None and owner.node != self.node and self._alive(owner)

    def local_session(self, station_id: str) -> StationSession | None:
        return self._sessions.get(station_id)

    def local_sessions(self) -> list[StationSession]:
        return list(self._sessions.values())

    # --- calls ------------------------------------------------------------------------

    async def send_call(
        self,
        station_id: str,
        action: str,
        payload: dict,
        timeout: float,
        permits: Iterable[str] = (),
        checked: bool = True,
    ) -> dict:
        session = self._sessions.get(station_id)
        if session is not None and session not in self._lost:
            if not checked:  # it came here after all: the checks are ours to run
                await self.app.check_call(station_id, action, payload)
            return await session.call(action, payload, timeout, permits)
        # The holder checks the call and works out the permits itself.
        body = {"action": action, "payload": payload, "timeout": timeout}
        reply = await self._request(station_id, body, timeout + BROKER_MARGIN, "call")
        if "result" in reply:
            return reply["result"]
        raise _error_from(station_id, action, timeout, reply)

    async def disconnect(self, station_id: str, code: int, reason: str) -> None:
        session = self._sessions.get(station_id)
        if session is not None:
            await session.close(code, reason)
            return
        with contextlib.suppress(StationNotConnected, CallTimeout):
            await self._request(station_id, {"code": code, "reason": reason}, 5.0, "close")

    @contextlib.asynccontextmanager
    async def relay(
        self, station_id: str, queue: asyncio.Queue[StationMessage]
    ) -> AsyncIterator[None]:
        if station_id in self._sessions:
            yield  # held here: the session feeds the queue
            return
        assert self.nc is not None
        inbox = self.nc.new_inbox()

        async def arrived(msg: Msg) -> None:
            queue.put_nowait(StationMessage.from_json(json.loads(msg.data)))

        sub = await self.nc.subscribe(inbox, cb=arrived)
        try:
            # Not connected anywhere: nothing to relay (a call to it fails on its own).
            with contextlib.suppress(StationNotConnected, CallTimeout):
                await self._request(station_id, {"inbox": inbox}, BROKER_MARGIN, "watch")
            yield
        finally:
            with contextlib.suppress(Exception):
                await self.nc.publish(f"{inbox}.stop", b"")
                await sub.unsubscribe()

    async def _relay(self, station_id: str, inbox: str, stop: Subscription) -> None:
        """Publish the station's messages to a watcher on another node until it says stop."""
        assert self.nc is not None
        try:
            with self.app.watchers.watch(station_id) as queue:
                async with asyncio.timeout(RELAY_SECONDS):
                    while True:
                        message = await queue.get()
                        await self.nc.publish(inbox, json.dumps(message.to_json()).encode())
        except TimeoutError:
            log.info("stopped relaying %r's messages to a silent watcher", station_id)
        finally:
            with contextlib.suppress(Exception):
                await stop.unsubscribe()

    async def _start_relay(self, station_id: str, inbox: str) -> None:
        assert self.nc is not None
        relay: asyncio.Task | None = None

        async def stopped(_msg: Msg) -> None:
            if relay is not None:
                relay.cancel()

        # Subscribed before we answer, so that a stop published right after is not missed.
        stop = await self.nc.subscribe(f"{inbox}.stop", cb=stopped, max_msgs=1)
        relay = self._start_task(self._relay(station_id, inbox, stop))

    async def _request(self, station_id: str, body: dict, timeout: float, op: str) -> dict:
        assert self.nc is not None
        owner = self._owners.get(station_id)
        if owner is not None and owner.node is not None and not self._alive(owner):
            raise StationNotConnected(station_id)  # its node went silent: do not wait for it
        headers = {OPERATION_HEADER: op}
        if owner is not None:
            headers[REVISION_HEADER] = str(owner.revision)
        try:
            msg = await self.nc.request(
                f"{self.name}.station.{token(station_id)}",
                json.dumps(body).encode(),
                timeout=timeout,
                headers=headers,
            )
        except nats.errors.NoRespondersError:
            raise StationNotConnected(station_id) from None
        except nats.errors.TimeoutError:
            action = body.get("action", op)
            raise CallTimeout(station_id, action, body.get("timeout", timeout)) from None
        return json.loads(msg.data)

    async def _on_request(self, msg: Msg) -> None:
        # A task per request: nats-py runs one subscription's callbacks one after another.
        self._start_task(self._answer(msg))

    async def _answer(self, msg: Msg) -> None:
        station_id = untoken(msg.subject.rsplit(".", 1)[1])
        session = self._sessions.get(station_id)
        ours = self._claims.get(session) if session is not None else None
        headers = msg.headers or {}
        try:
            known = int(headers.get(REVISION_HEADER, 0))
        except ValueError:
            known = 0
        if session is None or ours is None:
            return  # not ours (any more): stay silent so the holder answers
        if known > ours:
            # The caller knows a newer claim than ours: we lost the station.
            winner = self._owners.get(station_id)
            if winner is not None and winner.node not in (None, self.node):
                self._lose(session, winner)
            return
        op = headers.get(OPERATION_HEADER)
        try:
            body = json.loads(msg.data)
            if not isinstance(body, dict):
                raise ValueError("not a JSON object")
            if op == "close":
                await session.close(int(body["code"]), str(body["reason"]))
                reply: dict[str, Any] = {}
            elif op == "watch":
                await self._start_relay(station_id, str(body["inbox"]))
                reply = {}
            else:
                reply = await self._call_here(session, body)
        except (ValueError, TypeError, KeyError) as exc:
            # Not from a node of ours: anyone who can publish on the broker can send this.
            log.warning("refused a malformed cluster request for %r: %s", station_id, exc)
            reply = {"error": "Invalid", "description": f"malformed request: {exc}"}
        with contextlib.suppress(Exception):
            await msg.respond(json.dumps(reply).encode())

    async def _call_here(self, session: StationSession, body: dict) -> dict[str, Any]:
        """Another node's call to a station held here: the kernel's checks first, as for a
        call made on this node (what arrives on the broker need not come from a node)."""
        action, payload, timeout = body["action"], body["payload"], float(body["timeout"])
        if not isinstance(action, str) or not isinstance(payload, dict):
            raise ValueError("action must be a string and payload an object")
        if not 0 < timeout <= max(MAX_CALL_SECONDS, self.app.settings.call_timeout):
            raise ValueError(f"timeout {timeout!r} out of range")
        try:
            owned = await self.app.check_call(session.id, action, payload)
        except ActionNotAvailable:
            return {"error": "NotAvailable"}
        except PayloadRejected as exc:
            return {"error": "Rejected", "reason": exc.reason, "code": exc.code}
        except StationRejected:
            return {"error": "BootRejected"}
        except Exception:
            log.exception("checks of %s for %r failed", action, session.id)
            return {"error": "CheckFailed"}
        permits = tuple(owned.permits(payload)) if owned.permits is not None else ()
        # Give up before the caller does, so that what we answer is what happened: a CALL
        # still queued behind another one when the caller stops waiting is never sent.
        limit = timeout + BROKER_MARGIN / 2
        try:
            call = session.call(action, payload, timeout, permits)
            return {"result": redact(await asyncio.wait_for(call, limit))}
        except CallErrorReceived as error:
            return {
                "error": "CallError",
                "code": error.code,
                "description": error.description,
                "details": error.details,
            }
        except (CallTimeout, TimeoutError):
            return {"error": "Timeout"}
        except StationNotConnected:
            return {"error": "NotConnected"}

    # --- singletons -------------------------------------------------------------------

    def is_leader(self) -> bool:
        return LEADER_LOCK in self._leading

    async def run_singleton(self, name: str, factory: Callable[[], Awaitable[Any]]) -> None:
        """Campaign for lock ``name``; while held, run ``factory()``; give it up if the
        lock cannot be renewed (another node may then take over)."""
        assert self.locks_kv is not None
        key = token(name)
        value = json.dumps({"node": self.node}).encode()
        renew_every = self.ttl / 3
        while True:
            try:
                revision = await self.locks_kv.create(key, value)
            except KeyWrongLastSequenceError:
                _stop_if_cancelled()
                await asyncio.sleep(renew_every)  # held by another node
                continue
            except Exception as exc:
                _stop_if_cancelled()
                log.warning("could not campaign for %r: %s", name, exc)
                await asyncio.sleep(renew_every)
                continue
            log.info("node %s runs %r", self.node, name)
            self._leading.add(name)
            job = asyncio.ensure_future(factory())
            try:
                while not job.done():
                    await asyncio.wait({job}, timeout=renew_every)
                    if job.done():
                        break
                    try:
                        revision = await self.locks_kv.update(key, value, last=revision)
                    except Exception as exc:
                        _stop_if_cancelled()
                        log.warning("lost %r (%s); stopping it here", name, exc)
                        break
            finally:
                self._leading.discard(name)
                if not job.done():
                    job.cancel()
                    await asyncio.gather(job, return_exceptions=True)
                with contextlib.suppress(Exception):
                    await self.locks_kv.delete(key, last=revision)
            if job.cancelled():
                continue
            if job.exception() is not None:
                log.error("singleton %r failed", name, exc_info=job.exception())
                await asyncio.sleep(renew_every)
                continue
            return

    async def _leader_duties(self) -> None:
        while True:
            await asyncio.sleep(self.ttl)
            try:
                await self._forget_dead_claims()
                await self._sync_connected_nodes()
            except Exception:
                _stop_if_cancelled()
                log.exception("cluster housekeeping failed")

    async def _forget_dead_claims(self) -> None:
        """Delete claims of nodes that went silent, so they do not linger in the bucket."""
        assert self.stations_kv is not None
        for station_id, claim in list(self._owners.items()):
            if claim.node is None or self._alive(claim):
                continue
            log.info("node %s is gone; %r is disconnected", claim.node, station_id)
            with contextlib.suppress(Exception):
                await self.stations_kv.delete(token(station_id), last=claim.revision)

    async def _sync_connected_nodes(self) -> None:
        """Make the stations table's ``connected_node`` agree with the claims. Nodes write it
        as stations come and go, but two nodes' writes for one station may land in either
        order; the claims' order is the truth."""
        recorded = await self.app.stations.connected_nodes()
        settled = _now() - 1.0  # a claim younger than this may not be stored yet
        wanted = {
            sid: claim.node
            for sid, claim in self._owners.items()
            if self._alive(claim) and claim.seen_at < settled
        }
        changes: dict[str, str | None] = {
            sid: node for sid, node in wanted.items() if recorded.get(sid) != node
        }
        for sid in recorded.keys() - wanted.keys():
            claim = self._owners.get(sid)
            if claim is None or claim.seen_at < settled:
                changes[sid] = None
        if changes:
            log.debug("correcting connected_node of %d stations", len(changes))
            await self.app.stations.set_connected_nodes(changes)


def broker_options(url: str, credentials: Path | None) -> tuple[list[str], dict[str, Any]]:
    """``nats.connect``'s servers and options from ``cluster_url`` (comma-separated URLs) and
    ``cluster_credentials``. ``user:password@`` and ``token@`` in a URL are nats-py's own;
    ``tls://`` (or ``nats+tls://``) asks for TLS, verified against the system's CAs (or
    ``SSL_CERT_FILE``); a creds file holds a user JWT and its NKey seed."""
    servers: list[str] = []
    schemes: set[str] = set()
    for part in url.split(","):
        server = part.strip()
        scheme, _, rest = server.partition("://")
        scheme = scheme.lower()
        if scheme == "nats+tls":
            scheme, server = "tls", f"tls://{rest}"
        schemes.add(scheme)
        servers.append(server)
    options: dict[str, Any] = {}
    if "tls" in schemes:
        if schemes != {"tls"}:
            raise ConfigError("cluster_url: either every server with tls:// or none")
        options["tls"] = ssl.create_default_context()
    if credentials is not None:
        if not Path(credentials).is_file():
            raise ConfigError(f"cluster_credentials: {credentials} is not a file")
        options["user_credentials"] = str(credentials)
    return servers, options


def _now() -> float:
    return time.monotonic()


def _stop_if_cancelled() -> None:
    """nats-py may turn a cancellation into an error of its own (a timeout, a failed
    request): a loop that retries on errors must still end when its task is cancelled, or
    the node's shutdown waits for it forever."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def _bucket(js: Any, bucket: str, ttl: float | None) -> KeyValue:
    try:
        return await js.key_value(bucket)
    except BucketNotFoundError:
        return await js.create_key_value(bucket=bucket, history=1, ttl=ttl)


def _error_from(station_id: str, action: str, timeout: float, reply: dict) -> Exception:
    kind = reply.get("error")
    if kind == "CallError":
        return CallErrorReceived(reply["code"], reply["description"], reply.get("details"))
    if kind == "Timeout":
        return CallTimeout(station_id, action, timeout)
    if kind == "Rejected":
        return PayloadRejected(reply["reason"], reply.get("code"))
    if kind == "NotAvailable":
        return ActionNotAvailable(action)
    if kind == "BootRejected":
        return StationRejected(station_id)
    if kind in ("CheckFailed", "Invalid"):
        return CallFailed(f"the node holding {station_id!r} could not check {action}: {kind}")
    return StationNotConnected(station_id)
