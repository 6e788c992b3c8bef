"""The per-process fan-out behind every open stream.

One hub per web process (per event loop): one PostgreSQL connection that LISTENs (psycopg async,
on the loop) and one database thread that reads new rows once per wake-up, whatever the number of
streams. An open stream is a queue in memory — no thread, no database connection of its own.

    writer txn ── INSERT live_liveevent + NOTIFY "live.events" ── COMMIT
                                      │ (every process that LISTENs)
    hub: wake → fetch_after(position) on the db thread → fan out to matching queues → streams

The hub's `position` only moves over final rows (support_project/txid.py), so a stream that
subscribes at `position` and replays up to it from the table misses nothing and repeats nothing.
Without PostgreSQL (the SQLite local default) `notify` calls the hub in-process after commit.
A missed notification (listener reconnecting) costs at most IDLE_POLL_SECONDS: the hub also polls.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from django.db import InterfaceError, OperationalError, connection

from . import notify, selectors
from .selectors import Position, Row

logger = logging.getLogger(__name__)

T = TypeVar("T")

IDLE_POLL_SECONDS = 5.0
HELD_POLL_FIRST_SECONDS = 0.02  # an older writer is still open: look again soon, backing off
HELD_POLL_MAX_SECONDS = 0.5
QUEUE_MAX = 500  # a stream this far behind is closed; its client resumes from the table


@dataclass(frozen=True)
class Presence:
    """Ephemeral: who has a ticket open or is typing. Never stored, never has an event id."""

    ticket: int
    user: str
    name: str
    state: str


Item = Row | Presence


@dataclass(eq=False)
class Subscriber:
    """One open stream: an agent's (customer rows in `topics`) or staff (`agent_id` None)."""

    agent_id: str | None
    topics: frozenset[str] = frozenset()
    ticket: tuple[int, str, str] | None = None  # staff narrowed to one ticket: (number, agent id, thread id)
    user: str = ""  # the staff member, so their own presence isn't echoed back
    queue: asyncio.Queue[Item] = field(default_factory=lambda: asyncio.Queue(maxsize=QUEUE_MAX))
    overflowed: bool = False

    def wants(self, row: Row) -> bool:
        if self.agent_id is not None:
            return row.customer and row.agent_id == self.agent_id and row.topic in self.topics
        if not row.staff:
            return False
        if self.ticket is None:
            return True
        return row.session_id == self.ticket[2] or (row.kind == "balance" and row.agent_id == self.ticket[1])

    def wants_presence(self, presence: Presence) -> bool:
        return self.ticket is not None and presence.ticket == self.ticket[0] and presence.user != self.user

    def offer(self, item: Item) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.overflowed = True


def _close_connection() -> None:
    connection.close()  # looked up on the database thread: that thread's own connection


def _db_call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run on the hub's database thread; its connection is kept, and replaced once if broken."""
    try:
        return fn(*args, **kwargs)
    except (OperationalError, InterfaceError):
        connection.close()
        return fn(*args, **kwargs)


