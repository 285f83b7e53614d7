"""What every web page shares: the `page` decorator (route + navigation entry + HTML errors),
cookies, CSRF protection and server-side sessions.

- Cookies are HttpOnly and SameSite; Secure (with the `__Host-` name prefix) whenever
  KAMENG_PUBLIC_URL is https, as it is behind the TLS ingress.
- CSRF: a public form carries the value of the `csrf` cookie (double submit); an admin form, and
  every cookie-authenticated admin JSON call (header `X-CSRF-Token`), carries its session's token.
- Sessions (admin sign-in, "find my order" grants) live in Redis under a random id, so every
  gateway replica sees them and signing out ends them at once. Redis down: no session (fail closed).
"""

import functools
import hmac
import json
import logging
import secrets
from typing import NamedTuple

import redis
from werkzeug.utils import redirect

from gateway.http import JsonHttpHandler
from services.common.errors import DomainError, Forbidden, Unavailable

log = logging.getLogger(__name__)

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class NavItem(NamedTuple):
    area: str  # "store" or "admin"
    url: str | None  # None: announced, not built yet
    label: str  # an i18n key
    order: int
    roles: tuple = ()  # a console entry is shown to these roles (none: to everyone)


NAV: list[NavItem] = []


def nav(area, url, label, order, roles=()):
    NAV.append(NavItem(area, url, label, order, roles))
    NAV.sort(key=lambda item: (item.area, item.order))


def menu(area, role=None):
    return [item for item in NAV if item.area == area and (role is None or not item.roles or role in item.roles)]


class Redirect(Exception):
    def __init__(self, location):
        super().__init__(location)
        self.location = location


class Page(NamedTuple):
    method: str
    url: str
    name: str
    roles: tuple  # who may open it (gateway/auth.py); none: a public page


PAGES: list[Page] = []


def page(method, url, *, menu_label=None, area="store", order=50, roles=(), max_body=None, multipart=False):
    """Declare a web page: `@page("GET", "/find", menu_label="nav.find")`. Pages get the gateway's
    request ids and security headers, are not in /openapi.json, and answer errors as HTML pages.
    A console page names the roles that may open it (`roles=auth.CATALOG`): it needs a signed-in
    staff member (else it redirects to /admin/login) with one of them (else 403), who is found on
    `request.admin`. Every POST needs a valid CSRF token. `max_body`: a larger body limit (an upload),
    `multipart`: the form may be multipart/form-data (a file)."""
    if menu_label:
        nav(area, url, menu_label, order, tuple(roles))

    def decorate(fn):
        PAGES.append(Page(method, url, fn.__name__, tuple(roles)))

        @functools.wraps(fn)
        def handle(self, request, *args, **kwargs):
            from gateway import auth, pages  # pages imports this module

            request.environ["kameng.config"] = self.config
            try:
                request.admin = auth.console(self, request, roles) if roles else None
                if roles and request.admin is None:
                    raise Redirect("/admin/login")
                if request.method not in SAFE_METHODS:
                    check_csrf(request)
                return fn(self, request, *args, **kwargs)
            except Redirect as exc:
                return redirect(exc.location, code=303)
            except DomainError as exc:
                return pages.error_page(request, exc)

        return JsonHttpHandler.decorator(method, url, max_body=max_body, multipart=multipart)(handle)

    return decorate


# -- cookies -----------------------------------------------------------------------------------


def secure(config):
    return str(config.get("PUBLIC_URL", "")).startswith("https://")


def cookie_name(config, name, path="/"):
    """`__Host-` pins a cookie to this host and path / (browsers enforce it) when served over TLS."""
    return f"__Host-{name}" if secure(config) and path == "/" else name


def set_cookie(response, config, name, value, max_age=None, path="/", samesite="Lax"):
    response.set_cookie(
        cookie_name(config, name, path),
        value,
        max_age=max_age,
        path=path,
        secure=secure(config),
        httponly=True,
        samesite=samesite,
    )


def clear_cookie(response, config, name, path="/"):
    response.delete_cookie(
        cookie_name(config, name, path), path=path, secure=secure(config), httponly=True, samesite="Lax"
    )


