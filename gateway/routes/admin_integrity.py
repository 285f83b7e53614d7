from gateway import auth, schemas
from gateway.http import api, query_args
from gateway.routes import Routes

# the audit service asks three services within 30 s (services/audit/service.py); this outlasts it
INTEGRITY_TIMEOUT_S = 35


class IntegrityRoutes(Routes):
    @api(
        "GET",
        "/api/v1/admin/integrity",
        summary="Codes sold once, paid orders delivered or refunded, "
        "payments matched to orders (the services' records compared)",
        query=schemas.IntegrityQuery,
        response=schemas.IntegrityReport,
        tags=["admin"],
        roles=auth.INTEGRITY,
    )
    def integrity(self, request):
        query = query_args(request, schemas.IntegrityQuery())
        report = self.audit_rpc.check_integrity.timed(INTEGRITY_TIMEOUT_S)(query["days"], query["grace_s"])
        return schemas.IntegrityReport().dump(report)
