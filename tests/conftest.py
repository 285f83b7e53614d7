"""Eventlet must patch before anything else is imported (nameko's pytest plugin no longer does),
and psycopg2 must wait cooperatively, or tests hang."""

import services  # noqa: F401 -- silences eventlet's deprecation notice before it is imported

# isort: split
import eventlet

eventlet.monkey_patch()

from psycogreen.eventlet import patch_psycopg  # noqa: E402

patch_psycopg()

import os  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from services.common import migrate  # noqa: E402
from services.common.config import DEFAULTS  # noqa: E402
from services.common.db import make_engine  # noqa: E402
from services.common.testing import free_port, test_config, wait_until  # noqa: E402

pytest_plugins = ["tests.doubles.fixtures"]  # the payment channels' doubles, for unit and integration tests


@pytest.fixture(scope="session")
def database_url():
    """A throw-away database, migrated like production, dropped at the end of the run."""
    base = make_url(os.environ.get("KAMENG_DATABASE_URL", DEFAULTS["KAMENG_DATABASE_URL"][0]))
    url = base.set(database=f"kameng_test_{uuid.uuid4().hex[:10]}").render_as_string(hide_password=False)
    migrate.upgrade(url)
    yield url
    migrate.drop_database(url)


@pytest.fixture(scope="session")
def mail_sink(tmp_path_factory):
    """The real SMTP sink (tools/mailsink.py) in its own process: (smtp url, folder)."""
    folder = tmp_path_factory.mktemp("mail")
    port = free_port()
    sink = subprocess.Popen(
        [sys.executable, "-m", "tools.mailsink", "--port", str(port), "--dir", str(folder)], stdout=subprocess.DEVNULL
    )
    wait_until(lambda: _listening(port), timeout=20, message="the mail sink")
    yield f"smtp://127.0.0.1:{port}", folder
    sink.terminate()
    sink.wait(10)


def _listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.fixture
def config(rabbit_config, database_url, mail_sink):
    """nameko config for one test: a fresh RabbitMQ vhost (nameko's rabbit_config), the test
    database and the mail sink."""
    return test_config(rabbit_config["AMQP_URI"], database_url, SMTP_URL=mail_sink[0])


@pytest.fixture(scope="session")
def engine(database_url):
    """An engine on the test database, for tests that open transactions as a service would."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db(database_url):
    """`db(sql, **params)`: read-only looks at the test database (what was stored, what moved)."""
    engine = make_engine(database_url)

    def query(sql, **params):
        with engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(text(sql), params)]

    yield query
    engine.dispose()


@pytest.fixture
def write(database_url):
    """`write(sql, **params)`: a statement committed on its own, for a test setting the stage."""
    engine = make_engine(database_url)

    def execute(sql, **params):
        with engine.begin() as conn:
            conn.execute(text(sql), params)

    yield execute
    engine.dispose()
