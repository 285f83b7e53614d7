"""`Database`: the SQLAlchemy dependency provider (engine per container, green psycopg2).

db = Database(models.metadata)           # on the service class, beside relay = OutboxRelay()
with self.db.transaction() as session:   # one commit for state + outbox rows
    ...
self.db.once("catalog.handle_x", envelope, fn)                 # inbox + effect, one commit
self.db.once_all("order.handle_stock_reserved", envelopes, saga.advance_all)   # a batch of them
"""

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from nameko.extensions import DependencyProvider
from psycogreen.eventlet import patch_psycopg
from sqlalchemy import Engine, MetaData, Table, create_engine, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from services.common import audit, envelope as envelopes, inbox, logs, metrics, outbox
from services.common.errors import Unavailable

log = logging.getLogger(__name__)
T = TypeVar("T")
Envelope = dict[str, Any]


def service_metadata(schema: str) -> MetaData:
    """A service's MetaData, in its own schema, with its outbox, inbox and audit tables."""
    metadata = MetaData(schema=schema)
    for factory in (outbox.table, inbox.table, audit.table):
        factory(metadata)
    return metadata


def make_engine(url: str, **kwargs: Any) -> Engine:
    patch_psycopg()  # psycopg2 waits cooperatively under eventlet
    # no pre-ping (a round trip per transaction): a connection the server dropped fails one
    # transaction, SQLAlchemy then invalidates the pool and the next one reconnects
    kwargs.setdefault("pool_recycle", 1800)
    return create_engine(url.replace("postgresql://", "postgresql+psycopg2://", 1), **kwargs)


@contextmanager
def transaction(engine: Engine, metadata: MetaData, correlation_id: str | None = None) -> Iterator[Session]:
    """One transaction whose session can write this service's outbox and audit rows. Used by
    `Database` and by commands that run outside a service (seed, key rotation, tests).

    A lost database connection (server restarted, connection cut) rolls the work back and is
    raised as `Unavailable`: callers answer 503 and try again; the pool reconnects."""
    schema = metadata.schema
    session = Session(
        engine,
        expire_on_commit=False,
        info={
            "outbox": metadata.tables[f"{schema}.outbox"],
            "audit": metadata.tables[f"{schema}.audit"],
            "correlation_id": correlation_id,
        },
    )
    try:
        with session.begin():
            yield session
        for done in session.info.pop("after_commit", ()):
            done()
    except DBAPIError as exc:
        if exc.connection_invalidated or isinstance(exc, (OperationalError, InterfaceError)):
            log.warning("database connection lost: %s", type(exc.orig).__name__)
            raise Unavailable("the database is unavailable; try again", {}) from exc
        raise
    finally:
        session.close()


def after_commit(session: Session, fn: Callable[[], object]) -> None:
    """Call `fn()` once the session's transaction has committed; never if it rolls back. For what
    must count an effect once (metrics): a batch that fails is rolled back and tried again."""
    session.info.setdefault("after_commit", []).append(fn)


def each(session: Session, envs: Sequence[Envelope]) -> Iterator[Envelope]:
    """The envelopes of a batch, one at a time, with the session's correlation id (what outbox
    rows and hints carry) set to that envelope's."""
    for env in envs:
        session.info["correlation_id"] = env.get("correlation_id")
        logs.rebind(env.get("correlation_id"))
        yield env


def each_one(fn: Callable[[Session, Envelope], object]) -> Callable[[Session, Sequence[Envelope]], None]:
    """A batch body for `once_all` from a one-envelope function `fn(session, envelope)`."""

    def run(session: Session, envs: Sequence[Envelope]) -> None:
        for env in each(session, envs):
            fn(session, env)

    return run


class Db:
    """What an entrypoint sees as `self.db`: transactions bound to the worker's correlation id."""

    def __init__(self, provider: "Database", correlation_id: str | None) -> None:
        self.provider, self.correlation_id = provider, correlation_id

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """The correlation id bound to this green thread (the worker's, or the call's of a batch
        the worker answers: services/common/batching.py) goes on the outbox rows and hints."""
        p = self.provider
        with transaction(p.engine, p.metadata, logs.correlation_id() or self.correlation_id) as session:
            yield session
        for hook in p.commit_hooks:  # committed: wake the relay, send hints
            hook(session)

    def once(self, consumer: str, env: Envelope, fn: Callable[[Session, Envelope], T]) -> T | None:
        """Run `fn(session, envelope)` unless `consumer` already handled this event; one commit.
        Returns fn's result, or None for a duplicate."""
        envelopes.load(env)
        with self.transaction() as session:
            if not self._claim(session, consumer, [env]):
                return None
            return fn(session, env)

    def once_all(self, consumer: str, envs: Sequence[Envelope], fn: Callable[[Session, list[Envelope]], T]) -> T | None:
        """`once` for a batch (`events.batch_handler`): one transaction, one inbox statement, then
        `fn(session, fresh)` with the envelopes not handled before, in their order. `each(session,
        fresh)` walks them with each one's correlation id on its outbox rows. Returns fn's result,
        or None when every envelope was handled before."""
        for env in envs:
            envelopes.load(env)
        with self.transaction() as session:
            fresh = self._claim(session, consumer, envs)
            return fn(session, fresh) if fresh else None

    def _claim(self, session: Session, consumer: str, envs: Sequence[Envelope]) -> list[Envelope]:
        fresh = inbox.claim_all(session, self.provider.inbox, consumer, envs)
        if len(fresh) < len(envs):
            metrics.EVENTS_DUPLICATE.labels(consumer).inc(len(envs) - len(fresh))
            log.info("%d duplicate event(s) skipped", len(envs) - len(fresh))
        return fresh

    def ping(self) -> str:
        with self.provider.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return "ok"


class Database(DependencyProvider):
    def __init__(self, metadata: MetaData) -> None:
        self.metadata = metadata
        self.schema = metadata.schema
        self.commit_hooks: list[
            Callable[[Session], None]
        ] = []  # fn(session) after each commit (OutboxRelay, Hints add theirs)

    @property
    def outbox(self) -> Table:
        return self.metadata.tables[f"{self.schema}.outbox"]

    @property
    def inbox(self) -> Table:
        return self.metadata.tables[f"{self.schema}.inbox"]

    def setup(self) -> None:
        workers = int(self.container.config.get("max_workers", 10))
        self.engine = make_engine(self.container.config["DATABASE_URL"], pool_size=workers + 2, max_overflow=4)

    def stop(self) -> None:
        self.engine.dispose()

    kill = stop

    def get_dependency(self, worker_ctx: Any) -> Db:
        return Db(self, worker_ctx.data.get("correlation_id"))
