from services.delivery import models
from services.common.db import Database
from services.common.service import BaseService


class DeliveryService(BaseService):
    name = "delivery"
    db = Database(models.metadata)
