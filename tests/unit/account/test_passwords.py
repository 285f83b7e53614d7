"""The password rules and hashes every account uses (issue 18)."""

import pytest

from services.account import passwords


@pytest.mark.parametrize(
    "password,problem",
    [
        ("short1!", "at least 10"),
        ("x" * 129, "at most 128"),
        ("Password123", "most common"),
        ("QWERTYUIOP", "most common"),  # case does not make a breached password safe
        ("abababababab", "too few different"),
        ("tab\there-is-one", "control characters"),
    ],
)
def test_a_weak_password_is_refused_with_its_reason(password, problem):
    found = passwords.problems(password)
    assert found and any(problem in p for p in found), found


def test_a_password_built_on_the_account_is_refused():
    assert passwords.problems("zhangwei-loves-cards", "zhangwei@example.com")
    assert passwords.problems("call 13800138000 now", "13800138000")
    assert passwords.problems("correct horse battery staple", "zhangwei@example.com") == []


def test_hashes_are_argon2id_salted_and_verified():
    first, second = passwords.hash_password("correct horse battery"), passwords.hash_password("correct horse battery")
    assert first.startswith("$argon2id$") and first != second
    assert passwords.verify(first, "correct horse battery")
    assert not passwords.verify(first, "correct horse batterY")
    assert not passwords.verify(None, "anything")  # no account: refused, after the same work
    assert not passwords.verify("not a hash", "anything")
    assert not passwords.needs_rehash(first)
