"""Which failures of a kept SMTP connection mean it is gone (send again on a new one) and which
are the server refusing the mail (raised as they are)."""

import smtplib

from services.common.mail import _gone


def test_a_closed_connection_is_gone_a_refused_mail_is_not():
    assert _gone(smtplib.SMTPServerDisconnected("please run connect() first"))
    assert _gone(ConnectionResetError())
    assert _gone(smtplib.SMTPSenderRefused(421, b"idle too long, closing", "shop@example.com"))
    assert not _gone(smtplib.SMTPRecipientsRefused({"x@example.com": (550, b"no such user")}))
    assert not _gone(smtplib.SMTPDataError(554, b"rejected"))
    assert not _gone(smtplib.SMTPSenderRefused(553, b"not allowed", "shop@example.com"))
    assert not _gone(ValueError("not a connection problem"))
