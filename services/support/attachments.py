"""Attachments (issue 21): at most MAX_BYTES, and only PNG, JPEG, WebP or plain UTF-8 text, told
by their first bytes, not by what the uploader declared. A file is kept in the database (bytea)
and served only to the ticket's parties, always as a download (`Content-Disposition: attachment`
and `nosniff` at the gateway), under the type its bytes proved, never the declared one."""

import base64
import hashlib
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.envelope import isoformat
from services.common.errors import NotFound
from services.support.errors import AttachmentTooLarge, UnsupportedAttachment
from services.support.models import Attachment, Ticket

MAX_BYTES = 2 * 1024 * 1024
TYPES = ("image/png", "image/jpeg", "image/webp", "text/plain")
NAME = re.compile(r"[^A-Za-z0-9._-]+")


def sniff(content: bytes) -> str | None:
    """The type the bytes are, among TYPES; None for anything else."""
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return "text/plain" if is_text(content) else None


def is_text(content: bytes) -> bool:
    """UTF-8 without NULs or other control characters than tab, newline and carriage return."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not any((ord(ch) < 32 and ch not in "\t\n\r") or ord(ch) == 127 for ch in text)


def check(content: bytes, declared: str) -> str:
    """The attachment's type, or 413 / 415: too large, empty, not one of TYPES, or its bytes are
    not what the uploader declared (a script named photo.png is refused, not renamed)."""
    if len(content) > MAX_BYTES:
        raise AttachmentTooLarge("attachments are at most 2 MiB", {"max_bytes": MAX_BYTES, "size": len(content)})
    declared = (declared or "").split(";")[0].strip().lower()
    found = sniff(content) if content else None
    if found is None or declared not in TYPES:
        raise UnsupportedAttachment("attach a PNG, JPEG or WebP image or a plain text file", {"allowed": list(TYPES)})
    if found != declared:
        raise UnsupportedAttachment(
            "the file's content is not what its type says", {"declared": declared, "content": found}
        )
    return found


def safe_name(filename: str | None, content_type: str) -> str:
    extension = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp", "text/plain": ".txt"}[content_type]
    stem = NAME.sub("_", (filename or "").rsplit(".", 1)[0])[:60].strip("._") or "attachment"
    return stem + extension


def add(session: Session, ticket: Ticket, by: str, filename: str | None, declared: str, content: bytes) -> dict:
    content_type = check(content, declared)
    row = Attachment(
        ticket_id=ticket.ticket_id,
        by=by,
        filename=safe_name(filename, content_type),
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )
    session.add(row)
    session.flush()
    return view(row)


def view(row: Attachment) -> dict:
    return {
        "id": row.id,
        "by": row.by,
        "filename": row.filename,
        "content_type": row.content_type,
        "size": row.size,
        "at": isoformat(row.at),
    }


def listed(session: Session, ticket_id: str) -> list[dict]:
    rows = session.scalars(select(Attachment).where(Attachment.ticket_id == ticket_id).order_by(Attachment.id))
    return [view(r) for r in rows]


def content_of(session: Session, ticket_id: str, attachment_id: int) -> dict:
    """{"filename", "content_type", "content"} of one of the ticket's attachments (404 otherwise)."""
    row = session.get(Attachment, attachment_id)
    if row is None or row.ticket_id != ticket_id:
        raise NotFound("no such attachment", {})
    content = base64.b64encode(row.content).decode()  # RPC payloads are JSON
    return {"filename": row.filename, "content_type": row.content_type, "content": content}
