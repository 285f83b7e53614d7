"""Code inventory: bulk import (staged in chunks, then moved in one transaction, so a request
imports everything or nothing), admin listing. (Key rotation: services/rotation.py.) Codes are encrypted before they
touch the database and are never logged."""

import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

from psycopg2.extras import execute_values
from sqlalchemy import func, select, table, text
from sqlalchemy.orm import Session

from services.catalog.domain import loop, stock
from services.catalog.domain.products import active_product
from services.catalog.models import Code, CodeImport, HashKey, StockLevel
from services.common import audit, sql
from services.common.crypto import DataKeys
from services.common.errors import Conflict, NotFound

CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
MAX_CODE_CHARS = 512
MAX_SECRET_CHARS = 512
STAGE_COLUMNS = "(import_id, line_no, code, secret, expires_on, code_hash)"
STAGED = sql.qualified(table("code_import_lines", schema=Code.__table__.schema))  # made by a migration only
# the one hash key (services/catalog/domain/hash_keys.py): the first recorded
HASH_KEY_NOW = f"(SELECT id FROM {sql.qualified(HashKey.__table__)} ORDER BY created_at, id LIMIT 1)"


def parse_line(line: str, separator: str | None) -> tuple[str, str | None, date | None]:
    """(code, secret, expires_on) or raise ValueError(reason). `code[<sep>secret[<sep>YYYY-MM-DD]]`."""
    if CONTROL.search(line):
        raise ValueError("control characters")
    parts = line.split(separator, 2) if separator else [line]
    parts += [""] * (3 - len(parts))
    return check_fields(parts[0], parts[1] or None, parts[2] or None)


def check_fields(code: str, secret: str | None, expires_on: str | None) -> tuple[str, str | None, date | None]:
    """One code's fields as an import takes them (a line's parts, or a supplier's pushed fields):
    (code, secret, expires_on) trimmed, or raise ValueError(reason)."""
    if CONTROL.search(code) or (secret and CONTROL.search(secret)):
        raise ValueError("control characters")
    code, secret = code.strip(), (secret or "").strip() or None
    expiry = None
    if expires_on and expires_on.strip():
        try:
            expiry = date.fromisoformat(expires_on.strip())
        except ValueError:
            raise ValueError("expiry is not a YYYY-MM-DD date") from None
    if not code:
        raise ValueError("empty code")
    if len(code) > MAX_CODE_CHARS or (secret and len(secret) > MAX_SECRET_CHARS):
        raise ValueError("code or secret too long")
    return code, secret, expiry


def begin_import(session: Session, actor: str, sku: str, loop_codes: bool = True) -> dict[str, str]:
    """An import into a card or (an admin's, `loop_codes`) loop product; Conflict otherwise."""
    product = active_product(session, sku)
    if product.delivery not in ("card", loop.LOOP):
        raise Conflict("only card and loop products hold codes", {"sku": sku, "delivery": product.delivery})
    if product.delivery == loop.LOOP and not loop_codes:
        raise Conflict("a loop product's codes are imported by its admin", {"sku": sku, "delivery": product.delivery})
    job = CodeImport(id=str(uuid.uuid4()), sku=sku, actor=actor, status="staging")
    session.add(job)
    return {"import_id": job.id}


def _staging(session: Session, import_id: str) -> CodeImport:
    job = session.get(CodeImport, import_id, with_for_update=True)
    if job is None or job.status != "staging":
        raise NotFound("no import in progress with this id", {"import_id": import_id})
    return job


def stage(
    session: Session, keys: DataKeys, import_id: str, lines: Iterable[Sequence[Any]], separator: str | None
) -> dict[str, Any]:
    """Encrypt and stage one chunk of [line_no, text] pairs (the admin's file). Answers the
    rejected lines."""
    return _stage(session, keys, import_id, ((n, _read(parse_line, text, separator)) for n, text in lines))


def stage_fields(session: Session, keys: DataKeys, import_id: str, entries: Iterable[Sequence[Any]]) -> dict[str, Any]:
    """Encrypt and stage [line_no, code, secret, expires_on] entries (a supplier's push), by the
    same rules as a line of the admin's file."""
    return _stage(session, keys, import_id, ((n, _read(check_fields, c, s, e)) for n, c, s, e in entries))


def _read(parse: Callable[..., tuple[str, str | None, date | None]], *args: Any) -> tuple[Any, ...] | str:
    try:
        return parse(*args)
    except ValueError as exc:
        return str(exc)


