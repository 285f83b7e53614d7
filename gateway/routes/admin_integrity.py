from gateway import auth, integrity, schemas
from gateway.http import api, query_args
from gateway.routes import Routes

INTEGRITY_TIMEOUT_S = 30


class IntegrityRoutes(Routes):
    @api("GET", "/api/v1/admin/integrity", summary="Codes sold once, paid orders delivered or refunded, "
         "payments matched to orders (the services' records compared)", query=schemas.IntegrityQuery,
         response=schemas.IntegrityReport, tags=["admin"], admin=True)
    def integrity(self, request):
        auth.admin(request, self.config)
        query = query_args(request, schemas.IntegrityQuery())
        rpcs = {"order": self.order_rpc, "catalog": self.catalog_rpc, "payment": self.payment_rpc}
        facts = integrity.collect(rpcs, query["days"], timeout=INTEGRITY_TIMEOUT_S)
        return schemas.IntegrityReport().dump(integrity.check(facts, query["grace_s"]))
