"""Suppliers' recharge result callbacks (issue 17). The notify_url given to a supplier with a
recharge is {KAMENG_PUBLIC_URL}/api/v1/supplier/callback/{supplier_id}. The supplier service
verifies the callback with that supplier's adapter and applies it once; the answer is what that
kind of supplier expects to read back (a repeat gets it too). One that does not verify is 400."""

from werkzeug.wrappers import Response

from gateway.http import api
from gateway.routes import Routes
from gateway.routes.payments import channel_request

CALLBACK = (
    "A supplier's recharge result callback, verified by the supplier's adapter (its own signature "
    "scheme); answered in the supplier's own format (generic: 200 `success`) once applied or already "
    "applied; 400 `validation_error` when it does not verify"
)


class SupplierCallbackRoutes(Routes):
    @api(
        "POST",
        "/api/v1/supplier/callback/<int:supplier_id>",
        content="text/plain",
        tags=["supplier"],
        summary=CALLBACK,
        errors=(429,),
    )
    def supplier_callback(self, request, supplier_id):
        self.limit("notify", request)
        signed = channel_request(request)  # headers and the exact body bytes (latin-1 over RPC)
        answer = self.supplier_rpc.recharge_callback(supplier_id, signed["headers"], signed["body"])
        return Response(answer["body"], status=answer["status"], content_type=answer["content_type"])