def _stage(
    session: Session, keys: DataKeys, import_id: str, parsed: Iterable[tuple[int, tuple[Any, ...] | str]]
) -> dict[str, Any]:
    """Stage parsed entries (one multi-row INSERT; COPY is not available on green psycopg2); an
    entry that is a string is a rejected line and its reason."""
    rows, rejected = [], []
    for line_no, fields in parsed:
        if isinstance(fields, str):
            rejected.append({"line": line_no, "reason": fields})
            continue
        code, secret, expires_on = fields
        rows.append(
            (
                import_id,
                line_no,
                keys.encrypt(code),
                keys.encrypt(secret) if secret else None,
                expires_on,
                keys.keyed_hash(code),
            )
        )
    job = _staging(session, import_id)  # locked only now: chunks encrypt in parallel
    if rows:
        psycopg2_connection: Any = session.connection().connection.driver_connection  # open: not None
        cursor = psycopg2_connection.cursor()
        execute_values(cursor, f"INSERT INTO {STAGED} {STAGE_COLUMNS} VALUES %s", rows, page_size=len(rows))
    job.staged += len(rows)
    job.rejected += len(rejected)
    return {"staged": len(rows), "rejected": rejected}


def finish_import(session: Session, import_id: str, rejected_lines: int) -> dict[str, int]:
    """Move the staged codes into the inventory in this one transaction: first occurrence wins,
    codes already in the SKU count as duplicates. A loop SKU's codes join the set every order
    gets; its counters (its cap) do not move."""
    job = _staging(session, import_id)
    job.rejected += rejected_lines  # lines the gateway could not read at all
    imported = session.execute(
        text(f"""
        WITH fresh AS (
            INSERT INTO {sql.qualified(Code.__table__)}
                (sku, code, secret, expires_on, code_hash, hash_key, status, import_id)
            SELECT :sku, code, secret, expires_on, code_hash, {HASH_KEY_NOW}, 'available', import_id FROM (
                SELECT DISTINCT ON (code_hash) * FROM {STAGED}
                WHERE import_id = :id ORDER BY code_hash, line_no) first_seen
            ORDER BY line_no                           -- ids follow the file: first in, first sold
            ON CONFLICT (sku, code_hash) DO NOTHING
            RETURNING 1)
        SELECT count(*) FROM fresh"""),
        {"sku": job.sku, "id": import_id},
    ).scalar_one()
    session.execute(text(f"DELETE FROM {STAGED} WHERE import_id = :id"), {"id": import_id})
    job.status, job.imported, job.duplicates = "done", imported, job.staged - imported
    job.finished_at = func.now()
    product = active_product(session, job.sku)
    if imported and product.delivery == loop.LOOP:  # its stock is its cap, not its codes: it may sell now
        level = session.get_one(StockLevel, job.sku)
        stock.sold_out_changed(session, job.sku, level.counted and level.available <= 0)
    elif imported:
        stock.added(session, product, imported)
    audit.record(
        session,
        job.actor,
        "codes.import",
        job.sku,
        {"import_id": import_id, "imported": imported, "duplicates": job.duplicates, "rejected": job.rejected},
    )
    return {"imported": imported, "duplicates": job.duplicates}


def abort_import(session: Session, import_id: str) -> dict[str, str]:
    job = session.get(CodeImport, import_id, with_for_update=True)
    if job is not None and job.status == "staging":
        job.status = "aborted"
        session.execute(text(f"DELETE FROM {STAGED} WHERE import_id = :id"), {"id": import_id})
    return {"import_id": import_id}


def sweep_abandoned_imports(session: Session, older_than_s: float = 3600) -> int:
    """Imports whose request died half-way: drop their staged rows."""
    stale = session.scalars(
        select(CodeImport.id)
        .where(
            CodeImport.status == "staging",
            CodeImport.created_at < func.now() - text(f"interval '{int(older_than_s)} seconds'"),
        )
        .with_for_update(skip_locked=True)
    ).all()
    for import_id in stale:
        abort_import(session, import_id)
    return len(stale)


def list_codes(
    session: Session,
    keys: DataKeys,
    actor: str,
    sku: str,
    status: str | None = None,
    reveal: bool = False,
    limit: int = 100,
    after_id: int = 0,
) -> dict[str, Any]:
    """Admin view of a SKU's codes; decrypted only with `reveal` (an audited action)."""
    active_product(session, sku)
    query = select(Code).where(Code.sku == sku, Code.id > after_id).order_by(Code.id).limit(limit)
    if status:
        query = query.where(Code.status == status)
    rows = session.scalars(query).all()
    if reveal:
        audit.record(session, actor, "codes.reveal", sku, {"ids": [c.id for c in rows]})

    def shown(token: bytes | None) -> str | None:
        if token is None:
            return None
        return keys.decrypt(token) if reveal else "•" * 8

    return {
        "items": [
            {
                "id": c.id,
                "code": shown(c.code),
                "secret": shown(c.secret),
                "expires_on": c.expires_on.isoformat() if c.expires_on else None,
                "status": c.status,
                "order_no": c.order_no,
            }
            for c in rows
        ],
        "next_after_id": rows[-1].id if len(rows) == limit else None,
    }


def count(session: Session, sku: str | None = None) -> int:
    query = select(func.count()).select_from(Code)
    return session.execute(query.where(Code.sku == sku) if sku else query).scalar_one()
