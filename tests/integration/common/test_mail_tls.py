"""SMTP against a real local server (aiosmtpd, in its own process: tests/doubles/smtp_tls.py):
STARTTLS whenever the server offers it, and credentials never sent to a server that does not."""

import datetime
import ipaddress
import socket
import ssl
import subprocess
import sys

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.common import mail
from services.common.testing import free_port, wait_until


class Inbox:
    def __init__(self, path):
        self.path = path

    @property
    def lines(self):
        return [line.split() for line in self.path.read_text().split("\n") if line] if self.path.exists() else []

    @property
    def received(self):
        """(tls in use, login seen) of each message, in order."""
        return [(tls == "1", login == "1") for tls, login, _ in self.lines]

    @property
    def connections(self):
        """The connection (the client's port) each message came on, in order."""
        return [port for _, _, port in self.lines]


def listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def certificate(folder):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


@pytest.fixture
def smtp_server(tmp_path):
    cert_file, key_file = certificate(tmp_path)
    client_tls = ssl.create_default_context(cafile=str(cert_file))
    started = []

    def start(offer_tls):
        port, record = free_port(), tmp_path / f"received-{len(started)}.txt"
        command = [sys.executable, "-m", "tests.doubles.smtp_tls", "--port", str(port), "--record", str(record)]
        if offer_tls:
            command += ["--cert", str(cert_file), "--key", str(key_file)]
        started.append(subprocess.Popen(command))
        wait_until(lambda: listening(port), timeout=20, message="the test SMTP server")
        return Inbox(record), port

    yield start, client_tls
    for server in started:
        server.terminate()
        server.wait(10)


def send(url, tls):
    return mail.send(url, "shop <noreply@example.com>", "buyer@example.com", "Your codes", "body", tls=tls)


def test_starttls_is_used_whenever_the_server_offers_it(smtp_server):
    start, tls = smtp_server
    inbox, port = start(offer_tls=True)
    assert send(f"smtp://127.0.0.1:{port}", tls) and send(f"smtp://user:pw@127.0.0.1:{port}", tls)
    assert inbox.received == [(True, False), (True, True)]


def test_without_starttls_mail_goes_plain_but_credentials_never_do(smtp_server):
    start, tls = smtp_server
    inbox, port = start(offer_tls=False)
    assert send(f"smtp://127.0.0.1:{port}", tls)
    with pytest.raises(mail.CleartextRefused):
        send(f"smtp://user:pw@127.0.0.1:{port}", tls)
    assert inbox.received == [(False, False)]


def test_mails_one_after_another_go_on_one_connection_and_a_dropped_one_is_replaced(smtp_server):
    start, tls = smtp_server
    inbox, port = start(offer_tls=True)
    url = f"smtp://user:pw@127.0.0.1:{port}"
    assert send(url, tls) and send(url, tls)
    [(_, kept)] = mail.CONNECTIONS.idle[(url, tls, 10)]
    kept.close()  # gone while it was kept (the server hung up on an idle client)
    assert send(url, tls)
    assert inbox.received == [(True, True)] * 3  # each on TLS, logged in
    first, second, third = inbox.connections
    assert first == second != third


def test_a_connection_idle_too_long_is_not_used(smtp_server, monkeypatch):
    start, tls = smtp_server
    inbox, port = start(offer_tls=True)
    url = f"smtp://127.0.0.1:{port}"
    assert send(url, tls)
    monkeypatch.setattr(mail.Connections, "IDLE_S", 0.0)
    assert send(url, tls)
    first, second = inbox.connections
    assert first != second
