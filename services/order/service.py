from services.order import models
from services.common.db import Database
from services.common.service import BaseService


class OrderService(BaseService):
    name = "order"
    db = Database(models.metadata)
