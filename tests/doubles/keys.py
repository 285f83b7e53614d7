"""Key material for the channel doubles: real RSA keys and an X.509 certificate, made per test run
and written as PEM files where the settings expect paths."""

import datetime
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key):
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_pem(key):
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def certificate(key, common_name, serial=None):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )


def cert_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def serial_hex(cert):
    return format(cert.serial_number, "X")


def write(folder, name, text):
    path = Path(folder) / name
    path.write_text(text)
    return str(path)


@dataclass
class AlipayParty:
    """Our app's key pair and Alipay's, plus the ids: what both sides of the channel hold."""

    app_key: object
    alipay_key: object
    app_id: str = "2021000000000001"
    seller_id: str = "2088000000000001"

    def settings(self, folder, url):
        """The config entries of KAMENG_ALIPAY_* (keys as PEM paths)."""
        return {
            "ALIPAY_APP_ID": self.app_id,
            "ALIPAY_SELLER_ID": self.seller_id,
            "ALIPAY_URL": url,
            "ALIPAY_PRIVATE_KEY": write(folder, "alipay-app-private.pem", private_pem(self.app_key)),
            "ALIPAY_PUBLIC_KEY": write(folder, "alipay-public.pem", public_pem(self.alipay_key)),
        }


@dataclass
class WechatParty:
    merchant_key: object
    platform_key: object
    platform_cert: object
    merchant_cert: object
    apiv3_key: str
    mchid: str = "1900000109"
    appid: str = "wxd678efh567hg6787"

    @classmethod
    def make(cls):
        merchant_key, platform_key = rsa_key(), rsa_key()
        return cls(
            merchant_key,
            platform_key,
            certificate(platform_key, "Tenpay.com Root CA"),
            certificate(merchant_key, "1900000109"),
            secrets.token_hex(16),
        )

    @property
    def cert_serial(self):
        return serial_hex(self.merchant_cert)

    def settings(self, folder, url):
        """The config entries of KAMENG_WECHAT_* (key and certificate as PEM paths)."""
        return {
            "WECHAT_MCHID": self.mchid,
            "WECHAT_APPID": self.appid,
            "WECHAT_APIV3_KEY": self.apiv3_key,
            "WECHAT_CERT_SERIAL": self.cert_serial,
            "WECHAT_URL": url,
            "WECHAT_PRIVATE_KEY": write(folder, "wechat-merchant-private.pem", private_pem(self.merchant_key)),
            "WECHAT_PLATFORM_CERT": write(folder, "wechat-platform.pem", cert_pem(self.platform_cert)),
        }
