"""The integrity report (gateway/routes/admin_integrity.py; the audit service makes it)."""

from marshmallow import Schema, fields, validate


class IntegrityQuery(Schema):
    days = fields.Integer(load_default=30, validate=validate.Range(1, 366))
    grace_s = fields.Integer(load_default=300, validate=validate.Range(0, 86400))


class IntegrityReport(Schema):
    ok = fields.Boolean()
    grace_s = fields.Integer()
    counted = fields.Dict(keys=fields.String(), values=fields.Integer())
    problems = fields.List(fields.Dict(), metadata={"description": "each with `check` and what it found"})
