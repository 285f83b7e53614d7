from services.account import models
from services.account.buyer_entrypoints import BuyerEntrypoints
from services.common.db import Database
from services.common.service import BaseService


class AccountService(BuyerEntrypoints, BaseService):
    name = "account"
    db = Database(models.metadata)
