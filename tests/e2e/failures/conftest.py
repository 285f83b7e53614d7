"""Failure tests (issue 8): the real broker stopped and started, database connections cut, under
load. The broker outage uses a private RabbitMQ node started for this module (its own port, data
directory and node name), so stopping it disturbs nothing else on the machine."""

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

from services.common.testing import free_port, wait_until


class PrivateBroker:
    def __init__(self, folder):
        self.node = f"kameng-chaos-{uuid.uuid4().hex[:8]}@localhost"
        self.port, self.folder = free_port(), folder
        self.uri = f"amqp://guest:guest@127.0.0.1:{self.port}/"
        (folder / "enabled_plugins").write_text("[].")
        (folder / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{self.port}\n")
        shutil.chown(folder, "rabbitmq", "rabbitmq")
        for child in folder.iterdir():
            shutil.chown(child, "rabbitmq", "rabbitmq")
        self.env = {
            **os.environ,
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_CONFIG_FILE": str(folder / "rabbitmq.conf"),
            "RABBITMQ_MNESIA_BASE": str(folder / "mnesia"),
            "RABBITMQ_LOG_BASE": str(folder / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(folder / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(folder / "pid"),
            "RABBITMQ_FEATURE_FLAGS_FILE": str(folder / "feature_flags"),
        }

    def ctl(self, *args, timeout=60):
        subprocess.run(
            ["rabbitmqctl", "-n", self.node, *args],
            env=self.env,
            check=True,
            timeout=timeout,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def start(self):
        subprocess.run(["rabbitmq-server", "-detached"], env=self.env, check=True, timeout=60)
        self.ctl("wait", str(self.folder / "pid"), "--timeout", "60", timeout=90)
        return self

    def stop_app(self):  # the broker goes away: every connection drops, nothing accepts
        self.ctl("stop_app")

    def start_app(self):
        self.ctl("start_app")
        wait_until(self.listening, timeout=30, message="the private broker to listen")

    def listening(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def halt(self):
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self.ctl("stop", timeout=60)


@pytest.fixture(scope="module")
def private_broker():
    if not shutil.which("rabbitmq-server"):
        pytest.fail("the failure tests need the rabbitmq-server package (a private node is started)")
    folder = Path(tempfile.mkdtemp(prefix="kameng-chaos-"))  # the rabbitmq user must reach it
    folder.chmod(0o755)
    broker = PrivateBroker(folder).start()
    yield broker
    broker.halt()
    shutil.rmtree(folder, ignore_errors=True)
