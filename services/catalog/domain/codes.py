"""Code inventory: bulk import (staged in chunks, then moved in one transaction, so a request
imports everything or nothing), admin listing, key rotation. Codes are encrypted before they
touch the database and are never logged."""

import re
import uuid
from datetime import date

from psycopg2.extras import execute_values
from sqlalchemy import func, select, table, text, update

from services.catalog.domain import stock
from services.catalog.domain.products import active_product
from services.catalog.models import Code, CodeImport
from services.common import audit, sql
from services.common.crypto import DataKeys
from services.common.errors import Conflict, NotFound

CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
MAX_CODE_CHARS = 512
MAX_SECRET_CHARS = 512
STAGE_COLUMNS = "(import_id, line_no, code, secret, expires_on, code_hash)"
STAGED = sql.qualified(table("code_import_lines", schema=Code.__table__.schema))  # made by a migration only


def parse_line(line, separator):
    """(code, secret, expires_on) or raise ValueError(reason). `code[<sep>secret[<sep>YYYY-MM-DD]]`."""
    if CONTROL.search(line):
        raise ValueError("control characters")
    parts = [p.strip() for p in line.split(separator, 2)] if separator else [line.strip()]
    code = parts[0]
    secret = parts[1] if len(parts) > 1 and parts[1] else None
    expires_on = None
    if len(parts) > 2 and parts[2]:
        try:
            expires_on = date.fromisoformat(parts[2])
        except ValueError:
            raise ValueError("expiry is not a YYYY-MM-DD date") from None
    if not code:
        raise ValueError("empty code")
    if len(code) > MAX_CODE_CHARS or (secret and len(secret) > MAX_SECRET_CHARS):
        raise ValueError("code or secret too long")
    return code, secret, expires_on


def begin_import(session, actor, sku):
    product = active_product(session, sku)
    if product.delivery != "card":
        raise Conflict("only card products hold codes", {"sku": sku, "delivery": product.delivery})
    job = CodeImport(id=str(uuid.uuid4()), sku=sku, actor=actor, status="staging")
    session.add(job)
    return {"import_id": job.id}


def _staging(session, import_id):
    job = session.get(CodeImport, import_id, with_for_update=True)
    if job is None or job.status != "staging":
        raise NotFound("no import in progress with this id", {"import_id": import_id})
    return job


def stage(session, keys: DataKeys, import_id, lines, separator):
    """Encrypt and stage one chunk of [line_no, text] pairs (one multi-row INSERT; COPY is not
    available on green psycopg2). Answers the rejected lines."""
    rows, rejected = [], []
    for line_no, line in lines:
        try:
            code, secret, expires_on = parse_line(line, separator)
        except ValueError as exc:
            rejected.append({"line": line_no, "reason": str(exc)})
            continue
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
        cursor = session.connection().connection.driver_connection.cursor()
        execute_values(cursor, f"INSERT INTO {STAGED} {STAGE_COLUMNS} VALUES %s", rows, page_size=len(rows))
    job.staged += len(rows)
    job.rejected += len(rejected)
    return {"staged": len(rows), "rejected": rejected}


def finish_import(session, import_id, rejected_lines):
    """Move the staged codes into the inventory in this one transaction: first occurrence wins,
    codes already in the SKU count as duplicates."""
    job = _staging(session, import_id)
    job.rejected += rejected_lines  # lines the gateway could not read at all
    imported = session.execute(
        text(f"""
        WITH fresh AS (
            INSERT INTO {sql.qualified(Code.__table__)} (sku, code, secret, expires_on, code_hash, status, import_id)
            SELECT :sku, code, secret, expires_on, code_hash, 'available', import_id FROM (
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
    if imported:
        stock.added(session, active_product(session, job.sku), imported)
    audit.record(
        session,
        job.actor,
        "codes.import",
        job.sku,
        {"import_id": import_id, "imported": imported, "duplicates": job.duplicates, "rejected": job.rejected},
    )
    return {"imported": imported, "duplicates": job.duplicates}


def abort_import(session, import_id):
    job = session.get(CodeImport, import_id, with_for_update=True)
    if job is not None and job.status == "staging":
        job.status = "aborted"
        session.execute(text(f"DELETE FROM {STAGED} WHERE import_id = :id"), {"id": import_id})
    return {"import_id": import_id}


def sweep_abandoned_imports(session, older_than_s=3600):
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


def list_codes(session, keys: DataKeys, actor, sku, status=None, reveal=False, limit=100, after_id=0):
    """Admin view of a SKU's codes; decrypted only with `reveal` (an audited action)."""
    active_product(session, sku)
    query = select(Code).where(Code.sku == sku, Code.id > after_id).order_by(Code.id).limit(limit)
    if status:
        query = query.where(Code.status == status)
    rows = session.scalars(query).all()
    if reveal:
        audit.record(session, actor, "codes.reveal", sku, {"ids": [c.id for c in rows]})

    def shown(token):
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


def rotate_batch(session, keys: DataKeys, after_id, batch=1000):
    """Re-encrypt a batch of codes under the newest key; answers the last id looked at (None at
    the end) and how many were re-encrypted."""
    rows = session.execute(
        select(Code.id, Code.code, Code.secret)
        .where(Code.id > after_id)
        .order_by(Code.id)
        .limit(batch)
        .with_for_update()
    ).all()
    changed = [r for r in rows if not keys.is_current(r.code) or (r.secret and not keys.is_current(r.secret))]
    for row in changed:
        session.execute(
            update(Code)
            .where(Code.id == row.id)
            .values(code=keys.rotate(row.code), secret=keys.rotate(row.secret) if row.secret else None)
        )
    return (rows[-1].id if rows else None), len(changed)


def count(session, sku=None):
    query = select(func.count()).select_from(Code)
    return session.execute(query.where(Code.sku == sku) if sku else query).scalar_one()
