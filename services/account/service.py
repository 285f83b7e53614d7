from services.account import models
from services.common.db import Database
from services.common.service import BaseService


class AccountService(BaseService):
    name = "account"
    db = Database(models.metadata)
