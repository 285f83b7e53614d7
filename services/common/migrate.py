"""Database preparation: `python -m services.common.migrate` creates the database if missing,
one schema per service and runs each service's alembic migrations (idempotent).

Each service keeps its migrations in `services/<svc>/migrations/` with the version table in its
own schema; their env.py is `run_env("<svc>")`.
"""
import sys
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services.common.config import SERVICES, settings
from services.common.db import service_metadata

ROOT = Path(__file__).resolve().parents[1]


def ensure_database(url):
    """Create the database named in `url` when it does not exist yet."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                  {"n": target.database}).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


def drop_database(url):
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


def alembic_config(service, connection):
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / service / "migrations"))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(url, services=SERVICES):
    ensure_database(url)
    engine = create_engine(url)
    try:
        for service in services:
            with engine.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{service}"'))
                command.upgrade(alembic_config(service, conn), "head")
    finally:
        engine.dispose()


def run_env(schema):
    """Body of every service's migrations/env.py (online mode only)."""
    connection = context.config.attributes["connection"]
    context.configure(connection=connection, version_table_schema=schema,
                      transaction_per_migration=False)
    with context.begin_transaction():
        context.run_migrations()


def create_infrastructure_tables(op, schema):
    """For a service's first migration: its outbox, inbox and audit tables, as the factories
    define them (they change only with a new migration of every service)."""
    service_metadata(schema).create_all(op.get_bind())


def main(argv):
    url = settings().database_url
    upgrade(url, argv or SERVICES)
    print(f"migrated {', '.join(argv or SERVICES)} in {make_url(url).render_as_string()}")


if __name__ == "__main__":
    main(sys.argv[1:])
