from services.common.db import Database
from services.common.events import event_handler
from services.common.service import BaseService
from services.risk import domain, models


class RiskService(BaseService):
    name = "risk"
    db = Database(models.metadata)

    @event_handler("order", "risk_assessment_requested")
    def handle_risk_assessment_requested(self, envelope):
        self.db.once("risk.handle_risk_assessment_requested", envelope, domain.assess)
