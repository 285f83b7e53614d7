"""`python -m tools.preflight`: wait (briefly) for RabbitMQ and PostgreSQL, or exit 2
with a message naming how to start them."""

import socket
import sys
import time
from urllib.parse import urlparse

from services.common.config import settings

HOW = {
    "RabbitMQ": "start it with `rabbitmq-server -detached` (or `docker compose up -d rabbitmq`)",
    "PostgreSQL": "start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`"
    " (or `docker compose up -d postgres`)",
}


def reachable(host, port, wait_s):
    deadline = time.monotonic() + wait_s
    while True:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return True
        except OSError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.5)


def main(wait_s=15):
    s = settings()
    targets = {"RabbitMQ": urlparse(s.amqp_uri), "PostgreSQL": urlparse(s.database_url)}
    default_ports = {"RabbitMQ": 5672, "PostgreSQL": 5432}
    missing = [
        name
        for name, url in targets.items()
        if not reachable(url.hostname or "127.0.0.1", url.port or default_ports[name], wait_s)
    ]
    for name in missing:
        url = targets[name]
        print(
            f"{name} is not answering at {url.hostname}:{url.port or default_ports[name]}: {HOW[name]}", file=sys.stderr
        )
    if missing:
        sys.exit(2)


if __name__ == "__main__":
    main()
