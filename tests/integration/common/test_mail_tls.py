"""SMTP against a real local server (aiosmtpd): STARTTLS whenever the server offers it, and
credentials never sent to a server that does not."""

import datetime
import ipaddress
import ssl

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.common import mail
from services.common.testing import free_port


class Inbox:
    def __init__(self):
        self.received = []  # (tls in use, login seen)

    async def handle_DATA(self, server, session, envelope):
        self.received.append((session.ssl is not None, bool(session.authenticated)))
        return "250 OK"


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
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert_file, key_file)
    client_tls = ssl.create_default_context(cafile=str(cert_file))
    started = []

    def start(offer_tls):
        inbox, port = Inbox(), free_port()
        controller = Controller(
            inbox,
            hostname="127.0.0.1",
            port=port,
            tls_context=server_tls if offer_tls else None,
            authenticator=lambda *args: AuthResult(success=True),
            auth_require_tls=False,  # this test server would take a password in clear: the client must not
        )
        controller.start()
        started.append(controller)
        return inbox, port

    yield start, client_tls
    for controller in started:
        controller.stop()


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
