"""The staff webhook targets, set up by admins (owner, operator): the URL (a bot URL carries its
token) and any signing secret are encrypted (DataKeys; services/rotation.py lists them) and never
shown again: a view names the URL's scheme and host only, and whether a secret is set. Audited."""

from typing import Any
from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common import audit
from services.common.crypto import DataKeys
from services.common.envelope import isoformat
from services.common.errors import Conflict, InvalidInput, NotFound, load
from services.notify.channels import FORMATS
from services.notify.models import Target
from services.notify.news import TOPICS
from services.notify.templates import LANGUAGES


class TargetFields(Schema):
    name = fields.String(validate=validate.Length(min=1, max=80))
    format = fields.String(validate=validate.OneOf(FORMATS))
    url = fields.Url(schemes={"https", "http"}, require_tld=False, validate=validate.Length(max=2000))
    secret = fields.String(allow_none=True, validate=validate.Length(min=1, max=200))
    chat_id = fields.String(allow_none=True, validate=validate.Length(min=1, max=64))
    topics = fields.List(fields.String(validate=validate.OneOf(TOPICS)), validate=validate.Length(max=len(TOPICS)))
    language = fields.String(validate=validate.OneOf(LANGUAGES))
    enabled = fields.Boolean()


class NewTarget(TargetFields):
    class Meta:
        fields = ("name", "format", "url", "secret", "chat_id", "topics", "language", "enabled")

    @validates_schema
    def telegram_needs_a_chat(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("format") == "telegram" and not data.get("chat_id"):
            raise ValidationError("a telegram target needs its chat_id", "chat_id")


for name in ("name", "format", "url"):
    NewTarget._declared_fields[name].required = True


def view(t: Target) -> dict[str, Any]:
    return {
        "id": t.id,
        "name": t.name,
        "format": t.format,
        "chat_id": t.chat_id,
        "topics": list(t.topics),
        "language": t.language,
        "enabled": t.enabled,
        "has_secret": t.secret is not None,
        "created_at": isoformat(t.created_at),
        "updated_at": isoformat(t.updated_at),
    }


def view_with_host(keys: DataKeys, t: Target) -> dict[str, Any]:
    parts = urlsplit(keys.decrypt(t.url))
    return {**view(t), "url_host": f"{parts.scheme}://{parts.hostname}"}


def listing(session: Session, keys: DataKeys) -> list[dict[str, Any]]:
    return [view_with_host(keys, t) for t in session.scalars(select(Target).order_by(Target.id))]


def _apply(t: Target, keys: DataKeys, data: dict[str, Any]) -> None:
    for field in ("name", "format", "chat_id", "topics", "language", "enabled"):
        if field in data:
            setattr(t, field, data[field])
    if "url" in data:
        t.url = keys.encrypt(data["url"])
    if "secret" in data:
        t.secret = keys.encrypt(data["secret"]) if data["secret"] else None


def create(session: Session, keys: DataKeys, actor: str, body: Any) -> dict[str, Any]:
    data = load(NewTarget(), body)
    t = Target(topics=[], language="zh", enabled=True)
    _apply(t, keys, data)
    session.add(t)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("a target of that name exists", {"name": data["name"]}) from None
    audit.record(session, actor, "notify.target_created", f"target:{t.id}", {"name": t.name, "format": t.format})
    session.flush()
    session.refresh(t)
    return view_with_host(keys, t)


def update(session: Session, keys: DataKeys, actor: str, target_id: int, body: Any) -> dict[str, Any]:
    data = load(TargetFields(partial=True), body)
    t = session.get(Target, target_id, with_for_update=True)
    if t is None:
        raise NotFound("no such target", {"id": target_id})
    _apply(t, keys, data)
    if t.format == "telegram" and not t.chat_id:
        raise InvalidInput("a telegram target needs its chat_id", {"chat_id": ["required"]})
    t.updated_at = func.now()
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("a target of that name exists", {"name": data.get("name")}) from None
    changed = sorted(k for k in data if k not in ("url", "secret")) + sorted(k for k in data if k in ("url", "secret"))
    audit.record(session, actor, "notify.target_updated", f"target:{t.id}", {"changed": changed})
    session.refresh(t)
    return view_with_host(keys, t)


def delete(session: Session, actor: str, target_id: int) -> dict[str, Any]:
    t = session.get(Target, target_id, with_for_update=True)
    if t is None:
        raise NotFound("no such target", {"id": target_id})
    shown = view(t)
    session.delete(t)
    audit.record(session, actor, "notify.target_deleted", f"target:{t.id}", {"name": t.name})
    return shown
