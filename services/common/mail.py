"""Sending e-mail over SMTP (green under eventlet). KAMENG_SMTP_URL: smtp://host:port or
smtps://user:password@host:port; empty: no mail is sent (and that is logged)."""

import logging
import smtplib
from email.message import EmailMessage
from urllib.parse import unquote, urlparse

log = logging.getLogger(__name__)


def send(smtp_url: str, sender: str, to: str, subject: str, body: str, timeout: float = 10) -> bool:
    """True once the server accepted the message; False when mail is switched off."""
    if not smtp_url:
        log.info("mail is off (KAMENG_SMTP_URL empty): nothing sent")
        return False
    url = urlparse(smtp_url)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message.set_content(body)
    client: type[smtplib.SMTP] = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
    with client(url.hostname or "", url.port or (465 if url.scheme == "smtps" else 25), timeout=timeout) as smtp:
        if url.username:
            smtp.login(unquote(url.username), unquote(url.password or ""))
        smtp.send_message(message)
    return True
