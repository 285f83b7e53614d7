"""The words of every notification: Jinja2 templates in `templates/<language>/<name>.j2`, each with
a `subject` and a `text` block and, for what goes by e-mail, an `html` block. The HTML block is
rendered autoescaped (a ticket excerpt or a SKU cannot inject markup); the subject and the text
are plain. Languages: zh (the default, and what an unknown language gets) and en."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from services.common.money import format_minor

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
_LOADER = FileSystemLoader(Path(__file__).parent / "templates")


def _environment(autoescape: bool) -> Environment:
    env = Environment(loader=_LOADER, autoescape=autoescape, undefined=StrictUndefined, keep_trailing_newline=True)
    env.filters["money"] = format_minor
    return env


_PLAIN, _HTML = _environment(False), _environment(True)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None


def language_of(value: Any) -> str:
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def render(name: str, language: str, values: dict[str, Any]) -> Rendered:
    path = f"{language_of(language)}/{name}.j2"
    plain = _PLAIN.get_template(path)
    context = plain.new_context(values)
    subject = "".join(plain.blocks["subject"](context)).strip()
    text = "".join(plain.blocks["text"](context))
    html = None
    if "html" in plain.blocks:
        escaped = _HTML.get_template(path)
        html = "".join(escaped.blocks["html"](escaped.new_context(values)))
    return Rendered(subject, text, html)
