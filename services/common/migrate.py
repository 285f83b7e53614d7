"""Database preparation: `python -m services.common.migrate` creates the database if missing,
one schema per service and runs each service's alembic migrations (idempotent).

Each service keeps its migrations in `services/<svc>/migrations/` with the version table in its
own schema; their env.py is `run_env("<svc>")`.
"""

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url

from services.common.config import SERVICES, settings
from services.common.db import service_metadata

ROOT = Path(__file__).resolve().parents[1]


class Migration(Protocol):
    """What a migration script's `op` (alembic.op) offers that is used here."""

    def get_bind(self) -> Connection: ...


def ensure_database(url: str) -> None:
    """Create the database named in `url` when it does not exist yet."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


def drop_database(url: str) -> None:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


def alembic_config(service: str, connection: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / service / "migrations"))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(url: str, services: Sequence[str] = SERVICES) -> None:
    ensure_database(url)
    engine = create_engine(url)
    try:
        for service in services:
            with engine.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{service}"'))
                command.upgrade(alembic_config(service, conn), "heads")  # parallel branches are fine
    finally:
        engine.dispose()


def run_env(schema: str) -> None:
    """Body of every service's migrations/env.py (online mode only)."""
    connection = context.config.attributes["connection"]
    context.configure(connection=connection, version_table_schema=schema, transaction_per_migration=False)
    with context.begin_transaction():
        context.run_migrations()


def create_infrastructure_tables(op: Migration, schema: str) -> None:
    """For a service's first migration: its outbox, inbox and audit tables, as the factories
    define them (they change only with a new migration of every service)."""
    service_metadata(schema).create_all(op.get_bind())


def main(argv: Sequence[str]) -> None:
    url = settings().database_url
    upgrade(url, argv or SERVICES)
    print(f"migrated {', '.join(argv or SERVICES)} in {make_url(url).render_as_string()}")


if __name__ == "__main__":
    main(sys.argv[1:])
