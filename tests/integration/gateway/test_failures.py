"""Failures behind the gateway: an unexpected exception is a 500 with the error shape and no
trace; a service that is missing or silent is a 503 within the RPC deadline."""

import time

import requests
from kombu import Connection, Exchange, Queue

from gateway.http import JsonHttpHandler
from gateway.service import GatewayService


class Broken:
    name = "broken"

    @JsonHttpHandler.decorator("GET", "/boom")
    def boom(self, request):
        raise RuntimeError("secret internals /etc/passwd")


def test_unexpected_exception_is_a_500_without_a_trace(config, container_factory):
    container_factory(Broken, config).start()
    response = requests.get(config["BASE_URL"] + "/boom", timeout=5)
    assert response.status_code == 500
    assert response.json() == {"error": {"code": "internal_error", "message": "internal error"}}
    assert "secret" not in response.text and response.headers["X-Request-Id"]


def test_missing_service_is_503(config, container_factory):
    container_factory(GatewayService, config).start()
    response = requests.get(config["BASE_URL"] + "/api/v1/products", timeout=10)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"


def test_silent_service_is_503_after_the_rpc_deadline(config, container_factory):
    config["RPC_TIMEOUT_S"] = 1
    with Connection(config["AMQP_URI"]) as conn:  # a catalog queue nobody consumes
        Queue("rpc-catalog", Exchange("nameko-rpc", type="topic", durable=True), routing_key="catalog.*", durable=True)(
            conn.default_channel
        ).declare()
    container_factory(GatewayService, config).start()
    started = time.monotonic()
    response = requests.get(config["BASE_URL"] + "/api/v1/products", timeout=10)
    assert response.status_code == 503 and response.json()["error"]["code"] == "unavailable"
    assert 0.9 < time.monotonic() - started < 3
