"""The pages' words: the gettext catalogs under gateway/translations load, every language carries
every key of the template messages.pot, translated, with the same placeholders, and every key the
templates and the gateway's code name exists."""

import re
from pathlib import Path

from babel.messages.pofile import read_po

from gateway import i18n

GATEWAY = Path(__file__).resolve().parents[3] / "gateway"
PLACEHOLDER = re.compile(r"\{(\w*)\}")
# a key in a template or in Python: "nav.home", 'admin.risk.approved' (file names are not keys)
QUOTED_KEY = re.compile(r"""["']([a-z_]+(?:\.[a-z_]+)+)["']""")
FILE_NAMES = (".html", ".py", ".js", ".css", ".po", ".pot")


def read(path):
    with open(path, "rb") as f:
        return read_po(f)


def template_keys():
    return [m.id for m in read(i18n.CATALOGS / "messages.pot") if m.id]


def test_every_catalog_loads_and_chinese_is_the_default():
    assert set(i18n.LANGUAGES) >= {"zh-CN", "en"} and i18n.DEFAULT == "zh-CN"
    assert i18n.pick(None, "") == "zh-CN" and i18n.pick("en", "zh-CN") == "en" and i18n.pick("xx", "en") == "en"
    assert i18n.translator("en")("stock.left", n=3) == "3 in stock"
    assert i18n.translator("zh-CN")("stock.left", n=3) == "库存 3"
    assert i18n.translator("xx")("nav.home") == "首页"
    assert i18n.translator("zh-CN")("no.such.key") == "no.such.key"


def test_every_language_has_every_key_of_the_template_translated_with_its_placeholders():
    keys = template_keys()
    assert len(keys) == len(set(keys)) > 200
    english = i18n.LANGUAGES["en"]
    for po in sorted(i18n.CATALOGS.glob("*/LC_MESSAGES/messages.po")):
        catalog = read(po)
        assert catalog.locale_identifier == po.parent.parent.name, po
        entries = {m.id: m for m in catalog if m.id}
        assert set(entries) == set(keys), (po, sorted(set(keys) ^ set(entries)))
        for key, message in entries.items():
            assert message.string and not message.fuzzy, (po, key, "untranslated or fuzzy")
            assert sorted(PLACEHOLDER.findall(message.string)) == sorted(PLACEHOLDER.findall(english[key])), (
                po,
                key,
                "placeholders differ from English",
            )
        assert not catalog.obsolete, (po, sorted(catalog.obsolete))
    for words in i18n.LANGUAGES.values():
        assert list(words) == keys


def test_every_key_the_pages_and_the_gateway_name_exists():
    known = set(template_keys())
    prefixes = {key.split(".")[0] for key in known}
    used = set()
    for path in [*GATEWAY.rglob("*.html"), *GATEWAY.rglob("*.py")]:
        used |= {
            k
            for k in QUOTED_KEY.findall(path.read_text())
            if k.split(".")[0] in prefixes and not k.endswith(FILE_NAMES)
        }
    assert {"nav.home", "admin.risk.approved", "error.csrf", "stock.left"} <= used
    assert used <= known, sorted(used - known)


def test_untranslated_and_fuzzy_entries_are_left_out(tmp_path):
    po = tmp_path / "ja" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr "Language: ja\\n"\n\nmsgid "nav.home"\nmsgstr "ホーム"\n\n'
        'msgid "nav.find"\nmsgstr ""\n\n#, fuzzy\nmsgid "nav.admin"\nmsgstr "管理"\n',
        encoding="utf-8",
    )
    assert i18n.load_all(tmp_path) == {"ja": {"nav.home": "ホーム"}}
