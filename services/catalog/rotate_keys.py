"""Re-encrypt every code under the newest data key: `python -m services.catalog.rotate_keys`.

Put the new key first in KAMENG_DATA_KEY (comma-separated, newest first), restart the services,
run this, then the old key may be dropped from the encryption list. The keyed hash used for
duplicate detection is derived from the oldest key listed (see services/common/crypto.py), so
keep that one last until a re-hash is done. Safe to run while the services run, and to re-run."""

from services.catalog.domain import codes
from services.catalog.models import metadata
from services.common.config import settings
from services.common.crypto import DataKeys
from services.common.db import make_engine, transaction


def main():
    s = settings()
    keys, engine = DataKeys(list(s.data_keys)), make_engine(s.database_url)
    total, last = 0, 0
    while True:
        with transaction(engine, metadata) as session:
            after, changed = codes.rotate_batch(session, keys, last)
        if after is None:
            break
        last = after
        total += changed
        print(f"checked codes up to id {last}, {total} re-encrypted so far", flush=True)
    engine.dispose()
    print(f"done: {total} codes re-encrypted under the newest key")


if __name__ == "__main__":
    main()
