"""What a buyer types about themselves (services/account/identity.py): the 18-digit ID number
(GB 11643-1999, ISO 7064 MOD 11-2), look-alike display names, e-mails with IP-literal domains,
mainland mobiles in E.164, and the masks."""

from datetime import date

import pytest

from services.account import identity
from services.common.errors import InvalidInput

VALID_ID = "11010519491231002X"  # the standard's own example


def message(fn, *args):
    with pytest.raises(InvalidInput) as caught:
        fn(*args)
    return caught.value.message


def test_the_check_character_follows_mod_11_2():
    assert identity.check_character(VALID_ID[:17]) == "X"
    assert identity.id_number(VALID_ID) == VALID_ID
    assert identity.id_number(VALID_ID.lower()) == VALID_ID  # a lower-case x is the same number
    assert identity.id_number("110101199003070011") == "110101199003070011"


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("110105194912310021", "check digit"),  # the example with its last character changed
        ("11010519491231002", "18 characters"),
        ("1101051949123100２X", "18 characters"),  # a full-width digit
        ("99010519491231002X", "region"),
        ("110105194902300027", "birth date"),  # 30 February
        ("110105189912310027", "not possible"),  # born before 1900
        ("110105194912310004", "sequence"),
    ],
)
def test_a_wrong_id_number_is_refused_with_the_reason(number, why):
    if why == "check digit":
        assert identity.check_character(number[:17]) != number[17]
    assert why in message(identity.id_number, number)


def test_a_birth_date_in_the_future_is_refused():
    number = "110105203001010011"
    number = number[:17] + identity.check_character(number[:17])
    assert "not possible" in message(identity.id_number, number)
    assert identity.id_number(number, today=date(2031, 1, 1)) == number


@pytest.mark.parametrize("name", ["张三", "Alice", "李 Lei", "iPhone粉丝", "user_01", "Ольга", "さくら桜"])
def test_plain_names_pass(name):
    assert identity.display_name(name) == name


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("pаypal", "mix alphabets"),  # a Cyrillic а among Latin letters
        ("Αpple", "mix alphabets"),  # a Greek capital alpha
        ("ｐａｙｐａｌ", "plain characters"),  # full-width
        ("𝐩𝐚𝐲𝐩𝐚𝐥", "plain characters"),  # mathematical bold
        ("pay\u200bpal", "invisible"),  # zero-width space
        ("admin\u202e", "invisible"),  # right-to-left override
        ("ad\u3164min", "invisible"),  # Hangul filler, a blank letter
        ("", "1 to 32"),
        ("x" * 33, "1 to 32"),
    ],
)
def test_look_alike_names_are_refused(name, why):
    assert why in message(identity.display_name, name)


@pytest.mark.parametrize("address", ["user@[1.2.3.4]", "user@1.2.3.4", "user@[IPv6:::1]", "a@127.0.0.1"])
def test_an_ip_literal_domain_is_refused(address):
    assert "not an IP address" in message(identity.email, address)


def test_emails_are_lower_cased_and_checked():
    assert identity.email(" Li.Lei@Example.COM ") == "li.lei@example.com"
    assert "valid" in message(identity.email, "no-at-sign")
    assert "valid" in message(identity.email, "a@b")


def test_mainland_mobiles_become_e164():
    for given in ("13800138000", "+86 138 0013 8000", "86-138-0013-8000"):
        assert identity.phone(given) == "+8613800138000"
    for wrong in ("12800138000", "1380013800", "+1 415 555 0100"):
        assert "mobile" in message(identity.phone, wrong)


def test_masks():
    assert identity.mask_name("张三") == "张*"
    assert identity.mask_id("110101199003071234") == "1101**********1234"
    assert identity.mask_email("lilei@example.com") == "l****@example.com"
    assert identity.mask_phone("+8613800138000") == "+86138****00"
