"""Every encrypted column, in one registry, and the key rotation that walks it (DESIGN §7):
`python -m services.rotation` (or its old name, `python -m services.catalog.rotate_keys`).

To rotate the data key: put the new key first in KAMENG_DATA_KEY (comma-separated, newest first),
restart the services, run this, and then the old key may be dropped. Every value in every column
of `ENCRYPTED` is re-encrypted under the newest key, in batches, each row locked while it is
rewritten: safe while the services run, and to re-run. The duplicate-code hash key is one of those
values (catalog.hash_keys), so dropping an old data key changes no code's hash
(services/catalog/domain/hash_keys.py).

A new encrypted column is added here, as a line of `ENCRYPTED`; a binary column that holds no
secret is named in `NOT_ENCRYPTED` with what it is. A unit test reads every service's models and
fails on a binary column that is in neither (tests/unit/common/test_encrypted_registry.py).

Encrypted values also travel in messages for a moment: a supplier's pushed codes are sealed in
its `inventory_pushed` event. Before dropping a key, let supplier.outbox send its rows and the
catalog consume them (minutes); a dead-lettered one must be replayed while the old key is listed."""

import importlib
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, Table, select, tuple_, update
from sqlalchemy.orm import Session

from services.common.config import SERVICES, settings
from services.common.crypto import DataKeys
from services.common.db import make_engine, transaction

# "schema.table": its encrypted columns (DataKeys tokens)
ENCRYPTED: dict[str, tuple[str, ...]] = {
    "catalog.codes": ("code", "secret"),
    "catalog.hash_keys": ("secret",),  # the duplicate-code hash key
    "order.idempotency_keys": ("token", "response"),  # the buyer's token, the first answer
    "supplier.suppliers": ("credentials",),
    "supplier.keys": ("secret",),
    "notify.targets": ("url", "secret"),  # staff webhooks: bot URLs carry their tokens; DingTalk signing secrets
    "account.staff": ("totp_secret",),
    "account.buyers": ("real_name",),  # name and ID number
    "account.mails": ("body",),  # holds one-time links (verify, reset)
    "account.agent_keys": ("secret",),  # agents' signing secrets (the open API)
}

# "schema.table.column": why this binary column is not encrypted
NOT_ENCRYPTED: dict[str, str] = {
    "catalog.product_images.data": "a product's public picture (JPEG, PNG or WebP), served to anyone",
    "catalog.codes.code_hash": "HMAC of the code with the recorded hash key (duplicate detection)",
    "order.orders.token_hash": "SHA-256 of the buyer's order token",
    "order.idempotency_keys.request_hash": "SHA-256 of the request body",
    "order.orders.request_hash": "SHA-256 of an agent order's first body (a reuse of its id with another is 422)",
    "order.lookup_passwords.password_hash": "scrypt of the buyer's query password",
    "account.sessions.token_hash": "SHA-256 of a session token",
    "account.buyer_tokens.token_hash": "SHA-256 of a one-time link's token (verify the e-mail, reset the password)",
    "account.staff_recovery_codes.code_hash": "SHA-256 of a staff member's recovery code",
    "account.staff_tokens.token_hash": "SHA-256 of a staff API token",
    "support.attachments.content": "a ticket's uploaded image or text, shown to the ticket's parties (not a secret)",
    "payment.notifications.sha256": "SHA-256 of a refused notification (repeats are counted on one row)",
}


def tables() -> dict[str, Table]:
    """Every service's tables by "schema.table"."""
    found: dict[str, Table] = {}
    for service in SERVICES:
        try:
            models = importlib.import_module(f"services.{service}.models")
        except ModuleNotFoundError:
            continue
        found.update(models.metadata.tables)
    return found


def rotate_batch(
    session: Session, keys: DataKeys, table: Table, columns: Sequence[str], after: tuple[Any, ...] | None, batch: int
) -> tuple[tuple[Any, ...] | None, int]:
    """Re-encrypt a batch of `table`'s rows under the newest key, in primary-key order after
    `after`: (the last key looked at, None at the end; how many rows were rewritten)."""
    key = list(table.primary_key.columns)
    query = select(*key, *(table.c[c] for c in columns)).order_by(*key).limit(batch).with_for_update()
    if after is not None:
        query = query.where(tuple_(*key) > tuple_(*after))
    rows = session.execute(query).all()
    changed = 0
    for row in rows:
        ids, tokens = tuple(row[: len(key)]), dict(zip(columns, row[len(key) :], strict=True))
        stale = {c: keys.rotate(t) for c, t in tokens.items() if t is not None and not keys.is_current(t)}
        if stale:
            session.execute(update(table).where(*(k == v for k, v in zip(key, ids, strict=True))).values(**stale))
            changed += 1
    return (tuple(rows[-1][: len(key)]) if rows else None), changed


def rotate_all(
    engine: Engine, keys: DataKeys, registry: Mapping[str, Sequence[str]] = ENCRYPTED, batch: int = 500, report=None
) -> dict[str, int]:
    """Walk the registry: {"schema.table": rows re-encrypted}."""
    everything, done = tables(), {}
    for name, columns in registry.items():
        table, after, total = everything[name], None, 0
        while True:
            with transaction(engine, table.metadata) as session:
                after, changed = rotate_batch(session, keys, table, columns, after, batch)
            total += changed
            if after is None:
                break
            if report:
                report(f"{name}: {total} re-encrypted so far")
        done[name] = total
    return done


def main() -> None:
    s = settings()
    keys, engine = DataKeys(list(s.data_keys)), make_engine(s.database_url)
    try:
        done = rotate_all(engine, keys, report=lambda line: print(line, flush=True))
    finally:
        engine.dispose()
    for name, total in done.items():
        print(f"{name}: {total} rows re-encrypted under the newest key")
    print("done: every encrypted column is under the newest key; older keys may now be dropped")


if __name__ == "__main__":
    main()
