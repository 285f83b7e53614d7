"""What every area's schemas share: money as a decimal string, timestamps, the one error shape,
common bounds."""

import datetime

from marshmallow import Schema, ValidationError, fields, validate

from services.common.money import format_minor, parse_minor


class Money(fields.Field):
    """A decimal string with at most two places ("9.90") <-> integer minor units. Numbers are
    refused: a JSON number is a float to most clients, and money is never a float."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).update(type="string", pattern=r"^\d+(\.\d{1,2})?$", example="9.90")
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else format_minor(value)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_minor(value)
        except ValueError:
            raise ValidationError('a decimal string such as "9.90"') from None


def Timestamp(**kwargs):
    """A timestamp in an answer: ISO 8601 in UTC with `Z` (DESIGN §6), as the services format it."""
    kwargs.setdefault("metadata", {}).setdefault("format", "date-time")
    return fields.String(**kwargs)


class UtcDateTime(fields.AwareDateTime):
    """A timestamp in a request: ISO 8601 with an offset, loaded as UTC. A time that cannot be one
    (an offset PostgreSQL refuses, a year outside 1..9999 once in UTC) is a validation error."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(datetime.UTC)
        except OverflowError:
            raise ValidationError("not a time in UTC years 1 to 9999") from None


class ErrorDetail(Schema):
    code = fields.String(
        required=True,
        metadata={
            "enum": [
                "validation_error",
                "unauthorized",
                "forbidden",
                "not_found",
                "method_not_allowed",
                "out_of_stock",
                "conflict",
                "payload_too_large",
                "unsupported_media_type",
                "idempotency_mismatch",
                "insufficient_balance",
                "coupon_unavailable",
                "rate_limited",
                "internal_error",
                "unavailable",
            ]
        },
    )
    message = fields.String(required=True)
    details = fields.Dict()


class Error(Schema):
    error = fields.Nested(ErrorDetail, required=True)


SKU = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", error="letters, digits, . _ - (max 64)")


CURRENCY = validate.OneOf(["CNY", "USD", "USDT"])


QUANTITY = validate.Range(1, 10_000)
