from nameko.dependency_providers import Config

from services.common.crypto import Keys
from services.common.db import Database
from services.common.service import BaseService
from services.supplier import models


class SupplierService(BaseService):
    """Upstream suppliers (issue 17): the registry, signed inventory pushes, auto-replenishment
    and direct recharge with failover. Entrypoints stay thin: the logic is in this package's
    modules."""

    name = "supplier"
    db = Database(models.metadata)
    keys = Keys()
    config = Config()
