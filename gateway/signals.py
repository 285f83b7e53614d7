"""What the gateway knows about a buyer, passed with the order to the risk step (issue 7).

The device id comes from the storefront's `kameng_device` cookie or an `X-Device-Id` header (apps);
the client IP is DESIGN §7's (the peer, or X-Forwarded-For from a trusted proxy only). A member or
agent id joins once accounts authenticate buyers. Every value is bounded: they are stored."""

import re
import secrets

from gateway.http import client_ip

DEVICE = re.compile(r"^[\x21-\x7e]{1,128}$")  # printable, no spaces; anything else is ignored
DEVICE_COOKIE = "kameng_device"


def device_id(request):
    for value in (request.cookies.get(DEVICE_COOKIE, ""), request.headers.get("X-Device-Id", "")):
        if DEVICE.match(value):
            return value
    return None


def of(request, trusted_proxies):
    return {
        "ip": client_ip(request, trusted_proxies),
        "user_agent": request.headers.get("User-Agent", "")[:256],
        "device_id": device_id(request),
        "member_id": None,
    }


def remember_device(request, response, public_url=""):
    """Storefront pages give a browser without one a device id (a year, first-party, HttpOnly;
    Secure when the public URL is https, as TLS ends at the ingress)."""
    if not DEVICE.match(request.cookies.get(DEVICE_COOKIE, "")):
        response.set_cookie(
            DEVICE_COOKIE,
            secrets.token_urlsafe(18),
            max_age=365 * 86400,
            httponly=True,
            samesite="Lax",
            secure=public_url.startswith("https://"),
        )
    return response
