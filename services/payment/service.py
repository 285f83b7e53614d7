from services.payment import models
from services.common.db import Database
from services.common.service import BaseService


class PaymentService(BaseService):
    name = "payment"
    db = Database(models.metadata)
