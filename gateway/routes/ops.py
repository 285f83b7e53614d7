from werkzeug.wrappers import Response

from gateway import openapi, schemas
from gateway.http import api
from services.common import rpc
from services.common.config import SERVICES
from services.common.metrics import exposition


class OpsRoutes:
    @api("GET", "/healthz", summary="Broker, database and every service answer",
         response=schemas.Health, tags=["ops"])
    def healthz(self, request):
        pings = {name: (getattr(self, f"{name}_rpc").ping, ()) for name in SERVICES}
        return schemas.health(rpc.gather(pings, timeout=self.config.get("HEALTH_TIMEOUT_S", 2)))

    @api("GET", "/ping", summary="Gateway -> one RPC round trip (no database)", tags=["ops"])
    def ping(self, request):
        return {"pong": self.catalog_rpc.echo("pong") == "pong"}

    @api("GET", "/metrics", summary="Prometheus metrics", tags=["ops"], content="text/plain")
    def metrics(self, request):
        body, content_type = exposition()
        return Response(body, content_type=content_type)

    @api("GET", "/openapi.json", summary="This document", tags=["ops"])
    def openapi(self, request):
        return openapi.build()
