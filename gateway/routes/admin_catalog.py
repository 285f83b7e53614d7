from gateway import auth, cache, imports, schemas
from gateway.http import api, json_body, query_args
from gateway.routes import Routes

IMPORT_MAX_BODY = 256 << 20
ADMIN = {"tags": ["admin"], "roles": auth.CATALOG}
CODES = {"type": "string", "description": "one code per line, `code` or `code<separator>secret[<separator>expires_on]`"}
IMPORT_BODIES = {  # gateway/imports.py: nothing else is parsed
    "text/plain": {"schema": CODES},
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary", "description": CODES["description"]}},
        }
    },
}


class AdminCatalogRoutes(Routes):
    @api(
        "POST",
        "/api/v1/admin/products",
        summary="Create a product",
        body=schemas.NewProduct,
        response=schemas.Product,
        status=201,
        **ADMIN,
    )
    def create_product(self, request):
        actor = request.actor.audit
        fields = json_body(request, schemas.NewProduct())
        created = self.catalog_rpc.create_product(actor, fields)
        cache.invalidate_catalog()
        return 201, schemas.Product().dump(created)  # DESIGN §6: the product's public fields

    @api(
        "PATCH",
        "/api/v1/admin/products/<sku>",
        summary="Change a product (also reactivate)",
        body=schemas.ProductChanges,
        response=schemas.AdminProduct,
        **ADMIN,
    )
    def update_product(self, request, sku):
        actor = request.actor.audit
        fields = json_body(request, schemas.ProductChanges())
        changed = self.catalog_rpc.update_product(actor, sku, fields)
        cache.invalidate_catalog()
        return schemas.AdminProduct().dump(changed)

    @api(
        "DELETE", "/api/v1/admin/products/<sku>", summary="Deactivate a product", response=schemas.AdminProduct, **ADMIN
    )
    def deactivate_product(self, request, sku):
        actor = request.actor.audit
        changed = self.catalog_rpc.update_product(actor, sku, {"active": False})
        cache.invalidate_catalog()
        return schemas.AdminProduct().dump(changed)

    @api(
        "POST",
        "/api/v1/admin/product-groups",
        summary="Create a product group: one product page for several specs (SKUs: set their group_id)",
        body=schemas.NewProductGroup,
        response=schemas.ProductGroup,
        status=201,
        **ADMIN,
    )
    def create_product_group(self, request):
        actor = request.actor.audit
        fields = json_body(request, schemas.NewProductGroup())
        return 201, schemas.ProductGroup().dump(self.catalog_rpc.create_product_group(actor, fields))

    @api(
        "GET",
        "/api/v1/admin/product-groups/<int:group_id>",
        summary="A product group and its specs (inactive ones too)",
        response=schemas.ProductGroup,
        **ADMIN,
    )
    def get_product_group(self, request, group_id):
        return schemas.ProductGroup().dump(self.catalog_rpc.get_product_group(group_id))

    @api(
        "PATCH",
        "/api/v1/admin/product-groups/<int:group_id>",
        summary="Rename or describe a product group",
        body=schemas.ProductGroupChanges,
        response=schemas.ProductGroup,
        **ADMIN,
    )
    def update_product_group(self, request, group_id):
        actor = request.actor.audit
        fields = json_body(request, schemas.ProductGroupChanges())
        changed = self.catalog_rpc.update_product_group(actor, group_id, fields)
        cache.invalidate_catalog()
        return schemas.ProductGroup().dump(changed)

    @api(
        "PUT",
        "/api/v1/admin/products/<sku>/wholesale-tiers",
        summary="A SKU's wholesale tiers (buy min_quantity or more, pay price each): the unit price is the "
        "lowest of retail, the tier for the quantity, the member level's price and a promotion; "
        "never for an agent's order",
        body=schemas.WholesaleTiers,
        response=schemas.WholesaleTiersSet,
        **ADMIN,
    )
    def set_wholesale_tiers(self, request, sku):
        actor = request.actor.audit
        tiers = json_body(request, schemas.WholesaleTiers())["tiers"]
        changed = self.catalog_rpc.set_wholesale_tiers(actor, sku[:64], tiers)
        cache.invalidate_catalog()
        return schemas.WholesaleTiersSet().dump(changed)

    @api("GET", "/api/v1/admin/categories", summary="Category tree", response=schemas.CategoryList, **ADMIN)
    def list_categories(self, request):
        return schemas.CategoryList().dump({"items": self.catalog_rpc.list_categories(True)})

    @api(
        "POST",
        "/api/v1/admin/categories",
        summary="Create a category",
        body=schemas.Category,
        response=schemas.Category,
        status=201,
        errors=(404,),  # an unknown parent
        **ADMIN,
    )
    def create_category(self, request):
        actor = request.actor.audit
        fields = json_body(request, schemas.Category())
        return 201, schemas.Category().dump(self.catalog_rpc.create_category(actor, fields))

    @api(
        "PATCH",
        "/api/v1/admin/categories/<name>",
        summary="Rename, move, reorder, archive or restore a category",
        body=schemas.CategoryChanges,
        response=schemas.Category,
        errors=(404, 409),  # unknown; a name taken, or archiving one that holds products on sale
        **ADMIN,
    )
    def update_category(self, request, name):
        actor = request.actor.audit
        fields = json_body(request, schemas.CategoryChanges())
        changed = schemas.Category().dump(self.catalog_rpc.update_category(actor, name, fields))
        cache.invalidate_catalog()
        return changed

    @api(
        "PUT",
        "/api/v1/admin/products/<sku>/level-prices/<level>",
        summary="Price for a member level, or an agent level as `agent:<agent level>` (e.g. agent:gold): "
        "an agent level pays its price even above retail, never a promotion",
        body=schemas.LevelPrice,
        response=schemas.LevelPriceSet,
        **ADMIN,
    )
    def set_level_price(self, request, sku, level):
        actor = request.actor.audit
        price = json_body(request, schemas.LevelPrice())["price"]
        return schemas.LevelPriceSet().dump(self.catalog_rpc.set_level_price(actor, sku, level[:40], price))

    @api(
        "POST",
        "/api/v1/admin/products/<sku>/promotions",
        summary="A timed promotion",
        body=schemas.Promotion,
        response=schemas.Promotion,
        status=201,
        **ADMIN,
    )
    def create_promotion(self, request, sku):
        actor = request.actor.audit
        fields = {k: v for k, v in json_body(request, schemas.Promotion()).items() if v is not None}
        return 201, schemas.Promotion().dump(self.catalog_rpc.create_promotion(actor, sku, fields))

    @api(
        "DELETE",
        "/api/v1/admin/promotions/<int:promotion_id>",
        summary="End a promotion",
        response=schemas.Promotion,
        **ADMIN,
    )
    def delete_promotion(self, request, promotion_id):
        actor = request.actor.audit
        return schemas.Promotion().dump(self.catalog_rpc.delete_promotion(actor, promotion_id))

    @api(
        "GET",
        "/api/v1/admin/stock",
        summary="Stock per SKU",
        response=schemas.StockReport,
        tags=["admin"],
        roles=auth.ANYONE,
    )
    def stock_report(self, request):
        return schemas.StockReport().dump({"items": self.catalog_rpc.stock_report()})

    @api(
        "PUT",
        "/api/v1/admin/products/<sku>/stock",
        summary="Counted stock of a non-card SKU (of a loop SKU: the sales it may still make)",
        body=schemas.StockSet,
        **ADMIN,
    )
    def set_stock(self, request, sku):
        actor = request.actor.audit
        result = self.catalog_rpc.set_stock(actor, sku, json_body(request, schemas.StockSet())["stock"])
        cache.invalidate_catalog()
        return result

    @api(
        "POST",
        "/api/v1/admin/products/<sku>/codes",
        summary="Bulk import codes (text/plain or a file)",
        query=schemas.ImportQuery,
        response=schemas.ImportResult,
        bodies=IMPORT_BODIES,
        max_body=IMPORT_MAX_BODY,
        **ADMIN,
    )
    def import_codes(self, request, sku):
        actor = request.actor.audit
        separator = query_args(request, schemas.ImportQuery())["separator"]
        result = imports.run(self.catalog_rpc, actor, sku, imports.body_stream(request), separator)
        cache.invalidate_catalog()
        return schemas.ImportResult().dump(result)

    @api(
        "GET",
        "/api/v1/admin/products/<sku>/codes",
        summary="A SKU's codes (reveal=true decrypts, audited)",
        query=schemas.CodeQuery,
        response=schemas.CodeList,
        **ADMIN,
    )
    def list_codes(self, request, sku):
        actor = request.actor.audit
        query = query_args(request, schemas.CodeQuery())
        return schemas.CodeList().dump(self.catalog_rpc.list_codes(actor, sku, query))
