"""Server-rendered pages: Jinja2 with autoescape, one base layout (templates/base.html), shared
partials (templates/_ui.html), words from gateway/i18n.py, assets from gateway/static/ (no CDN,
no inline script: the CSP forbids it). Pages are declared with `web.page` in gateway/routes/."""

import functools
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import segno
from jinja2 import Environment, FileSystemLoader, select_autoescape
from werkzeug.wrappers import Response

from gateway import i18n, web
from services.common.errors import NotFound
from services.common.money import format_minor

HERE = Path(__file__).parent
LANG_COOKIE = "kameng_lang"
templates = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(), trim_blocks=True, lstrip_blocks=True
)
templates.filters["money"] = format_minor


def qr_data_uri(text):
    """A QR code as an SVG data: URI (the CSP allows images from data:)."""
    return segno.make(text, error="m").svg_data_uri(scale=5, border=2)


templates.filters["qr"] = qr_data_uri
MERCHANT_TZ = ZoneInfo("Asia/Shanghai")  # the console's times are the merchant's (the pages name it)


def console_time(value):
    """The console's times: the merchant's wall clock to the second, "2026-12-07 23:05:09" (the
    pages name the zone); a naive one is taken as UTC; nothing: "—"; what is not a time as it is."""
    if not value:
        return "—"
    return local_time(value, MERCHANT_TZ, "%Y-%m-%d %H:%M:%S", named=False)


templates.filters["localtime"] = console_time


def tiles(products):
    """The storefront's tiles: one per product, the specs of a group (issue 24) gathered into
    the tile of their group, in the listing's order. A group's tile opens its cheapest spec and
    shows that price ("from"), with `specs` (how many) and `stock` (the specs' sum; None when
    one is unlimited). What is sold at what price stays the catalog's answer, per SKU."""
    shown: list[dict] = []
    by_group: dict[int, dict] = {}
    for p in products:
        group = p.get("group")
        if not group:
            shown.append({**p, "specs": 1})
            continue
        tile = by_group.get(group["id"])
        if tile is None:
            tile = by_group[group["id"]] = {**p, "name": group["name"], "specs": 0, "stock": 0}
            shown.append(tile)
        elif p["price"] < tile["price"]:
            tile.update(sku=p["sku"], price=p["price"])
        tile["specs"] += 1
        tile["stock"] = None if tile["stock"] is None or p["stock"] is None else tile["stock"] + p["stock"]
    return shown


DEFAULT_ZONE = "Asia/Shanghai"


@functools.lru_cache(maxsize=8)
def shop_zone(name):
    """The shop's time zone (KAMENG_SHOP_TIMEZONE); an unknown name: the default."""
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def local_time(value, zone, fmt="%Y-%m-%d %H:%M", named=True):
    """A service's UTC timestamp (ISO 8601, `Z`) shown in the shop's zone, the zone named:
    "2026-12-07 23:15 (Asia/Shanghai)". Nothing in: an empty string."""
    if not value:
        return ""
    try:
        at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    text = at.astimezone(zone).strftime(fmt)
    return f"{text} ({zone.key})" if named else text


def product_names(gateway, skus):
    """{sku: the product's name} for the orders a page lists (an order keeps its SKU only); a
    product the catalog no longer has shows its SKU. Through the gateway's product cache."""
    from gateway import cache, schemas

    def fetch(sku):
        return lambda: schemas.ProductDetail().dump(gateway.catalog_rpc.get_product(sku))

    names = {}
    for sku in set(skus):
        try:
            names[sku] = cache.product.get_or_set(sku, fetch(sku))["name"]
        except NotFound:
            continue
    return names


def language(request, config):
    return i18n.pick(request.args.get("lang"), web.cookie(request, config, LANG_COOKIE))


def render(request, name, status=200, **context):
    config = request.environ["kameng.config"]
    lang = language(request, config)
    admin = getattr(request, "admin", None)
    csrf = web.csrf_token(request, config)
    body = templates.get_template(name).render(
        t=i18n.translator(lang),
        lang=lang,
        csrf=csrf,
        admin=admin,
        request_path=request.path,
        menu=web.menu("admin", admin["role"]) if admin else web.menu("store"),
        local=functools.partial(local_time, zone=shop_zone(config.get("SHOP_TIMEZONE"))),
        **context,
    )
    response = Response(body, status=status, content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"  # pages show orders, codes, tokens
    if getattr(request, "csrf_set", False):
        web.set_cookie(response, config, web.CSRF_COOKIE, csrf)
    if request.args.get("lang") == lang:
        web.set_cookie(response, config, LANG_COOKIE, lang, max_age=365 * 86400)
    return response


ERROR_WORDS = {
    "not_found": "error.not_found",
    "forbidden": "error.csrf",
    "rate_limited": "error.rate_limited",
    "unavailable": "error.unavailable",
    "validation_error": "error.invalid",
}


def error_page(request, exc):
    """A domain error as a page with the status DESIGN gives its code."""
    from gateway import errors

    status = errors.STATUS.get(exc.code, 500)
    retry = exc.details.get("retry_after", 1) if exc.code == "rate_limited" else None
    words = ERROR_WORDS.get(exc.code, "error.title")
    if exc.code == "forbidden" and not exc.details.get("csrf"):
        words = "error.forbidden"  # a role's limit, not an expired form
    response = render(request, "error.html", status=status, message=words, retry=retry)
    if retry is not None:
        response.headers["Retry-After"] = str(retry)
    return response


def static(filename):
    path = (HERE / "static" / filename).resolve()
    if path.parent != (HERE / "static").resolve() or not path.is_file():
        return None
    kinds = {
        ".css": "text/css; charset=utf-8",
        ".js": "text/javascript; charset=utf-8",
        ".svg": "image/svg+xml",
        ".png": "image/png",
    }
    response = Response(path.read_bytes(), content_type=kinds.get(path.suffix, "application/octet-stream"))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
