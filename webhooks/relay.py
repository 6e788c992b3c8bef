"""The outbox relay: PostgreSQL LISTEN → batch fan-out, so no request ever talks to the broker.

    writer txn ── INSERT webhooks_event + NOTIFY "webhooks.outbox" (payload: evt_…) ── COMMIT
    relay ── LISTEN ── wake ── drain ≤ BATCH_MAX ids (what has arrived meanwhile) ─────┐
                                                                                       ▼
          dispatch.events_fan_out(ids): one transaction, deliveries for matching subscriptions,
          every event marked fanned out ── after commit: one `webhooks.deliver` per delivery
          (an event nobody subscribes to is only marked: it never reaches the broker)

A thin adapter: who receives an event, and that it is fanned out once, are dispatch.py's rules.
The relay only turns notifications into batches and keeps its connections alive:
* on start and after every reconnect it LISTENs first, then fans out everything still pending
  (`fanned_out_at IS NULL`), so an event committed while it was away does not wait for the sweeper
  (anything committed after the LISTEN is announced; anything before it is visible to the catch-up);
* a lost connection (PostgreSQL restarted, the backend terminated) is retried with exponential
  back-off; the sweeper (beat, every 10 s) keeps delivering meanwhile, so nothing is lost;
* `stop()` (the command's SIGTERM/SIGINT handler) ends it within POLL_SECONDS.
Several relays may run: SKIP LOCKED and `fanned_out_at` make every event fan out once.

Two connections: a psycopg one in autocommit that only LISTENs, and Django's own (this thread's)
for the fan-out. Both carry application_name "webhooks-relay" in pg_stat_activity.

First attempts: with WEBHOOK_RELAY_DELIVERY_THREADS > 0 the relay makes a fresh delivery's first
attempt itself, on a small thread pool (`dispatch.delivery_attempt`, the same claim as a worker's),
instead of a Celery task per delivery — the hop (publish, prefork hand-off, ack) cost more CPU than
the attempt. At most 2 × threads are in hand at once; beyond that, and for everything caught up at
(re)connect, deliveries go to the Celery worker as before. A relay that dies mid-attempt leaves the
claim to expire and the sweeper re-queues it (at-least-once, like a worker that dies).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import psycopg
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from psycopg import sql

from live import notify as live_notify
from support_project.taskqueue import enqueue_now

from . import dispatch
from .services import OUTBOX_CHANNEL

logger = logging.getLogger(__name__)

APPLICATION_NAME = "webhooks-relay"
BATCH_MAX = dispatch.FAN_OUT_BATCH
# After the first id, how long to wait for more to join its batch. 0: take what has already
# arrived (batches grow by themselves under load, while the previous one is being fanned out)
# and add no latency when it is quiet.
BATCH_WAIT_SECONDS = 0.0
POLL_SECONDS = 0.5  # longest wait for a notification before looking at the stop flag again
BACKOFF_FIRST_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 30.0


@dataclass
class RelayStats:
    connects: int = 0  # successful LISTENs (1 + reconnects)
    notifications: int = 0  # ids received on the channel
    batches: int = 0
    events: int = 0  # events this relay marked fanned out (catch-up included)
    caught_up: int = 0  # of which found pending at (re)connect
    deliveries: int = 0  # deliveries it made due
    attempted: int = 0  # of which it attempted itself (the rest went to the Celery worker)


def _chunks(ids: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


class Relay:
    def __init__(self, *, batch_max: int = BATCH_MAX, batch_wait: float = BATCH_WAIT_SECONDS,
                 backoff_first: float = BACKOFF_FIRST_SECONDS, backoff_max: float = BACKOFF_MAX_SECONDS) -> None:
        self.batch_max = batch_max
        self.batch_wait = batch_wait
        self.backoff_first = backoff_first
        self.backoff_max = backoff_max
        self.stats = RelayStats()
        # Set while connected, listening and caught up; cleared as soon as a connection is lost.
        self.listening = threading.Event()
        self._stopping = threading.Event()
        self._delay = backoff_first
        threads = int(settings.WEBHOOK_RELAY_DELIVERY_THREADS)
        self._attempts = ThreadPoolExecutor(threads, thread_name_prefix="relay-deliver") if threads else None
        self._capacity = 2 * threads
        self._in_hand = 0
        self._in_hand_lock = threading.Lock()

    def stop(self) -> None:
        """Ask `run` to return (safe from a signal handler or another thread)."""
        self._stopping.set()

    def run(self) -> None:
        """Relay until `stop()`; reconnects with back-off whenever PostgreSQL goes away."""
        try:
            while not self._stopping.is_set():
                try:
                    self._session()
                except (psycopg.Error, DatabaseError):
                    self.listening.clear()
                    connection.close()  # Django's connection may be the broken one: start afresh
                    logger.warning("webhooks relay lost PostgreSQL; reconnecting in %.1f s", self._delay,
                                   exc_info=True)
                    self._stopping.wait(self._delay)
                    self._delay = min(self._delay * 2, self.backoff_max)
        finally:
            self.listening.clear()
            connection.close()
            if self._attempts is not None:
                self._attempts.shutdown(wait=True)  # attempts in hand finish (each bounded by its timeout)

    def _session(self) -> None:
        with psycopg.connect(live_notify.listener_conninfo(APPLICATION_NAME), autocommit=True) as listener:
            listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(OUTBOX_CHANNEL)))
            with connection.cursor() as cursor:
                cursor.execute("SET application_name = %s", [APPLICATION_NAME])
            self.stats.connects += 1
            # LISTEN first, then catch up: every event is either visible now or announced later.
            pending = dispatch.events_fan_out_pending(batch=self.batch_max)
            self.stats.caught_up += pending.events
            self.stats.events += pending.events
            self.stats.deliveries += len(pending.delivery_ids)
            self._delay = self.backoff_first
            self.listening.set()
            logger.info("webhooks relay listening on %s (caught up on %d pending events)", OUTBOX_CHANNEL,
                        pending.events)
            while not self._stopping.is_set():
                ids = self._next_batch(listener)
                for chunk in _chunks(ids, self.batch_max):
                    self._hand_over(chunk)

    def _next_batch(self, listener: psycopg.Connection) -> list[str]:
        """Wait up to POLL_SECONDS for one id, then gather what arrives within `batch_wait`."""
        ids = [note.payload for note in listener.notifies(timeout=POLL_SECONDS, stop_after=1)]
        if ids and len(ids) < self.batch_max:
            ids += [note.payload for note in
                    listener.notifies(timeout=self.batch_wait, stop_after=self.batch_max - len(ids))]
        self.stats.notifications += len(ids)
        return list(dict.fromkeys(ids))  # duplicates (a replayed NOTIFY) collapse, order kept

    def _hand_over(self, ids: list[str]) -> None:
        result = dispatch.events_fan_out(event_ids=ids, queue=self._attempts is None)
        self.stats.batches += 1
        self.stats.events += result.events
        self.stats.deliveries += len(result.delivery_ids)
        if self._attempts is not None:
            for delivery_id in result.delivery_ids:
                self._deliver(delivery_id)

    def _deliver(self, delivery_id: str) -> None:
        """Attempt it here if a thread is (nearly) free, else hand it to the Celery worker."""
        assert self._attempts is not None
        with self._in_hand_lock:
            take = self._in_hand < self._capacity
            if take:
                self._in_hand += 1
        if not take:
            enqueue_now("webhooks.deliver", delivery_id)
            return
        self.stats.attempted += 1
        self._attempts.submit(self._attempt, delivery_id)

    def _attempt(self, delivery_id: str) -> None:
        try:
            dispatch.delivery_attempt(delivery_id=delivery_id)
        except Exception:  # noqa: BLE001 - logged; its claim expires and the sweeper re-queues it
            logger.exception("webhooks relay: attempt of %s failed; the sweeper will retry it", delivery_id)
        finally:
            close_old_connections()  # as after a request: back to the pool, or closed when CONN_MAX_AGE is 0
            with self._in_hand_lock:
                self._in_hand -= 1
