from werkzeug.wrappers import Response

from gateway import openapi, schemas
from gateway.http import api
from gateway.routes import Routes
from services.common import rpc
from services.common.config import SERVICES
from services.common.errors import NotFound
from services.common.metrics import exposition

PROXIED = ("X-Forwarded-For", "X-Real-IP", "Forwarded")


class OpsRoutes(Routes):
    @api("GET", "/healthz", summary="Broker, database and every service answer", response=schemas.Health, tags=["ops"])
    def healthz(self, request):
        pings = {name: (getattr(self, f"{name}_rpc").ping, ()) for name in SERVICES}
        return schemas.health(rpc.gather(pings, timeout=self.config.get("HEALTH_TIMEOUT_S", 2)))

    @api(
        "GET",
        "/readyz",
        summary="The gateway process itself can serve (calls no service)",
        response=schemas.Ready,
        tags=["ops"],
    )
    def readyz(self, request):
        # The Kubernetes readiness probe: unlike /healthz it must not depend on every service,
        # or one service down would take every gateway out of rotation at once.
        return {"status": "ok"}

    @api("GET", "/ping", summary="Gateway -> one RPC round trip (no database)", tags=["ops"])
    def ping(self, request):
        return {"pong": self.catalog_rpc.echo("pong") == "pong"}

    @api("GET", "/metrics", summary="Prometheus metrics", tags=["ops"], content="text/plain")
    def metrics(self, request):
        # Prometheus scrapes the pod itself; whatever came through a proxy (the ingress always
        # sets X-Forwarded-For) is from outside, and the metrics are not for outside eyes
        if any(h in request.headers for h in PROXIED):
            raise NotFound("no such route", {})
        body, content_type = exposition()
        return Response(body, content_type=content_type)

    @api("GET", "/openapi.json", summary="This document", tags=["ops"])
    def openapi(self, request):
        return openapi.build()
