"""Rebuild the reporting tables from the raw event log: `python -m services.analytics.replay`.

In one transaction: the reporting tables are emptied and every logged envelope is applied again
in the order it was received (`events.seq`). The inbox and the log stay as they are, so events
arriving meanwhile wait for the lock and then apply on top; a failure rolls everything back and
the old figures stay. The admin console runs the same through the service's `replay` RPC."""

import sys
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from services.analytics import ingest

TABLES = ("orders", "products", "views", "costs")
CHUNK = 2000
READ = text("SELECT seq, envelope FROM analytics.events WHERE seq > :after ORDER BY seq LIMIT :n")


def replay(session: Session) -> dict[str, Any]:
    session.execute(text("LOCK TABLE analytics.events IN SHARE ROW EXCLUSIVE MODE"))
    session.execute(text("TRUNCATE " + ", ".join(f"analytics.{t}" for t in TABLES)))
    after, events = 0, 0
    while True:
        rows = session.execute(READ, {"after": after, "n": CHUNK}).all()
        if not rows:
            break
        ingest.apply(session, (row.envelope for row in rows))
        events += len(rows)
        after = rows[-1].seq
    return {"events": events}


def main() -> int:
    from services.analytics.models import metadata
    from services.common.config import settings
    from services.common.db import make_engine, transaction

    engine = make_engine(settings().database_url)
    with transaction(engine, metadata) as s:
        done = replay(s)
    print(f"replayed {done['events']} events")
    return 0


if __name__ == "__main__":
    sys.exit(main())
