"""/openapi.json, generated from the routes `http.api` recorded and the schemas they use.

Every status a route can answer is listed: those every route of its kind has (400, 500, 503; 413
and 415 with a body; 404 with a path value; 401 and 429 for bearer and signed routes, whose failed
credentials count against the `auth` limit; 409 for admin changes) and those its `api(...)` names.
Every success has a content type and a schema; a schema's one-of rules (`ONE_OF` on the marshmallow
class) become `oneOf`; a timestamp is `format: date-time`."""

from typing import Any

from apispec import APISpec, BasePlugin
from apispec.ext.marshmallow import MarshmallowPlugin

from gateway import errors, schemas
from gateway.http import ROUTES

ERROR = {"application/json": {"schema": "Error"}}
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer", "minimum": 1}}}


class OneOfPlugin(BasePlugin):
    """`ONE_OF = (("percent_off", "price"),)` on a schema: exactly one of each group is given (and
    not null). Each alternative requires its field and holds it to the field's own non-null type."""

    def schema_helper(self, name, definition, **kwargs):
        schema = kwargs.get("schema")
        groups = getattr(schema, "ONE_OF", ()) if schema is not None else ()
        if not groups:
            return None
        properties = definition.get("properties", {})
        rules = []
        for group in groups:
            alternatives = []
            for field in group:
                own = {k: v for k, v in properties.get(field, {}).items() if k not in ("nullable", "default")}
                alternatives.append({"required": [field], "properties": {field: own}})
            rules.append({"oneOf": alternatives})
        return {"allOf": rules} if len(rules) > 1 else rules[0]


def _statuses(route) -> set[int]:
    statuses = {400, 500, 503}
    if route.body is not None or route.bodies is not None:
        statuses |= {413, 415}
    if "{" in route.path:
        statuses.add(404)
    if route.admin:
        statuses |= {401, 403, 429}  # 403: a credential without the route's roles
        if route.method != "GET":
            statuses.add(409)
    if route.signed:
        statuses |= {401, 403, 422, 429}
    return statuses | {e for e in route.errors if isinstance(e, int)}


def _error_responses(route):
    codes: dict[int, list[str]] = {}
    for code, status in errors.STATUS.items():
        codes.setdefault(status, []).append(code)
    responses: dict[str, Any] = {}
    for status in sorted(_statuses(route)):
        if status < 400:
            responses[str(status)] = {"description": "no content" if status == 204 else "answered"}
            continue
        responses[str(status)] = {"description": " or ".join(codes.get(status, ["error"])), "content": ERROR}
        if status == 429:
            responses[str(status)]["headers"] = RETRY_AFTER
    for extra in route.errors:  # (status, content): an answer in another shape than the Error one
        if isinstance(extra, tuple):
            status, content = extra
            responses[str(status)] = {"description": "the caller's own format", "content": content}
    return responses


def _success(route):
    response: dict[str, Any] = {"description": route.summary}
    if route.status == 204:
        return response
    if route.response is not None:
        schema = route.response
    elif route.content == "application/json":
        schema = {"type": "object"}
    else:
        schema = {"type": "string"}
    response["content"] = {route.content: {"schema": schema}}
    return response


def _operation(route):
    operation = {
        "operationId": route.name,
        "summary": route.summary,
        "tags": list(route.tags),
        "responses": {**_error_responses(route), str(route.status): _success(route)},
    }
    if route.admin:
        operation["security"] = [{"adminToken": []}]
        operation["x-roles"] = list(route.roles)  # the staff roles that may call it
        operation["description"] = "Roles: " + ", ".join(route.roles)
    if route.signed:
        operation["security"] = [{route.signed if isinstance(route.signed, str) else "signedCall": []}]
    if route.query is not None:
        operation["parameters"] = [{"in": "query", "schema": route.query}]
    params = [p.strip("{}") for p in route.path.split("/") if p.startswith("{")]
    operation.setdefault("parameters", []).extend(
        {"in": "path", "name": p, "required": True, "schema": {"type": "string"}} for p in params
    )
    operation["parameters"].extend(
        {
            "in": "header",
            "name": name,
            "required": required,
            "description": description,
            "schema": {"type": "string", "minLength": 1, "maxLength": 255},
        }
        for name, required, description in route.headers
    )
    if route.body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": route.body}}}
    elif route.bodies is not None:
        operation["requestBody"] = {
            "required": True,
            "content": route.bodies,
        }
    return operation


def build(version="0.1.0"):
    spec = APISpec(
        title="kameng", version=version, openapi_version="3.0.3", plugins=[MarshmallowPlugin(), OneOfPlugin()]
    )
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
    spec.components.security_scheme(
        "agentSignature",
        {
            "type": "apiKey",
            "in": "header",
            "name": "X-Signature",
            "description": "an agent's key (the open API): with X-Key-Id, X-Timestamp (unix s), X-Nonce: X-Signature "
            "= hex HMAC-SHA256 keyed with the secret over METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nsha256hex(body); "
            "401 for a bad signature, a timestamp more than 300 s off, a nonce seen before, an unknown or revoked key; "
            "403 from an address outside the agent's allowlist",
        },
    )
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
