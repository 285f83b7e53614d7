from marshmallow import ValidationError
from werkzeug.exceptions import MethodNotAllowed, NotFound, RequestEntityTooLarge

from gateway import errors
from services.common import errors as domain


def test_every_design_code_has_its_status():
    assert errors.STATUS == {
        "validation_error": 400,
        "unauthorized": 401,
        "forbidden": 403,
        "not_found": 404,
        "method_not_allowed": 405,
        "out_of_stock": 409,
        "conflict": 409,
        "insufficient_balance": 409,
        "coupon_unavailable": 409,
        "payload_too_large": 413,
        "unsupported_media_type": 415,
        "idempotency_mismatch": 422,
        "rate_limited": 429,
        "internal_error": 500,
        "unavailable": 503,
    }


def test_every_domain_error_maps_to_its_status():
    for cls in domain.DomainError.__subclasses__():
        status, body, _ = errors.describe(cls("m", {"k": "v"}))
        assert status == errors.STATUS[cls.code]
        assert body == {"error": {"code": cls.code, "message": "m", "details": {"k": "v"}}}


def test_rate_limited_says_when_to_retry():
    status, _, headers = errors.describe(domain.RateLimited("slow down", {"retry_after": 7}))
    assert status == 429 and headers == {"Retry-After": "7"}


def test_http_errors_and_validation():
    assert errors.describe(NotFound())[:2] == (404, errors.error_body("not_found"))
    status, body, headers = errors.describe(MethodNotAllowed(valid_methods=["GET"]))
    assert (status, body["error"]["code"], headers) == (405, "method_not_allowed", {"Allow": "GET"})
    assert errors.describe(RequestEntityTooLarge())[0] == 413
    status, body, _ = errors.describe(ValidationError({"sku": ["bad"]}))
    assert status == 400 and body["error"]["details"] == {"fields": {"sku": ["bad"]}}


def test_unexpected_error_reveals_nothing():
    status, body, _ = errors.describe(KeyError("database password"))
    assert (status, body) == (500, {"error": {"code": "internal_error", "message": "internal error"}})
