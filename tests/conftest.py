"""Eventlet must patch before anything else is imported (nameko's pytest plugin no longer does),
and psycopg2 must wait cooperatively, or tests hang."""
import services  # noqa: F401 -- silences eventlet's deprecation notice before it is imported

# isort: split
import eventlet  # noqa: E402

eventlet.monkey_patch()

from psycogreen.eventlet import patch_psycopg  # noqa: E402

patch_psycopg()

import os  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from services.common import migrate  # noqa: E402
from services.common.config import DEFAULTS  # noqa: E402
from services.common.testing import free_port, test_config, wait_until  # noqa: E402


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
    """The real SMTP sink (services/common/mailsink.py) in its own process: (smtp url, folder)."""
    folder = tmp_path_factory.mktemp("mail")
    port = free_port()
    sink = subprocess.Popen([sys.executable, "-m", "services.common.mailsink", "--port", str(port),
                             "--dir", str(folder)], stdout=subprocess.DEVNULL)
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
