"""The supplier API (DESIGN §6): upstream suppliers push inventory, signed with their key (§7).
The gateway reads the signature headers and the JSON; the supplier service verifies the
signature, then the batch, and answers."""

from gateway import schemas
from gateway.http import api, parse_json, read_body
from gateway.routes import Routes
from services.common import signing

# 10,000 codes with their secrets and dates, as JSON (a code or secret may be up to 4 KiB long)
PUSH_MAX_BODY = 16 << 20
PUSH_TIMEOUT_S = 60  # validating, encrypting and storing 10,000 codes: more than a query's deadline
SIGNED = "Signed with a supplier key: X-Key-Id, X-Timestamp, X-Nonce, X-Signature (HMAC-SHA256)"


def signed_path(request):
    """The path with its query string exactly as sent: what the client signed."""
    environ = request.environ
    path = environ.get("RAW_PATH_INFO") or request.path
    query = environ.get("QUERY_STRING", "")
    return f"{path}?{query}" if query else path


def signed(request, body):
    return signing.read(request.headers, request.method, signed_path(request), body).to_dict()


class SupplierApiRoutes(Routes):
    @api(
        "POST",
        "/api/v1/supplier/inventory",
        summary=f"A supplier pushes new codes or its stock level. {SIGNED}. The same batch again answers "
        "as the first time; 401 bad signature, 403 supplier or SKU refused, 422 batch_id reused with another body",
        body=schemas.InventoryPush,
        response=schemas.InventoryAccepted,
        status=202,
        tags=["supplier"],
        max_body=PUSH_MAX_BODY,
        signed=True,
    )
    def push_inventory(self, request):
        self.limit("supplier", request)
        body = read_body(request)
        auth = signed(request, body)
        answer = self.supplier_rpc.push_inventory.timed(PUSH_TIMEOUT_S)(auth, parse_json(body))
        return 202, schemas.InventoryAccepted().dump(answer)

    @api(
        "GET",
        "/api/v1/supplier/inventory/<batch_id>",
        summary=f"A pushed batch: pending, or done with its counts and rejected lines. {SIGNED}",
        response=schemas.InventoryBatch,
        tags=["supplier"],
        signed=True,
    )
    def inventory_batch(self, request, batch_id):
        self.limit("supplier", request)
        auth = signed(request, read_body(request))
        return schemas.InventoryBatch().dump(self.supplier_rpc.inventory_batch(auth, batch_id))
