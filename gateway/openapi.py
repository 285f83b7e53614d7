"""/openapi.json, generated from the routes `http.api` recorded and the schemas they use."""

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from gateway import errors, schemas
from gateway.http import ROUTES


def _error_responses(route):
    statuses = {400, 500, 503}
    if route.body is not None:
        statuses |= {413, 415}
    if "{" in route.path:
        statuses.add(404)
    codes: dict[int, list[str]] = {}
    for code, status in errors.STATUS.items():
        codes.setdefault(status, []).append(code)
    return {
        str(s): {"description": " or ".join(codes[s]), "content": {"application/json": {"schema": "Error"}}}
        for s in sorted(statuses)
    }


def _operation(route):
    response = {"description": route.summary}
    if route.response is not None:
        response["content"] = {route.content: {"schema": route.response}}
    operation = {
        "operationId": route.name,
        "summary": route.summary,
        "tags": list(route.tags),
        "responses": {str(route.status): response, **_error_responses(route)},
    }
    if route.admin:
        operation["security"] = [{"adminToken": []}]
        operation["x-roles"] = list(route.roles)  # the staff roles that may call it
        operation["description"] = "Roles: " + ", ".join(route.roles)
        operation["responses"]["401"] = {
            "description": "unauthorized",
            "content": {"application/json": {"schema": "Error"}},
        }
    if route.signed:
        operation["security"] = [{"signedCall": []}]
        for status, codes in [("401", "unauthorized"), ("403", "forbidden"), ("422", "idempotency_mismatch")]:
            operation["responses"][status] = {
                "description": codes,
                "content": {"application/json": {"schema": "Error"}},
            }
    if route.query is not None:
        operation["parameters"] = [{"in": "query", "schema": route.query}]
    params = [p.strip("{}") for p in route.path.split("/") if p.startswith("{")]
    operation.setdefault("parameters", []).extend(
        {"in": "path", "name": p, "required": True, "schema": {"type": "string"}} for p in params
    )
    if route.body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": route.body}}}
    return operation


def build(version="0.1.0"):
    spec = APISpec(title="kameng", version=version, openapi_version="3.0.3", plugins=[MarshmallowPlugin()])
    spec.components.schema("Error", schema=schemas.Error)
    spec.components.security_scheme("adminToken", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme(
        "signedCall",
        {
            "type": "apiKey",
            "in": "header",
            "name": "X-Signature",
            "description": "with X-Key-Id, X-Timestamp (unix s), X-Nonce: X-Signature = hex HMAC-SHA256 keyed "
            "with the secret over METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nsha256hex(body)",
        },
    )
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
