"""The event envelope of DESIGN §4: {"event_id", "type", "occurred_at", "correlation_id", "data"}."""

import uuid
from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, fields, validate


def utcnow() -> datetime:
    return datetime.now(UTC)


def isoformat(moment: datetime) -> str:
    """ISO 8601 in UTC with `Z`, as every timestamp in the API."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def make(
    type_: str, data: dict[str, Any], correlation_id: str | None = None, event_id: uuid.UUID | str | None = None
) -> dict[str, Any]:
    return {
        "event_id": str(event_id or uuid.uuid4()),
        "type": type_,
        "occurred_at": isoformat(utcnow()),
        "correlation_id": correlation_id,
        "data": data,
    }


class Envelope(Schema):
    event_id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{1,63}$"))
    occurred_at = fields.String(required=True)
    correlation_id = fields.String(required=True, allow_none=True, validate=validate.Length(max=128))
    data = fields.Dict(required=True)


SCHEMA = Envelope()  # one instance: building a Schema costs more than loading with it


def load(message: dict[str, Any]) -> dict[str, Any]:
    """Validate a received envelope; raises marshmallow.ValidationError (a poison message)."""
    SCHEMA.load(message)
    return message