def cookie(request, config, name, path="/"):
    return request.cookies.get(cookie_name(config, name, path), "")[:256]


# -- CSRF ----------------------------------------------------------------------------------------

CSRF_COOKIE = "kameng_csrf"


def csrf_token(request, config):
    """The token this page's forms must carry (a new one is set as a cookie by pages.render)."""
    if getattr(request, "admin", None):
        return request.admin["csrf"]
    if not getattr(request, "csrf_new", None):
        request.csrf_new = cookie(request, config, CSRF_COOKIE) or None
        if request.csrf_new is None:
            request.csrf_new = secrets.token_urlsafe(24)
            request.csrf_set = True
    return request.csrf_new


def check_csrf(request):
    """403 unless the form (or X-CSRF-Token) carries the expected token."""
    config = request.environ["kameng.config"]
    given = (request.headers.get("X-CSRF-Token") or request.form.get("csrf", ""))[:256]
    admin = getattr(request, "admin", None)
    expected = admin["csrf"] if admin else cookie(request, config, CSRF_COOKIE)
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Forbidden("the form has expired: reload the page", {"csrf": True})


# -- sessions ------------------------------------------------------------------------------------

ADMIN_COOKIE = "kameng_admin"
ADMIN_SESSION_S = 8 * 3600


class Sessions:
    """Server-side sessions in Redis: `create(kind, data, ttl)` -> id; `get(kind, id)`; `drop`."""

    def __init__(self, client, prefix):
        self.client, self.prefix = client, prefix

    def _key(self, kind, sid):
        return f"{self.prefix}:{kind}:{sid}"

    def create(self, kind, data, ttl):
        sid = secrets.token_urlsafe(32)
        try:
            self.client.set(self._key(kind, sid), json.dumps(data), ex=ttl)
        except redis.RedisError:
            raise Unavailable("sessions are unavailable", {}) from None
        return sid

    def get(self, kind, sid):
        if not sid:
            return None
        try:
            raw = self.client.get(self._key(kind, sid))
        except redis.RedisError:
            log.warning("sessions unavailable (Redis): treated as signed out")
            return None
        return json.loads(raw) if raw else None

    def drop(self, kind, sid):
        try:
            self.client.delete(self._key(kind, sid))
        except redis.RedisError:
            log.warning("could not end a session (Redis)")


@functools.lru_cache(maxsize=8)
def _sessions(redis_url, prefix):
    return Sessions(redis.Redis.from_url(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5), prefix)


def sessions(config):
    return _sessions(
        config.get("REDIS_URL", "redis://127.0.0.1:6379/0"), config.get("SESSION_PREFIX", "kameng:session")
    )


def admin_session(request, config):
    """The console session from the cookie ({"token": the account service's staff session
    token, "csrf"}), or None. Whether it is still live is the account service's to say
    (gateway/auth.py): a password change, a TOTP reset or an admin ends it there."""
    found = sessions(config).get("admin", cookie(request, config, ADMIN_COOKIE))
    return found if found and found.get("token") else None


def start_admin_session(response, config, token, csrf=None):
    data = {"token": token, "csrf": csrf or secrets.token_urlsafe(24)}
    sid = sessions(config).create("admin", data, ADMIN_SESSION_S)
    set_cookie(response, config, ADMIN_COOKIE, sid, max_age=ADMIN_SESSION_S, samesite="Strict")


def renew_admin_session(request, response, config, token):
    """After a password change this browser goes on with the session the new password made (its
    CSRF token stays); every other session has ended."""
    old = admin_session(request, config)
    sessions(config).drop("admin", cookie(request, config, ADMIN_COOKIE))
    if old is not None:
        start_admin_session(response, config, token, old["csrf"])
    return response


def end_admin_session(request, response, config):
    """Answers the account session's token, which the caller ends at the account service."""
    sid = cookie(request, config, ADMIN_COOKIE)
    found = sessions(config).get("admin", sid)
    sessions(config).drop("admin", sid)
    clear_cookie(response, config, ADMIN_COOKIE)
    return found and found.get("token")
