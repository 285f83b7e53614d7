"""Domain error types. Each has a stable `code` from DESIGN §6; the gateway maps codes to HTTP.

They cross RPC intact: every subclass is registered with nameko's exception registry, so a caller
gets the same class back (with its message and details) instead of a bare `RemoteError`.
"""
import json

from nameko.exceptions import deserialize_to_instance


class DomainError(Exception):
    code = "internal_error"

    def __init__(self, message, details=None):
        if isinstance(details, str):          # as it comes back over RPC (see below)
            details = json.loads(details)
        # nameko turns every non-string argument into its str(); JSON keeps the details' types
        super().__init__(message, json.dumps(details or {}, default=str))
        self.message = message
        self.details = details or {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        deserialize_to_instance(cls)

    def __str__(self):
        return self.message

    def to_dict(self):
        body = {"code": self.code, "message": self.message}
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


class RateLimited(DomainError):
    code = "rate_limited"


class Unavailable(DomainError):
    code = "unavailable"


def load(schema, data):
    """`schema.load(data)`, with marshmallow's ValidationError turned into InvalidInput (400)."""
    from marshmallow import ValidationError
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise InvalidInput("invalid input", {"fields": exc.messages}) from None
