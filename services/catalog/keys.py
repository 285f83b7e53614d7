"""`CodeKeys`: the data keys with the recorded duplicate-code hash key (domain/hash_keys.py).

A catalog process whose codes carry a hash it cannot reproduce would let a re-imported code past
duplicate detection, so it refuses to start, saying why in the log."""

import logging

from services.catalog.domain import hash_keys
from services.catalog.models import metadata
from services.common.crypto import Keys
from services.common.db import make_engine, transaction

log = logging.getLogger(__name__)


class CodeKeys(Keys):
    def setup(self) -> None:
        super().setup()
        engine = make_engine(self.container.config["DATABASE_URL"], pool_size=1, max_overflow=0)
        try:
            with transaction(engine, metadata) as session:
                self.keys = hash_keys.load(session, self.keys)
        except hash_keys.HashKeyProblem as exc:
            log.critical("the catalog refuses to start: %s", exc)
            raise
        finally:
            engine.dispose()