class Hub:
    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.position: Position = selectors.START
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-db")
        self._by_agent: dict[str, set[Subscriber]] = defaultdict(set)
        self._staff: set[Subscriber] = set()
        self._wake = asyncio.Event()
        self._ready = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    # --- lifecycle ---------------------------------------------------------------------------------

    async def started(self) -> Hub:
        if self.loop is None:
            self.loop = asyncio.get_running_loop()
            self._tasks.append(self.loop.create_task(self._pump()))
            if connection.vendor == "postgresql":
                self._tasks.append(self.loop.create_task(self._listen()))
            else:
                notify.subscribe_local(self._local_notify)
        await self._ready.wait()
        return self

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        notify.unsubscribe_local(self._local_notify)
        await self.db(_close_connection)
        self._executor.shutdown(wait=False)

    async def db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a sync ORM function on the hub's one database thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(_db_call, fn, *args, **kwargs))

    # --- subscribers ---------------------------------------------------------------------------------

    def subscribe(self, subscriber: Subscriber) -> Position:
        """Register and return the position from which the queue receives rows (synchronous, so no
        row can slip between the two)."""
        if subscriber.agent_id is None:
            self._staff.add(subscriber)
        else:
            self._by_agent[subscriber.agent_id].add(subscriber)
        return self.position

    def unsubscribe(self, subscriber: Subscriber) -> None:
        if subscriber.agent_id is None:
            self._staff.discard(subscriber)
            return
        group = self._by_agent.get(subscriber.agent_id)
        if group is not None:
            group.discard(subscriber)
            if not group:
                del self._by_agent[subscriber.agent_id]

    @property
    def subscriber_count(self) -> int:
        return len(self._staff) + sum(len(group) for group in self._by_agent.values())

    def _fan_out(self, row: Row) -> None:
        if row.customer:
            for subscriber in self._by_agent.get(row.agent_id, ()):
                if subscriber.wants(row):
                    subscriber.offer(row)
        if row.staff:
            for subscriber in self._staff:
                if subscriber.wants(row):
                    subscriber.offer(row)

    # --- notifications ------------------------------------------------------------------------------

    def _on_notify(self, channel: str, payload: str) -> None:
        if channel == notify.CHANNEL_EVENTS:
            self._wake.set()
        elif channel == notify.CHANNEL_PRESENCE:
            try:
                presence = Presence(**json.loads(payload))
            except (ValueError, TypeError):
                logger.warning("ignored a malformed presence notification")
                return
            for subscriber in self._staff:
                if subscriber.wants_presence(presence):
                    subscriber.offer(presence)

    def _local_notify(self, channel: str, payload: str) -> None:
        """Called by writers' threads after commit (SQLite): hop onto the loop."""
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._on_notify, channel, payload)

    async def _listen(self) -> None:
        import psycopg

        while True:
            try:
                aconn = await psycopg.AsyncConnection.connect(notify.listener_conninfo("live-listener"), autocommit=True)
                async with aconn:
                    await aconn.execute(f'LISTEN "{notify.CHANNEL_EVENTS}"')
                    await aconn.execute(f'LISTEN "{notify.CHANNEL_PRESENCE}"')
                    self._wake.set()  # catch up on anything committed while not listening
                    async for note in aconn.notifies():
                        self._on_notify(note.channel, note.payload)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - database restarted or unreachable: retry, the pump polls meanwhile
                logger.warning("live listener lost its connection; reconnecting", exc_info=True)
                await asyncio.sleep(1.0)

    async def _pump(self) -> None:
        while not self._ready.is_set():
            try:
                self.position = await self.db(selectors.latest_position)
                self._ready.set()
            except Exception:  # noqa: BLE001 - database not reachable yet
                logger.warning("live hub can't read its start position; retrying", exc_info=True)
                await asyncio.sleep(1.0)
        delay = IDLE_POLL_SECONDS
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                rows, held = await self.db(selectors.fetch_after, self.position)
            except Exception:  # noqa: BLE001 - logged; the next wake-up or poll retries
                logger.warning("live hub fetch failed", exc_info=True)
                delay = 1.0
                continue
            for row in rows:
                self._fan_out(row)
                self.position = row.position
            if len(rows) >= selectors.FETCH_LIMIT:
                self._wake.set()
            if held:
                delay = HELD_POLL_FIRST_SECONDS if delay >= IDLE_POLL_SECONDS else min(delay * 2, HELD_POLL_MAX_SECONDS)
            else:
                delay = IDLE_POLL_SECONDS


_hubs: dict[int, Hub] = {}


def get_hub() -> Hub:
    """This event loop's hub (one per web worker process)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(id(loop))
    if hub is None or (hub.loop is not None and hub.loop is not loop):
        hub = _hubs[id(loop)] = Hub()
    return hub
