"""Product pictures (issue 23): uploaded in the admin API and the console (owner, operator),
checked and resized by gateway/images.py, kept by the catalog, served at /images/<sku>?v=<hash>
with their own Content-Type and a long cache (the URL changes with the picture)."""

import base64

from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from gateway import auth, cache, images, pages, schemas
from gateway.http import api
from gateway.routes import Routes
from gateway.web import page
from services.common.errors import InvalidInput

ADMIN = {"tags": ["admin"], "roles": auth.CATALOG}
PAGE = {"roles": auth.CATALOG, "area": "admin"}
BODIES = {"image/*": {"type": "string", "format": "binary"}}


def image_page(gateway, request, sku, status=200, error=None, done=False):
    product = gateway.catalog_rpc.get_product(sku[:64])
    return pages.render(
        request,
        "admin/product_image.html",
        status=status,
        p=product,
        image=images.url(product["sku"], product.get("image_version")),
        error=error,
        done=done,
    )


class ProductImageRoutes(Routes):
    @api(
        "PUT",
        "/api/v1/admin/products/<sku>/image",
        summary="Set a product's picture: the body is a JPEG, PNG or WebP file (at most 5 MB), resized to 800 px",
        response=schemas.ProductImage,
        bodies=BODIES,
        max_body=images.MAX_UPLOAD + 1024,
        **ADMIN,
    )
    def set_product_image(self, request, sku):
        saved = images.upload(self.catalog_rpc, request.actor.audit, sku[:64], request.get_data())
        cache.invalidate_catalog()
        return schemas.ProductImage().dump({**saved, "url": images.url(saved["sku"], saved["image_version"])})

    @page("GET", "/images/<sku>")
    def product_image(self, request, sku):
        found = self.catalog_rpc.get_product_image(sku[:64])
        response = Response(base64.b64decode(found["data"]), content_type=found["content_type"])
        if request.args.get("v") == found["version"]:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        else:
            response.headers["Cache-Control"] = "public, max-age=60"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.set_etag(found["version"])
        return response.make_conditional(request)

    @page("GET", "/admin/products/<sku>/image", **PAGE)
    def admin_product_image(self, request, sku):
        return image_page(self, request, sku, done=request.args.get("done") == "saved")

    @page("POST", "/admin/products/<sku>/image", max_body=images.MAX_UPLOAD + 64 * 1024, multipart=True, **PAGE)
    def admin_upload_product_image(self, request, sku):
        file = request.files.get("image")
        try:
            images.upload(self.catalog_rpc, request.admin["actor"], sku[:64], file.read() if file else b"")
        except InvalidInput:
            return image_page(self, request, sku, status=400, error="admin.image.refused")
        cache.invalidate_catalog()
        return redirect(f"/admin/products/{sku[:64]}/image?done=saved", code=303)
