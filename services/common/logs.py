"""JSON logging with the correlation id of the current worker on every line.

The correlation id travels HTTP (`X-Request-Id`) -> nameko context data (`nameko.correlation_id`
AMQP header on RPC calls and on outbox events) -> here. `bind()` is called by the Instrumentation
provider as each worker starts, in the worker's own green thread.
"""

import json
import logging
import sys
import time
from typing import TextIO

from eventlet.corolocal import local

_current = local()


def bind(service: str | None = None, correlation_id: str | None = None) -> None:
    _current.service = service
    _current.correlation_id = correlation_id


def rebind(correlation_id: str | None) -> None:
    """Another correlation id for the rest of this worker (a batch moving on to its next event)."""
    _current.correlation_id = correlation_id


def correlation_id() -> str | None:
    return getattr(_current, "correlation_id", None)


def service() -> str | None:
    return getattr(_current, "service", None)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "service": getattr(_current, "service", None),
            "correlation_id": getattr(_current, "correlation_id", None),
        }
        for key in ("event_type", "event_id", "queue", "attempt", "route", "status"):
            if hasattr(record, key):
                line[key] = getattr(record, key)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


JsonFormatter.converter = time.gmtime


def setup(level: str | int = "INFO", stream: TextIO | None = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # nameko.containers logs every expected (domain) error with a traceback: only real errors pass
    logging.getLogger("nameko.containers").setLevel(logging.ERROR)
    for noisy in ("amqp", "kombu", "nameko", "eventlet.wsgi.server", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # urllib3 warns of a retry with the whole URL, query included: a channel's key rides in some
    # (epay's order query); our Http helper reports failures without the query
    logging.getLogger("urllib3").setLevel(logging.ERROR)
