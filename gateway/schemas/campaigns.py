"""Timed campaigns (issue 22): the admin API's and console's shapes. The catalog checks its
rules again (time zone, SKUs, category) on its side."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from gateway.schemas.common import SKU, Timestamp

HHMM = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$")


class Campaign(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(1, 100), metadata={"example": "周末晚高峰"})
    percent_off = fields.Integer(required=True, strict=True, validate=validate.Range(1, 99))
    weekdays = fields.List(
        fields.Integer(strict=True, validate=validate.Range(1, 7)),
        required=True,
        validate=validate.Length(1, 7),
        metadata={"description": "ISO weekdays, 1 = Monday; a window belongs to the day it starts on"},
    )
    starts = fields.String(required=True, validate=HHMM, metadata={"example": "20:00"})
    ends = fields.String(
        required=True,
        validate=HHMM,
        metadata={"example": "22:00", "description": "before `starts`: the window crosses midnight"},
    )
    timezone = fields.String(
        load_default="Asia/Shanghai", validate=validate.Length(1, 64), metadata={"example": "Asia/Shanghai"}
    )
    valid_from = Timestamp(allow_none=True, load_default=None, validate=validate.Length(max=40))
    valid_until = Timestamp(allow_none=True, load_default=None, validate=validate.Length(max=40))
    skus = fields.List(fields.String(validate=SKU), validate=validate.Length(1, 500), allow_none=True)
    category = fields.String(validate=validate.Length(1, 64), allow_none=True)
    notify = fields.Boolean(load_default=True, metadata={"description": "mail opted-in members at each start"})
    active = fields.Boolean(dump_only=True)
    running = fields.Boolean(dump_only=True)
    ends_at = fields.String(dump_only=True, allow_none=True, metadata={"description": "the running window's end"})
    next_starts_at = fields.String(dump_only=True, allow_none=True)

    @validates_schema
    def what(self, data, **kwargs):
        if bool(data.get("skus")) == bool(data.get("category")):
            raise ValidationError("give exactly one of skus and category", "skus")
        if data.get("starts") == data.get("ends"):
            raise ValidationError("must differ from starts (an empty window never runs)", "ends")


class CampaignList(Schema):
    items = fields.List(fields.Nested(Campaign))
