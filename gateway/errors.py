"""The one error table: every failure becomes DESIGN §6's shape
`{"error": {"code", "message", "details"?}}` with its status. No stack trace ever leaves."""

import json
import logging

from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.wrappers import Response

from services.common.errors import DomainError

log = logging.getLogger(__name__)

STATUS = {
    "validation_error": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "out_of_stock": 409,
    "conflict": 409,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "idempotency_mismatch": 422,
    "insufficient_balance": 409,
    "coupon_unavailable": 409,
    "rate_limited": 429,
    "internal_error": 500,
    "unavailable": 503,
}

# werkzeug's HTTP errors (routing, body size) by status -> our code
HTTP_CODES = {
    400: "validation_error",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    308: "not_found",
}  # werkzeug's "merge the slashes" redirect: not an API path

MESSAGES = {
    "not_found": "no such resource",
    "method_not_allowed": "method not allowed on this resource",
    "payload_too_large": "request body too large",
    "unsupported_media_type": "content type not supported here",
    "internal_error": "internal error",
}


def error_body(code, message=None, details=None):
    error = {"code": code, "message": message or MESSAGES.get(code, code.replace("_", " "))}
    if details:
        error["details"] = details
    return {"error": error}


def json_response(status, payload, headers=None):
    return Response(
        json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        status=status,
        headers=headers,
        content_type="application/json; charset=utf-8",
    )


def describe(exc):
    """(status, body, extra headers) for any exception."""
    if isinstance(exc, DomainError):
        status = STATUS.get(exc.code, 500)
        headers = {"Retry-After": str(exc.details.get("retry_after", 1))} if status == 429 else {}
        return status, error_body(exc.code, exc.message, exc.details), headers
    if isinstance(exc, ValidationError):
        return 400, error_body("validation_error", "invalid input", {"fields": exc.messages}), {}
    if isinstance(exc, HTTPException) and exc.code in HTTP_CODES:
        code = HTTP_CODES[exc.code]
        headers = (
            {"Allow": ", ".join(exc.valid_methods)} if isinstance(exc, MethodNotAllowed) and exc.valid_methods else {}
        )
        message = MESSAGES.get(code) if code != "validation_error" else "malformed request"
        return STATUS[code], error_body(code, message), headers
    log.error("unhandled error", exc_info=(type(exc), exc, exc.__traceback__))
    return 500, error_body("internal_error"), {}


def error_response(exc):
    status, body, headers = describe(exc)
    return json_response(status, body, headers)
