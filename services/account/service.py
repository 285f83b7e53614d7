from nameko.dependency_providers import Config

from services.account import models
from services.account.agent_entrypoints import AgentEntrypoints
from services.account.buyer_entrypoints import BuyerEntrypoints
from services.account.staff_rpc import StaffRpc
from services.common.crypto import Keys
from services.common.db import Database
from services.common.service import BaseService


class AccountService(BuyerEntrypoints, StaffRpc, AgentEntrypoints, BaseService):
    name = "account"
    db = Database(models.metadata)
    keys = Keys()
    config = Config()
