"""Production (KAMENG_ENV=production, or an https public URL) refuses to start with the
development data key, the development admin token or sandbox payments on."""

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.common import config
from services.common.config import DEV_ENV

ROOT = Path(__file__).resolve().parents[3]
REAL_KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()
SAFE = {"KAMENG_DATA_KEY": REAL_KEY, "KAMENG_ADMIN_TOKEN": "a-long-real-token", "KAMENG_SANDBOX_PAYMENTS": "0"}


def problems(monkeypatch, **env):
    for name in ("KAMENG_ENV", "KAMENG_PUBLIC_URL", *SAFE):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return config.production_problems(config.settings())


@pytest.mark.parametrize(
    "production", [{"KAMENG_ENV": "production"}, {"KAMENG_PUBLIC_URL": "https://shop.example"}], ids=["env", "https"]
)
@pytest.mark.parametrize(
    "unsafe, said",
    [
        ({"KAMENG_DATA_KEY": DEV_ENV["KAMENG_DATA_KEY"]}, "development data key"),
        ({"KAMENG_DATA_KEY": f"{REAL_KEY},{DEV_ENV['KAMENG_DATA_KEY']}"}, "development data key"),
        ({"KAMENG_ADMIN_TOKEN": DEV_ENV["KAMENG_ADMIN_TOKEN"]}, "development token"),
        ({"KAMENG_SANDBOX_PAYMENTS": "1"}, "SANDBOX"),
    ],
)
def test_production_with_a_dev_secret_or_the_sandbox_is_refused(monkeypatch, production, unsafe, said):
    found = problems(monkeypatch, **production, **{**SAFE, **unsafe})
    assert len(found) == 1 and said in found[0]
    with pytest.raises(SystemExit, match="refuses to start"):
        config.refuse_unsafe_production(config.settings())


def test_production_with_its_own_secrets_and_development_with_dev_values_start(monkeypatch):
    assert problems(monkeypatch, KAMENG_ENV="production", KAMENG_PUBLIC_URL="https://shop.example", **SAFE) == []
    assert problems(monkeypatch, KAMENG_PUBLIC_URL="http://127.0.0.1:8000", **DEV_ENV) == []
    assert problems(monkeypatch, KAMENG_ENV="development", **DEV_ENV) == []


@pytest.mark.parametrize("service", ["catalog", "gateway"])
def test_the_runner_refuses_before_starting_anything(service):
    env = {
        **os.environ,
        **DEV_ENV,
        "KAMENG_PUBLIC_URL": "https://shop.example",
        "KAMENG_AMQP_URI": "amqp://nobody@127.0.0.1:1/",
    }
    done = subprocess.run(
        [sys.executable, "-m", "tools.runner", service],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    said = done.stdout + done.stderr
    assert "refuses to start" in said and "development data key" in said and "SANDBOX" in said


def test_docker_compose_lets_the_sandbox_be_switched_off():
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "KAMENG_SANDBOX_PAYMENTS: ${KAMENG_SANDBOX_PAYMENTS:-1}" in compose
