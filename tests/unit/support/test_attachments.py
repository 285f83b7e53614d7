"""Attachments are told by their bytes: the allowed types pass, anything else, a mismatch with
the declared type, or more than 2 MiB is refused with 415 / 413."""

import pytest

from services.support import attachments
from services.support.errors import AttachmentTooLarge, UnsupportedAttachment

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32


@pytest.mark.parametrize(
    ("content", "declared", "found"),
    [
        (PNG, "image/png", "image/png"),
        (JPEG, "image/jpeg", "image/jpeg"),
        (WEBP, "image/webp", "image/webp"),
        ("订单 123 的卡密无效\n".encode(), "text/plain; charset=utf-8", "text/plain"),
    ],
)
def test_allowed_types_pass_by_their_bytes(content, declared, found):
    assert attachments.check(content, declared) == found


@pytest.mark.parametrize(
    ("content", "declared"),
    [
        (b"<html><script>alert(1)</script>", "image/png"),  # a page dressed as an image
        (PNG, "text/html"),  # a type not allowed at all
        (b"%PDF-1.7\n\x00\x01", "application/pdf"),
        (b"MZ\x90\x00\x03\x00", "image/jpeg"),
        (b"", "text/plain"),
        (JPEG, "image/png"),  # a real image of another type than declared
    ],
)
def test_other_types_and_mismatches_are_refused_415(content, declared):
    with pytest.raises(UnsupportedAttachment) as refused:
        attachments.check(content, declared)
    assert refused.value.code == "unsupported_media_type"


def test_more_than_2_mib_is_refused_413():
    attachments.check(PNG + b"\x00" * (attachments.MAX_BYTES - len(PNG)), "image/png")  # exactly 2 MiB
    with pytest.raises(AttachmentTooLarge) as refused:
        attachments.check(PNG + b"\x00" * attachments.MAX_BYTES, "image/png")
    assert refused.value.code == "payload_too_large" and refused.value.details["max_bytes"] == 2 * 1024 * 1024


def test_stored_names_are_safe_and_carry_the_proved_type():
    assert attachments.safe_name("../../etc/passwd.png", "image/png") == "etc_passwd.png"
    assert attachments.safe_name('a"; b.html', "text/plain") == "a_b.txt"
    assert attachments.safe_name(None, "image/webp") == "attachment.webp"
