"""Server-rendered pages (Jinja2, autoescaped). The storefront proper grows here (issue: storefront)."""
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from werkzeug.wrappers import Response

from services.common.money import format_minor

HERE = Path(__file__).parent
templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(),
                        trim_blocks=True, lstrip_blocks=True)
templates.filters["money"] = format_minor


def render(name, status=200, **context):
    return Response(templates.get_template(name).render(**context), status=status,
                    content_type="text/html; charset=utf-8")


def static(filename):
    path = (HERE / "static" / filename).resolve()
    if path.parent != (HERE / "static").resolve() or not path.is_file():
        return None
    kinds = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
    response = Response(path.read_bytes(), content_type=kinds.get(path.suffix, "application/octet-stream"))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
