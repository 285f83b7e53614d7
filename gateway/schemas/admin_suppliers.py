"""The supplier registry's admin API (gateway/routes/admin_suppliers.py) and console page. The
bodies are checked here for shape and bounds; the supplier service checks the rest itself (a
qualification date after today, a known adapter, a SKU the catalog sells), so the gateway keeps no
copy of its rules. Money is a decimal string, as everywhere in the API."""

from marshmallow import EXCLUDE, Schema, fields, validate

from gateway.schemas.common import Money, Timestamp

DATE = validate.Regexp(r"^\d{4}-\d{2}-\d{2}$", error="a date, YYYY-MM-DD")


class NewSupplier(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 100))
    contact = fields.String(required=True, validate=validate.Length(1, 254))


class SupplierDocument(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 100), metadata={"example": "营业执照"})
    number = fields.String(required=True, validate=validate.Length(1, 100))


class SupplierApproval(Schema):
    documents = fields.List(fields.Nested(SupplierDocument), required=True, validate=validate.Length(1, 20))
    valid_until = fields.String(
        required=True,
        validate=DATE,
        metadata={"format": "date", "description": "the qualification's last valid day, after today"},
    )


class SupplierConnectionSet(Schema):
    adapter = fields.String(
        required=True,
        validate=validate.Length(1, 32),
        metadata={"description": "the supplier's protocol: generic, dujiao-next"},
    )
    base_url = fields.String(required=True, validate=validate.Length(1, 2048), metadata={"format": "uri"})
    settings = fields.Dict(keys=fields.String(validate=validate.Length(1, 64)), validate=validate.Length(max=50))
    credentials = fields.Dict(
        keys=fields.String(validate=validate.Length(1, 64)),
        values=fields.String(validate=validate.Length(max=4096)),
        allow_none=True,
        validate=validate.Length(max=50),
        metadata={"description": "stored encrypted, never shown; left out: kept as they are; null: cleared"},
    )


class SupplierSourcingSet(Schema):
    supplier_product_id = fields.String(required=True, validate=validate.Length(1, 128))
    cost_price = Money(required=True, metadata={"description": "what one unit costs us"})
    priority = fields.Integer(
        strict=True, load_default=100, validate=validate.Range(0, 1_000_000), metadata={"description": "lower first"}
    )
    enabled = fields.Boolean(load_default=True)
    hourly_cap = Money(
        load_default=None,
        allow_none=True,
        metadata={"description": "most spent buying this SKU from this supplier per hour (auto-replenish)"},
    )


class SupplierConnection(Schema):
    adapter = fields.String(allow_none=True)
    base_url = fields.String(allow_none=True)
    settings = fields.Dict()
    credentials_set = fields.Boolean(metadata={"description": "whether credentials are stored (never shown)"})


class Supplier(Schema):
    id = fields.Integer()
    name = fields.String()
    contact = fields.String()
    status = fields.String(metadata={"enum": ["pending", "approved", "suspended"]})
    enabled = fields.Boolean()
    usable = fields.Boolean(metadata={"description": "approved, qualified today and enabled"})
    refusal = fields.String(
        allow_none=True, metadata={"enum": ["not_approved", "qualification_expired", "disabled", None]}
    )
    documents = fields.List(fields.Nested(SupplierDocument))
    valid_until = fields.String(allow_none=True, metadata={"format": "date"})
    expires_in_days = fields.Integer(allow_none=True, metadata={"description": "negative once past"})
    reviewer = fields.String(allow_none=True)
    reviewed_at = Timestamp(allow_none=True)
    connection = fields.Nested(SupplierConnection)
    circuit = fields.String(metadata={"enum": ["closed", "open", "half_open"]})
    created_at = Timestamp()
    updated_at = Timestamp()


class SupplierList(Schema):
    items = fields.List(fields.Nested(Supplier))


class SupplierSourcing(Schema):
    supplier_id = fields.Integer()
    supplier = fields.String()
    sku = fields.String()
    supplier_product_id = fields.String()
    cost_price = Money()
    priority = fields.Integer()
    enabled = fields.Boolean()
    hourly_cap = Money(allow_none=True)
    usable = fields.Boolean(metadata={"description": "the mapping is enabled and its supplier usable"})
    updated_at = Timestamp()


class SupplierSourcingList(Schema):
    items = fields.List(fields.Nested(SupplierSourcing))


class SkuSources(Schema):
    sku = fields.String()
    sources = fields.List(fields.Nested(SupplierSourcing), metadata={"description": "best first"})
    usable_sources = fields.Integer()
    single_source = fields.Boolean(metadata={"description": "exactly one usable source (the aim is three to five)"})


class SkuSourcesList(Schema):
    items = fields.List(fields.Nested(SkuSources))


class NewSupplierKey(Schema):
    key_id = fields.String()
    secret = fields.String(metadata={"description": "shown only in this answer"})


class SupplierKey(Schema):
    key_id = fields.String()
    status = fields.String(metadata={"enum": ["active", "revoked"]})
    created_at = Timestamp()
    revoked_at = Timestamp(allow_none=True)


class SupplierKeys(Schema):
    items = fields.List(fields.Nested(SupplierKey))


class PurchaseQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    sku = fields.String(validate=validate.Length(1, 64))
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))


class Purchase(Schema):
    id = fields.Integer()
    sku = fields.String()
    supplier_id = fields.Integer()
    supplier = fields.String()
    quantity = fields.Integer(metadata={"description": "codes asked for (what the hourly cap allowed)"})
    bought = fields.Integer()
    unit_cost = Money()
    cost = Money(metadata={"description": "what was spent (reserved against the cap while buying)"})
    status = fields.String(metadata={"enum": ["buying", "bought", "failed", "capped"]})
    reason = fields.String(allow_none=True)
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)


class PurchaseList(Schema):
    items = fields.List(fields.Nested(Purchase))
