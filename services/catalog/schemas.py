"""Catalog RPC payloads (this service's own copies; the gateway keeps the HTTP ones)."""
from marshmallow import Schema, fields, validate


class ListProducts(Schema):
    category = fields.String(load_default=None, validate=validate.Length(max=64))
    q = fields.String(load_default=None, validate=validate.Length(max=64))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    cursor = fields.String(load_default=None, validate=validate.Length(max=256))

