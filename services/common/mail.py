"""Sending e-mail over SMTP (green under eventlet). KAMENG_SMTP_URL: smtp://host:port or
smtps://user:password@host:port; empty: no mail is sent (and that is logged).

Over smtp://, the connection turns to TLS (STARTTLS, the server's certificate verified) whenever
the server offers it; with credentials in the URL it must: they are never sent in clear, and a
server that does not offer STARTTLS is refused (use smtps:// for implicit TLS).

Connections are kept open between mails (`Connections`), up to IDLE_S idle: a connection, its
greeting, STARTTLS and login cost more than the mail itself, once per completed order. A kept
connection the server has closed meanwhile is replaced once, at once."""

import functools
import logging
import smtplib
import ssl
import time
from email.message import EmailMessage
from urllib.parse import ParseResult, unquote, urlparse

log = logging.getLogger(__name__)


Key = tuple[str, ssl.SSLContext, float]  # a server: URL, TLS context, timeout


class CleartextRefused(smtplib.SMTPException):
    """The server offers no STARTTLS and we hold credentials: they would cross the network in clear."""


def send(
    smtp_url: str,
    sender: str,
    to: str,
    subject: str,
    body: str,
    timeout: float = 10,
    tls: ssl.SSLContext | None = None,
    html: str | None = None,
    message_id: str | None = None,
) -> bool:
    """True once the server accepted the message; False when mail is switched off. `html`: an
    alternative part beside the plain `body`; `message_id`: a stable Message-ID, so that a message
    sent again (a crash after the server took it) is recognisable as the same one."""
    if not smtp_url:
        log.info("mail is off (KAMENG_SMTP_URL empty): nothing sent")
        return False
    url = urlparse(smtp_url)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    if message_id:
        message["Message-ID"] = message_id
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    tls = tls or default_tls()  # `tls`: tests trust their own certificate
    key: Key = (smtp_url, tls, timeout)
    kept = CONNECTIONS.take(key)
    if kept is not None:
        try:
            return _send_on(key, kept, message)
        except BaseException as exc:
            if not _gone(exc):
                raise
    return _send_on(key, _connect(url, tls, timeout), message)


def _send_on(key: Key, smtp: smtplib.SMTP, message: EmailMessage) -> bool:
    """The message on `smtp`, which is then kept for the next mail, or closed if it failed."""
    try:
        smtp.send_message(message)
    except BaseException:
        _close(smtp)
        raise
    CONNECTIONS.give_back(key, smtp)
    return True


def _connect(url: ParseResult, tls: ssl.SSLContext, timeout: float) -> smtplib.SMTP:
    host, port = url.hostname or "", url.port or (465 if url.scheme == "smtps" else 25)
    smtp: smtplib.SMTP = (
        smtplib.SMTP_SSL(host, port, timeout=timeout, context=tls)
        if url.scheme == "smtps"
        else smtplib.SMTP(host, port, timeout=timeout)
    )
    try:
        if url.scheme != "smtps":
            _starttls(smtp, tls, bool(url.username))
        if url.username:
            smtp.login(unquote(url.username), unquote(url.password or ""))
    except BaseException:
        _close(smtp)
        raise
    return smtp


def _gone(exc: BaseException) -> bool:
    """The kept connection was closed meanwhile (or is being: 421), not the mail refused: an
    SMTPException is an OSError, but only these say the connection itself is gone."""
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code == 421
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


def _close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


class Connections:
    """Open SMTP connections, idle, per server (URL, TLS context and timeout): each is used by one
    sender at a time, taken and given back; one idle longer than IDLE_S is closed, not used
    (servers drop idle clients after a minute or more)."""

    IDLE_S = 30.0
    MAX_IDLE = 8  # per server: as many as mails sent at once, beyond which they are closed

    def __init__(self) -> None:
        self.idle: dict[Key, list[tuple[float, smtplib.SMTP]]] = {}

    def take(self, key: Key) -> smtplib.SMTP | None:
        kept = self.idle.get(key, [])
        while kept:
            since, smtp = kept.pop()
            if time.monotonic() - since < self.IDLE_S:
                return smtp
            _close(smtp)
        return None

    def give_back(self, key: Key, smtp: smtplib.SMTP) -> None:
        kept = self.idle.setdefault(key, [])
        if len(kept) >= self.MAX_IDLE:
            _close(smtp)
        else:
            kept.append((time.monotonic(), smtp))


CONNECTIONS = Connections()


@functools.cache
def default_tls() -> ssl.SSLContext:
    """The system's trust store, loaded once: building a context reads every CA certificate (about
    30 ms of CPU here), which per mail was most of the cost of a completion mail. A context is
    safe to share between connections."""
    return ssl.create_default_context()


def _starttls(smtp: smtplib.SMTP, tls: ssl.SSLContext, credentials: bool) -> None:
    """STARTTLS when offered; required when there are credentials to send."""
    smtp.ehlo()
    if smtp.has_extn("starttls"):
        smtp.starttls(context=tls)
        smtp.ehlo()
    elif credentials:
        raise CleartextRefused("the SMTP server offers no STARTTLS: credentials are not sent in clear")
