"""The pages' words, from gettext message catalogs: gateway/translations/<locale>/LC_MESSAGES/
messages.po, one per language, zh-CN the default. Message ids are keys ("nav.home"); templates call
`t("key")` or `t("key", n=3)` (str.format). A missing key shows itself, and a unit test makes sure
every catalog carries exactly the keys of the template messages.pot. The catalogs are read as text
at import (babel's read_po): no compiled .mo file exists that could fall behind its .po. How to add
a word or a language: docs/translating.md."""

from pathlib import Path

from babel.messages.pofile import read_po

DEFAULT = "zh-CN"
CATALOGS = Path(__file__).resolve().parent / "translations"


def load(path):
    """A catalog's words: {key: text}, leaving out fuzzy and untranslated entries."""
    with open(path, "rb") as f:
        catalog = read_po(f)
    return {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}


def load_all(root=CATALOGS):
    """{page language: words} for every locale directory: zh_CN is the page language zh-CN."""
    return {po.parent.parent.name.replace("_", "-"): load(po) for po in sorted(root.glob("*/LC_MESSAGES/messages.po"))}


LANGUAGES = load_all()


def translator(lang):
    words = LANGUAGES.get(lang) or LANGUAGES[DEFAULT]

    def t(key, **values):
        text = words.get(key, key)
        return text.format(**values) if values else text

    return t


def pick(requested, remembered):
    """The page language: ?lang= first, then the cookie, then the default."""
    for lang in (requested, remembered):
        if lang in LANGUAGES:
            return lang
    return DEFAULT
