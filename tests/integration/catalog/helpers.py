"""Helpers shared by the catalog integration tests (and its conftest)."""

from sqlalchemy import select

from services.catalog.domain import codes
from services.catalog.models import metadata
from services.common.config import DEV_ENV
from services.common.crypto import DataKeys

DEV_KEYS = DataKeys([DEV_ENV["KAMENG_DATA_KEY"]])
KEYS = DEV_KEYS.with_hash_key(DEV_KEYS.derive_hash_key())  # what the first catalog start records


def import_codes(tx, sku, lines, separator=","):
    with tx() as s:
        job = codes.begin_import(s, "test", sku)["import_id"]
    with tx() as s:
        staged = codes.stage(s, KEYS, job, list(enumerate(lines, start=1)), separator)
    with tx() as s:
        return {**codes.finish_import(s, job, 0), "rejected": staged["rejected"]}


def outbox_events(engine, sku=None, order_no=None):
    table = metadata.tables["catalog.outbox"]
    with engine.connect() as conn:
        rows = conn.execute(select(table.c.type, table.c.envelope).order_by(table.c.id)).all()
    return [
        (t, e["data"])
        for t, e in rows
        if (sku is None or e["data"].get("sku") == sku) and (order_no is None or e["data"].get("order_no") == order_no)
    ]
