"""What a buyer types about themselves, checked and put in one form (issue 18): the e-mail (no
IP-literal domain), the phone (a mainland mobile, stored E.164), the display name (no look-alike
unicode), and the real name with its 18-digit 居民身份证 number (GB 11643-1999). Plain functions:
each answers the normal form or raises InvalidInput with a message a person can act on."""

import ipaddress
import re
import unicodedata
from datetime import UTC, date, datetime

from services.common.errors import InvalidInput

EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
MOBILE = re.compile(r"^(?:\+?86)?(1[3-9][0-9]{9})$")
NAME_CHARS = (1, 32)
# letters of these scripts mix with any other in one word (Chinese, Japanese, Korean names do)
CJK = {"CJK", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO", "IDEOGRAPHIC"}
# blank-looking letters that are not format characters (Lo/So), the favourites of impostors
INVISIBLE = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u180e", "\u17b4", "\u17b5"}
PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42",
    "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82", "83",
}  # fmt: skip
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # 2^(17-i) mod 11
CHECK = "10X98765432"  # ISO 7064 MOD 11-2: the check character of a sum mod 11


def invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field}: {message}", {"fields": {field: [message]}})


def email(text: str) -> str:
    """The address, lower-cased; refused: a malformed one and one whose domain is an IP address
    (user@[1.2.3.4], user@1.2.3.4): mail to a bare address bypasses every domain check."""
    value = text.strip().lower()
    domain = value.rpartition("@")[2]
    if domain.startswith("[") or _is_ip(domain.strip("[]")) or re.fullmatch(r"[\d.]+", domain or "x"):
        raise invalid("email", "the domain must be a name, not an IP address")
    if len(value) > 254 or not EMAIL.match(value):
        raise invalid("email", "not a valid e-mail address")
    return value


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.removeprefix("ipv6:").removeprefix("IPv6:"))
        return True
    except ValueError:
        return False


def phone(text: str) -> str:
    """A mainland mobile number in E.164 (+8613800138000); spaces and dashes are ignored."""
    match = MOBILE.match(re.sub(r"[\s-]", "", text))
    if not match:
        raise invalid("phone", "a mainland China mobile number: 11 digits starting with 1, optionally +86")
    return "+86" + match.group(1)


def display_name(text: str) -> str:
    """A name shown to others, refused when it could pass for someone else's: not in NFKC normal
    form (full-width or styled letters), with invisible or format characters, or mixing
    alphabets within one word (Latin with Cyrillic: "pаypal" with a Cyrillic а)."""
    value = text.strip()
    if not NAME_CHARS[0] <= len(value) <= NAME_CHARS[1]:
        raise invalid("name", f"{NAME_CHARS[0]} to {NAME_CHARS[1]} characters")
    if any(c in INVISIBLE or unicodedata.category(c) in ("Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp") for c in value):
        raise invalid("name", "must not contain invisible or control characters")
    if not unicodedata.is_normalized("NFKC", value):
        raise invalid("name", "use plain characters (no full-width, styled or compatibility forms)")
    if any(c.isspace() and c != " " for c in value) or "  " in value:
        raise invalid("name", "words are separated by single spaces")
    for word in value.split(" "):
        if len(scripts(word)) > 1:
            raise invalid("name", "must not mix alphabets within a word (look-alike letters)")
    return value


def scripts(word: str) -> set[str]:
    """The alphabets of a word's letters, leaving out the CJK family (which mixes with any)."""
    found = set()
    for c in word:
        if c.isalpha():
            script = unicodedata.name(c, "UNKNOWN").split(" ")[0]
            if script not in CJK:
                found.add(script)
    return found


def id_number(text: str, today: date | None = None) -> str:
    """An 18-digit 居民身份证 number, upper-cased: a known province, a real birth date not in the
    future, a sequence, and the check character of GB 11643-1999 (ISO 7064 MOD 11-2)."""
    value = text.strip().upper()
    if not re.fullmatch(r"[0-9]{17}[0-9X]", value):
        raise invalid("id_number", "18 characters: 17 digits, then a digit or X")
    if value[:2] not in PROVINCES:
        raise invalid("id_number", "the region code is not a known one")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise invalid("id_number", "the birth date is not a real date") from None
    if born.year < 1900 or born > (today or datetime.now(UTC).date()):
        raise invalid("id_number", "the birth date is not possible")
    if value[14:17] == "000":
        raise invalid("id_number", "the sequence number is not possible")
    if check_character(value[:17]) != value[17]:
        raise invalid("id_number", "the check digit does not match: please check the number")
    return value


def check_character(first17: str) -> str:
    return CHECK[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def real_name(text: str) -> str:
    """姓名 as on the ID card: 2 to 30 characters, Chinese or Latin letters, · and spaces."""
    value = text.strip()
    if not 2 <= len(value) <= 30 or not unicodedata.is_normalized("NFKC", value):
        raise invalid("name", "the name as on the ID card, 2 to 30 characters")
    if not all(c.isalpha() or c in "·• " for c in value) or len(scripts(value.replace(" ", ""))) > 1:
        raise invalid("name", "the name as on the ID card, 2 to 30 characters")
    return value


def mask_name(name: str) -> str:
    return name[0] + "*" * (len(name) - 1)


def mask_id(number: str) -> str:
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_email(address: str | None) -> str | None:
    """a****@example.com: enough for staff to tell accounts apart, not to read them off."""
    if not address:
        return address
    local, _, domain = address.partition("@")
    return local[:1] + "****@" + domain


def mask_phone(number: str | None) -> str | None:
    return number and number[:6] + "****" + number[-2:]
