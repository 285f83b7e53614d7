from services.risk import models
from services.common.db import Database
from services.common.service import BaseService


class RiskService(BaseService):
    name = "risk"
    db = Database(models.metadata)
