"""Domain error types. Each has a stable `code` from DESIGN §6; the gateway maps codes to HTTP.

They cross RPC intact: every subclass is registered with nameko's exception registry, so a caller
gets the same class back (with its message and details) instead of a bare `RemoteError`.
"""

import json
from typing import Any

from marshmallow import Schema
from nameko.exceptions import deserialize_to_instance


class DomainError(Exception):
    code = "internal_error"

    def __init__(self, message: str, details: dict[str, Any] | str | None = None) -> None:
        # a str: as it comes back over RPC (see below)
        loaded: dict[str, Any] = json.loads(details) if isinstance(details, str) else details or {}
        # nameko turns every non-string argument into its str(); JSON keeps the details' types
        super().__init__(message, json.dumps(loaded, default=str))
        self.message = message
        self.details = loaded

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        deserialize_to_instance(cls)

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


deserialize_to_instance(DomainError)


class InvalidInput(DomainError):
    code = "validation_error"


class Unauthorized(DomainError):
    code = "unauthorized"


class Forbidden(DomainError):
    code = "forbidden"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class OutOfStock(DomainError):
    code = "out_of_stock"


class IdempotencyMismatch(DomainError):
    code = "idempotency_mismatch"


class InsufficientBalance(DomainError):
    """An agent's wallet cannot pay (issue 19): nothing was booked."""

    code = "insufficient_balance"


class CouponUnavailable(DomainError):
    """A coupon unknown, inactive, outside its dates or scope, below its threshold or used up (409)."""

    code = "coupon_unavailable"


class RateLimited(DomainError):
    code = "rate_limited"


class Unavailable(DomainError):
    code = "unavailable"


def load(schema: Schema, data: Any) -> Any:
    """`schema.load(data)`, with marshmallow's ValidationError turned into InvalidInput (400)."""
    from marshmallow import ValidationError

    try:
        return schema.load(data)
    except ValidationError as exc:
        raise InvalidInput("invalid input", {"fields": exc.messages}) from None
