"""nameko's @http, made to speak DESIGN §6 on every path.

- `JsonWebServer`: request id from `X-Request-Id` (or a new one) into the worker's context data,
  whence it rides every RPC call and event as the correlation id; JSON 404/405/413 for requests
  that never reach a handler; the request body size limit.
- `JsonHttpHandler`: dict results become JSON; every exception goes through `errors.describe`;
  every response carries `X-Request-Id` and the security headers; RED metrics per route.
- `api(...)`: declares a route and records its schemas for `/openapi.json`.
"""

import functools
import ipaddress
import json
import re
import uuid
from functools import partial
from typing import Any, NamedTuple

import eventlet
from eventlet.event import Event
from eventlet.semaphore import Semaphore
from marshmallow import ValidationError
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import BadRequest, HTTPException, RequestEntityTooLarge, UnsupportedMediaType
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from gateway import errors
from services.common import metrics
from services.common.errors import DomainError, InvalidInput

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
DEFAULT_MAX_BODY = 1 << 20

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
}


def request_id(environ):
    given = environ.get("HTTP_X_REQUEST_ID", "")
    return given if REQUEST_ID.match(given) else uuid.uuid4().hex


# behind TLS (an https KAMENG_PUBLIC_URL: the ingress terminates it), browsers are told to stay there
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def finish(response, rid, route, tls=False):
    response.headers["X-Request-Id"] = rid
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if tls:
        response.headers.setdefault(*HSTS)
    if response.mimetype == "application/json":
        response.headers.setdefault("Cache-Control", "no-store")
    metrics.HTTP_RESPONSES.labels(route, str(response.status_code)).inc()
    return response


class JsonRequest(Request):
    """A request as the handlers see it: with the body size it may have and its URL's path values."""

    body_limit: int
    path_values: dict[str, Any]
    actor: Any  # an admin route's gateway.auth.Actor


class JsonWsgiApp(WsgiApp):
    def __call__(self, environ, start_response):
        rid = request_id(environ)
        environ["kameng.request_id"] = rid
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            environ["wsgi.input_terminated"] = True  # eventlet de-chunks; werkzeug may read to EOF
        request = JsonRequest(environ, shallow=True)
        try:
            if "\x00" in request.path or "%00" in environ.get("QUERY_STRING", ""):
                raise BadRequest()  # PostgreSQL cannot even compare a string with NUL in it
            route, values = self.url_map.bind_to_environ(environ).match()
            provider = self.server.routes[int(route)]
            limit = provider.max_body or self.server.max_body
            if (request.content_length or 0) > limit:
                raise RequestEntityTooLarge()
            if request.mimetype == "multipart/form-data" and not getattr(provider, "multipart", False):
                raise UnsupportedMediaType()  # werkzeug 2.3's multipart parser only where a route needs it
            request.body_limit = limit
            request.max_content_length = limit + 1  # werkzeug stops a stream at this silently
            request.path_values = values
            with self.server.admission:
                response = provider.handle_request(request)
        except HTTPException as exc:
            response = finish(errors.error_response(exc), rid, "unmatched", self.server.tls)
        return response(environ, start_response)


_URL_MAPS: dict[tuple[tuple[str, str], ...], Map] = {}


