"""The staff webhook targets of the notify service (gateway/routes/admin_notifications.py): the
bodies' shape and bounds; the notify service checks them again and owns the rules. The URL and
the secret are write-only: a target is shown with its URL's scheme and host and `has_secret`."""

from marshmallow import Schema, fields, validate

from gateway.schemas.common import Timestamp

FORMATS = ("generic", "wecom", "dingtalk", "telegram")
TOPICS = ("support", "stock", "supplier")


class TargetChanges(Schema):
    name = fields.String(validate=validate.Length(1, 80))
    format = fields.String(validate=validate.OneOf(FORMATS))
    url = fields.Url(schemes={"https", "http"}, require_tld=False, validate=validate.Length(max=2000))
    secret = fields.String(allow_none=True, validate=validate.Length(1, 200), metadata={"description": "DingTalk 加签"})
    chat_id = fields.String(allow_none=True, validate=validate.Length(1, 64), metadata={"description": "telegram"})
    topics = fields.List(fields.String(validate=validate.OneOf(TOPICS)), validate=validate.Length(max=len(TOPICS)))
    language = fields.String(validate=validate.OneOf(("zh", "en")))
    enabled = fields.Boolean()


class NewTarget(TargetChanges):
    name = fields.String(required=True, validate=validate.Length(1, 80))
    format = fields.String(required=True, validate=validate.OneOf(FORMATS))
    url = fields.Url(schemes={"https", "http"}, require_tld=False, required=True, validate=validate.Length(max=2000))


class NotificationTarget(Schema):
    id = fields.Integer()
    name = fields.String()
    format = fields.String()
    url_host = fields.String()
    has_secret = fields.Boolean()
    chat_id = fields.String(allow_none=True)
    topics = fields.List(fields.String())
    language = fields.String()
    enabled = fields.Boolean()
    created_at = Timestamp()
    updated_at = Timestamp()


class NotificationTargets(Schema):
    items = fields.List(fields.Nested(NotificationTarget))
