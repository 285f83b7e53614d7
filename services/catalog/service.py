from nameko.rpc import rpc

from services.catalog import domain, models, schemas
from services.common.db import Database
from services.common.errors import DomainError, load
from services.common.service import BaseService


class CatalogService(BaseService):
    name = "catalog"
    db = Database(models.metadata)

    @rpc(expected_exceptions=DomainError)
    def list_products(self, query):
        filters = load(schemas.ListProducts(), query)
        with self.db.transaction() as session:
            return domain.list_products(session, **filters)

    @rpc(expected_exceptions=DomainError)
    def get_product(self, sku):
        with self.db.transaction() as session:
            return domain.get_product(session, sku)

    @rpc(expected_exceptions=DomainError)
    def create_product(self, actor, fields):
        fields = load(schemas.NewProduct(), fields)
        with self.db.transaction() as session:
            return domain.create_product(session, actor, fields)