class JsonWebServer(WebServer):
    """Requests take at most all but a quarter of the gateway's workers (at most HELD_BACK): the
    rest are for its hint handlers and timers, which nameko spawns from the same pool. Without
    that, a flash sale's buyers fill every worker and the catalog's `sold_out_changed` hint waits
    behind them, so buyers queued behind a sold-out SKU are not answered at the door."""

    BACKLOG = 1024  # nameko listens with eventlet's default of 50: a flash sale overflows it
    HELD_BACK = 20
    _starting: bool
    admission: Semaphore
    routes: list[Any]  # the providers, in the order of their rules' endpoints

    def setup(self):
        super().setup()
        workers = int(self.container.config.get("max_workers", 10))
        self.admission = Semaphore(max(1, workers - min(self.HELD_BACK, workers // 4)))

    def start(self):
        if not self._starting:
            self._starting = True
            self._sock = eventlet.listen(self.bind_addr, backlog=self.BACKLOG)
            self._sock.settimeout(None)
            self._serv = self.get_wsgi_server(self._sock, self.get_wsgi_app())
            self._gt = self.container.spawn_managed_thread(self.run)

    @property
    def tls(self):
        return str(self.container.config.get("PUBLIC_URL", "")).startswith("https://")

    @property
    def max_body(self):
        return int(self.container.config.get("MAX_BODY_BYTES", DEFAULT_MAX_BODY))

    def get_wsgi_app(self):
        return JsonWsgiApp(self)

    def make_url_map(self):
        """nameko's map, each rule's endpoint the provider's place in `self.routes`. werkzeug
        compiles every rule as it is added (a few seconds of CPU for the gateway's routes): a
        process that starts gateways again and again (the tests) compiles one map per set of routes."""
        self.routes = sorted(self._providers, key=lambda p: (p.url, p.method))
        key = tuple((p.url, p.method) for p in self.routes)
        if key not in _URL_MAPS:
            rules = (Rule(url, methods=method.split(","), endpoint=str(i)) for i, (url, method) in enumerate(key))
            _URL_MAPS[key] = Map(rules)
        return _URL_MAPS[key]

    def context_data_from_headers(self, request):
        return {"correlation_id": request.environ["kameng.request_id"]}


class JsonHttpHandler(HttpRequestHandler):
    server = JsonWebServer()

    def __init__(self, method, url, max_body=None, multipart=False, **kwargs):
        self.max_body = max_body
        self.multipart = multipart  # docs/security.md: the one route that parses multipart declares it
        # the caller's mistakes are answered, not logged as our errors
        kwargs.setdefault("expected_exceptions", (DomainError, ValidationError, HTTPException))
        super().__init__(method, url, **kwargs)

    def handle_request(self, request):
        request.shallow = False
        context_data = self.server.context_data_from_headers(request)
        try:
            args, kwargs = self.get_entrypoint_parameters(request)
            self.check_signature(args, kwargs)
            done = Event()
            self.container.spawn_worker(
                self, args, kwargs, context_data=context_data, handle_result=partial(self.handle_result, done)
            )
            response = self.response_from_result(done.wait())
        except Exception as exc:
            response = errors.error_response(exc)
        return finish(response, context_data["correlation_id"], self.url, self.server.tls)

    def response_from_result(self, result):
        if isinstance(result, Response):
            return result
        status, payload = result if isinstance(result, tuple) else (200, result)
        return errors.json_response(status, payload)


class Route(NamedTuple):
    method: str
    path: str  # OpenAPI form: /api/v1/products/{sku}
    name: str
    summary: str
    body: object
    query: object
    response: object
    status: int
    tags: tuple
    content: str
    admin: bool
    signed: bool | str = False  # signed with a key (DESIGN §7): True (a supplier's) or the security scheme's name
    roles: tuple = ()  # an admin route's roles (gateway/auth.py); every admin route has some
    errors: tuple = ()  # statuses the handler answers beyond those every route of its kind has (409, 429, ...)
    headers: tuple = ()  # request headers it reads: (name, required, description)
    bodies: object = None  # {content type: OpenAPI schema} of a body that is not one JSON schema


ROUTES: list[Route] = []


def api(
    method,
    url,
    *,
    summary,
    response=None,
    body=None,
    query=None,
    status=200,
    tags=(),
    max_body=None,
    content="application/json",
    signed=False,
    roles=(),
    errors=(),
    headers=(),
    bodies=None,
):
    """`@api("GET", "/api/v1/products/<sku>", summary=..., response=schemas.Product)`. An admin
    route names the roles that may call it, `roles=auth.CATALOG`: the caller is resolved and
    checked before the handler runs, which finds the `auth.Actor` on `request.actor`. `errors`
    names the statuses the handler may answer that /openapi.json cannot infer (409, 429, a 404
    of a resource named in the body); `headers` the request headers it reads."""

    def decorate(fn):
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", url)
        if path.startswith("/api/v1/admin") and not roles:
            raise ValueError(f"{method} {path}: an admin route must declare its roles")
        route = Route(
            method,
            path,
            fn.__name__,
            summary,
            body,
            query,
            response,
            status,
            tuple(tags),
            content,
            bool(roles),
            signed,
            tuple(roles),
            tuple(errors),
            tuple(headers),
            bodies,
        )
        ROUTES.append(route)
        multipart = bodies is not None and "multipart/form-data" in bodies
        handler = with_roles(fn, roles) if roles else fn
        return JsonHttpHandler.decorator(method, url, max_body=max_body, multipart=multipart)(handler)

    return decorate


def with_roles(fn, roles):
    @functools.wraps(fn)
    def handle(self, request, *args, **kwargs):
        from gateway import auth

        request.actor = auth.admin(self, request, roles)
        return fn(self, request, *args, **kwargs)

    return handle


def read_body(request):
    """The request body, at most the route's limit (streams without Content-Length included)."""
    data = request.get_data(cache=False)
    if len(data) > request.body_limit:
        raise RequestEntityTooLarge()
    return data


MAX_JSON_DEPTH = 32  # no request body nests deeper; a deeper one is refused before anything walks it


def json_body(request, schema, body=None):
    """The request's JSON object, validated by `schema` (unknown fields rejected). `body`: the
    bytes when the route has read them already (a signed route reads them for the signature)."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType()
    data = parse_json(read_body(request) if body is None else body)
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object")
    return schema.load(data)


def parse_json(raw):
    """A request body's JSON value (an empty body is null): InvalidInput (400) when it is not
    JSON, nests deeper than MAX_JSON_DEPTH, or holds a NUL character. The one JSON parser of
    request bodies: nothing recursive walks a value before its depth is known to be small."""
    try:
        data = json.loads(raw or b"null")
    except (ValueError, RecursionError):  # RecursionError: far too deep for the parser itself
        raise InvalidInput("malformed JSON") from None
    check_shape(data)
    return data


def check_shape(value):
    """Depth and NUL characters, without recursion (a deep value would exhaust the stack)."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise InvalidInput("NUL characters are not allowed")
            continue
        if not isinstance(item, (dict, list)):
            continue
        if depth > MAX_JSON_DEPTH:
            raise InvalidInput(f"JSON nested deeper than {MAX_JSON_DEPTH} levels", {"max_depth": MAX_JSON_DEPTH})
        if isinstance(item, dict):
            pending.extend((k, depth) for k in item)
            pending.extend((v, depth + 1) for v in item.values())
        else:
            pending.extend((v, depth + 1) for v in item)


def query_args(request, schema):
    return schema.load(request.args.to_dict())


def client_ip(request, trusted_proxies):
    """The socket peer, or -- only when the peer is a trusted proxy -- the last address in
    X-Forwarded-For that is not itself a trusted proxy (DESIGN §7). Hops that are not IP
    addresses are skipped."""
    networks = _networks(tuple(trusted_proxies))
    peer = request.remote_addr or ""
    if not _within(peer, networks):
        return peer
    for hop in reversed([h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",")]):
        if _address(hop) is not None and not _within(hop, networks):
            return hop
    return peer


@functools.lru_cache(maxsize=8)
def _networks(cidrs):
    """Parsed once; a bad CIDR in KAMENG_TRUSTED_PROXIES is a configuration error, raised at once."""
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)


def _address(text):
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _within(address, networks):
    ip = _address(address)
    return ip is not None and any(ip in network for network in networks)
