"""What every domain service class has besides its own `name` and `db = Database(metadata)`:
metrics and log context, the outbox relay, and the `ping` health RPC."""

from typing import Any

from services.common.db import Db
from services.common.metrics import Instrumentation
from services.common.outbox import OutboxRelay
from services.common.rpc import rpc


class BaseService:
    name: str | None = None  # each service sets its own
    instrumentation = Instrumentation()
    relay = OutboxRelay()
    db: Db  # each service declares `db = Database(metadata)`

    @rpc
    def ping(self) -> dict[str, str | None]:
        """Health: this service's workers run and its database answers."""
        return {"service": self.name, "database": self.db.ping()}

    @rpc
    def echo(self, value: Any = None) -> Any:
        """The bare RPC round trip (the benchmarks' baseline)."""
        return value
