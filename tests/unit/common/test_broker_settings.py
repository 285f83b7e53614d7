"""The broker settings: who may read codes, the user a request names as its caller, and TLS to
the broker (KAMENG_AMQP_CA_FILE and amqps:// become nameko's AMQP_SSL)."""

import ssl
from types import SimpleNamespace

import pytest

from services.common import config
from services.common.rpc import CALLER_KEY, CallerView, MethodProxy, broker_user


def nameko(monkeypatch, **env):
    for name in ("KAMENG_AMQP_URI", "KAMENG_AMQP_CA_FILE", "KAMENG_CODE_READERS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return config.nameko_config()


def test_plain_amqp_has_no_ssl_and_no_readers(monkeypatch):
    c = nameko(monkeypatch)
    assert "AMQP_SSL" not in c
    assert c["CODE_READERS"] == []


def test_code_readers_are_a_list(monkeypatch):
    c = nameko(monkeypatch, KAMENG_CODE_READERS="kameng-order, kameng-delivery,,kameng-gateway")
    assert c["CODE_READERS"] == ["kameng-order", "kameng-delivery", "kameng-gateway"]


def test_a_ca_file_requires_the_brokers_certificate_and_host(monkeypatch):
    c = nameko(
        monkeypatch,
        KAMENG_AMQP_URI="amqps://kameng-order:pw@kameng-mq.kameng.svc:5671/",
        KAMENG_AMQP_CA_FILE="/etc/kameng/mq-ca/ca.crt",
    )
    assert c["AMQP_SSL"] == {
        "ca_certs": "/etc/kameng/mq-ca/ca.crt",
        "cert_reqs": ssl.CERT_REQUIRED,
        "server_hostname": "kameng-mq.kameng.svc",
    }


def test_amqps_without_a_ca_file_still_verifies(monkeypatch):
    c = nameko(monkeypatch, KAMENG_AMQP_URI="amqps://u:p@mq.example:5671/")
    assert c["AMQP_SSL"] == {"cert_reqs": ssl.CERT_REQUIRED, "server_hostname": "mq.example"}


@pytest.mark.parametrize(
    ("uri", "user"),
    [
        ("amqp://guest:guest@127.0.0.1:5672/", "guest"),
        ("amqps://kameng-order:s%40cret@kameng-mq:5671/", "kameng-order"),
        ("amqp://user%2Fa:pw@h/", "user/a"),
        ("amqp://127.0.0.1/", None),
    ],
)
def test_broker_user_is_the_uris_username(uri, user):
    assert broker_user(uri) == user


def test_require_lets_listed_users_through():
    allowed = {"CODE_READERS": ["kameng-delivery"]}
    CallerView("kameng-delivery", allowed).require("CODE_READERS")
    CallerView(None, {"CODE_READERS": []}).require("CODE_READERS")  # no list: no check
    for who in ("kameng-risk", None):
        with pytest.raises(Exception, match="may not make this call"):
            CallerView(who, allowed).require("CODE_READERS")


def test_the_caller_is_not_passed_on_in_headers():
    ctx = SimpleNamespace(context_data={CALLER_KEY: "kameng-gateway", "correlation_id": "c1"})
    headers = MethodProxy.get_message_headers(MethodProxy.__new__(MethodProxy), ctx)
    assert headers == {"nameko.correlation_id": "c1"}
