import time
from functools import partial

from nameko.timer import timer

from services.catalog import schemas
from services.catalog.domain import (
    announcement,
    campaigns,
    codes,
    coupons,
    groups,
    images,
    integrity,
    pricing,
    products,
    replace,
    stock,
    supply,
)
from services.catalog.keys import CodeKeys
from services.catalog.models import metadata
from services.common.batching import answer_each
from services.common.db import Database
from services.common.errors import DomainError, load
from services.common.events import batch_handler, event_handler
from services.common.hints import Hints
from services.common.rpc import Caller, rpc
from services.common.service import BaseService

command = rpc(expected_exceptions=DomainError)


class CatalogService(BaseService):
    name = "catalog"
    db = Database(metadata)
    hints = Hints()
    keys = CodeKeys()
    caller = Caller()  # the RPCs that answer decrypted codes serve only CODE_READERS (DESIGN §7)

    @command
    def list_products(self, query):
        with self.db.transaction() as s:
            return products.list_products(s, **load(schemas.ListProducts(), query))

    @command
    def get_product(self, sku):
        with self.db.transaction() as s:
            return products.get_product(s, sku)

    @command
    def quote(self, sku, quantity, level=None, at=None, agent_level=None):
        q = load(
            schemas.Quote(), {"sku": sku, "quantity": quantity, "level": level, "at": at, "agent_level": agent_level}
        )
        with self.db.transaction() as s:
            return pricing.quote(s, **q)

    @command
    def create_product(self, actor, fields):
        with self.db.transaction() as s:
            return products.create_product(s, actor, load(schemas.NewProduct(), fields))

    @command
    def update_product(self, actor, sku, fields):
        with self.db.transaction() as s:
            return products.update_product(s, actor, sku, load(schemas.ProductChanges(), fields))

    @command
    def create_product_group(self, actor, fields):
        with self.db.transaction() as s:
            return groups.create_group(s, actor, load(schemas.NewGroup(), fields))

    @command
    def update_product_group(self, actor, group_id, fields):
        with self.db.transaction() as s:
            return groups.update_group(s, actor, int(group_id), load(schemas.GroupChanges(), fields))

    @command
    def get_product_group(self, group_id):
        with self.db.transaction() as s:
            return groups.get_group(s, int(group_id))

    @command
    def set_wholesale_tiers(self, actor, sku, tiers):
        t = load(schemas.WholesaleTiers(), {"sku": sku, "tiers": tiers})
        with self.db.transaction() as s:
            return pricing.set_wholesale_tiers(s, actor, t["sku"], t["tiers"])

    @command
    def list_categories(self, archived=False):
        """The categories; archived ones too when `archived` (the console)."""
        with self.db.transaction() as s:
            return products.list_categories(s, bool(archived))

    @command
    def create_category(self, actor, fields):
        with self.db.transaction() as s:
            return products.create_category(s, actor, **load(schemas.NewCategory(), fields))

    @command
    def update_category(self, actor, name, fields):
        with self.db.transaction() as s:
            return products.update_category(s, actor, name, load(schemas.CategoryChanges(), fields))

    @command
    def set_level_price(self, actor, sku, level, price):
        with self.db.transaction() as s:
            return pricing.set_level_price(s, actor, sku, level, price)

    @command
    def create_promotion(self, actor, sku, fields):
        with self.db.transaction() as s:
            return pricing.create_promotion(s, actor, sku, load(schemas.NewPromotion(), fields))

    @command
    def delete_promotion(self, actor, promotion_id):
        with self.db.transaction() as s:
            return pricing.delete_promotion(s, actor, promotion_id)

    @command
    def create_campaign(self, actor, fields):
        with self.db.transaction() as s:
            return campaigns.create_campaign(s, actor, load(schemas.NewCampaign(), fields))

    @command
    def deactivate_campaign(self, actor, campaign_id):
        with self.db.transaction() as s:
            return campaigns.deactivate_campaign(s, actor, int(campaign_id))

    @command
    def set_product_image(self, actor, sku, content_type, data):
        with self.db.transaction() as s:
            return images.set_image(s, actor, str(sku)[:64], str(content_type), str(data))

    @command
    def get_product_image(self, sku):
        with self.db.transaction() as s:
            return images.get_image(s, str(sku)[:64])

    @command
    def get_announcement(self):
        with self.db.transaction() as s:
            return announcement.get_announcement(s)

    @command
    def set_announcement(self, actor, fields):
        text = load(schemas.Announcement(), fields)["text"]
        with self.db.transaction() as s:
            return announcement.set_announcement(s, actor, text)

    @command
    def list_campaigns(self):
        with self.db.transaction() as s:
            return campaigns.list_campaigns(s)

    @command
    def storefront_campaigns(self):
        """Running now or starting within a day, with each SKU's campaign price (the storefront)."""
        with self.db.transaction() as s:
            return campaigns.storefront(s)

    @timer(interval=5)
    def start_campaigns(self):
        """Each campaign window that starts: recorded once over all replicas, `campaign_started`."""
        with self.db.transaction() as s:
            campaigns.start_windows(s)

    @command
    def stock_report(self):
        with self.db.transaction() as s:
            return products.stock_report(s)

    @command
    def set_stock(self, actor, sku, available):
        with self.db.transaction() as s:
            return stock.set_counted_stock(s, actor, sku, available)

    @command
    def begin_import(self, actor, sku):
        with self.db.transaction() as s:
            return codes.begin_import(s, actor, sku)

    @command
    def stage_codes(self, import_id, lines, separator=","):
        chunk = load(schemas.StageCodes(), {"import_id": import_id, "lines": lines, "separator": separator})
        with self.db.transaction() as s:
            return codes.stage(s, self.keys, import_id, chunk["lines"], chunk["separator"])

    @command
    def finish_import(self, import_id, rejected_lines=0):
        with self.db.transaction() as s:
            return codes.finish_import(s, import_id, int(rejected_lines))

    @command
    def abort_import(self, import_id):
        with self.db.transaction() as s:
            return codes.abort_import(s, import_id)

    @command
    def list_codes(self, actor, sku, query):
        q = load(schemas.ListCodes(), query)
        if q["reveal"]:
            self.caller.require("CODE_READERS")
        with self.db.transaction() as s:
            return codes.list_codes(s, self.keys, actor, sku, **q)

    @command
    def reserve(self, order_no, sku, quantity, ttl_s):
        r = load(schemas.Reserve(), {"order_no": order_no, "sku": sku, "quantity": quantity, "ttl_s": ttl_s})
        with self.db.transaction() as s:
            result = stock.reserve(s, **r)
        return stock.raise_unless_reserved(result)

    @command
    def reserve_quoted(
        self,
        order_no,
        sku,
        quantity,
        ttl_s,
        level=None,
        real_name=False,
        agent_level=None,
        coupon=None,
        buyer=None,
        currencies=None,
    ):
        """An order's creation: the price lines and the reservation in one call (DESIGN §3);
        an agent's order names its (top) agent level instead of a member level; a coupon is
        redeemed for `buyer` (member:<id> or email:<contact>) in the same transaction;
        `currencies`: those the buyer's payment channel takes (a product priced otherwise is
        refused before anything is held)."""
        r = load(schemas.Reserve(), {"order_no": order_no, "sku": sku, "quantity": quantity, "ttl_s": ttl_s})
        q = load(schemas.Quote(), {"sku": sku, "quantity": quantity, "level": level, "agent_level": agent_level})
        c = load(schemas.Redeem(), {"coupon": coupon, "buyer": buyer or ""})
        taken = load(schemas.Currencies(), {"currencies": currencies})
        with self.db.transaction() as s:
            return stock.reserve_quoted(
                s, **r, level=q["level"], real_name=real_name is True, agent_level=q["agent_level"], **c, **taken
            )

    @rpc
    def reserve_quoted_all(self, calls):
        """`reserve_quoted` for the calls of several orders being created at once, each alone
        (services/common/batching.py): one outcome per call, in order."""
        return answer_each(calls, lambda kwargs: self.reserve_quoted(**kwargs))

    @command
    def sold_out(self):
        """The SKUs sold out now (the gateways ask every second, beside the hints)."""
        with self.db.transaction() as s:
            return stock.sold_out(s)

    @command
    def release(self, order_no):
        with self.db.transaction() as s:
            return stock.release(s, order_no)

    @command
    def commit(self, order_no):
        with self.db.transaction() as s:
            return stock.commit(s, order_no)

    @command
    def commit_all(self, order_nos, deadline=None):
        """The orders' reservations sold (the order service's delivery of codes, DESIGN §3):
        {order_no: "committed" | "missing"}. `deadline` (epoch seconds): when the caller stops
        waiting; a request taken after it (this service was down or behind) does nothing and
        answers {}, so a commit nobody waits for cannot race the order's later decisions."""
        if deadline is not None and time.time() > float(deadline):
            return {}
        with self.db.transaction() as s:
            return stock.commit_all(s, [str(n) for n in order_nos])

    @command
    def get_codes(self, order_no):
        self.caller.require("CODE_READERS")
        with self.db.transaction() as s:
            return stock.codes_of(s, self.keys, order_no)

    @command
    def delivery_record(self, actor, order_no, reveal=False):
        """Support's view of the codes delivered to an order (issue 21): masked; `reveal` audited."""
        if reveal:
            self.caller.require("CODE_READERS")
        q = load(schemas.DeliveryRecord(), {"actor": actor, "order_no": order_no, "reveal": reveal})
        with self.db.transaction() as s:
            return replace.delivery_record(s, self.keys, **q)

    @command
    def replace_code(self, actor, order_no, code_id, reason):
        """Support's shortcut: retire a delivered code and sell the order a fresh one (issue 21)."""
        q = load(schemas.ReplaceCode(), {"actor": actor, "order_no": order_no, "code_id": code_id, "reason": reason})
        with self.db.transaction() as s:
            return replace.replace_code(s, **q)

    @batch_handler("order", "stock_reservation_requested")
    def handle_stock_reservation_requested(self, envelopes):
        self.db.once_all("catalog.handle_stock_reservation_requested", envelopes, stock.on_reservations_requested)

    @event_handler("order", "stock_release_requested")
    def handle_stock_release_requested(self, envelope):
        self.db.once("catalog.handle_stock_release_requested", envelope, stock.on_release_requested)

    @event_handler("order", "order_refunded")
    def handle_order_refunded(self, envelope):
        """A refunded order gives its coupon back; a loop order its sale to the SKU's cap (issue 24)."""
        self.db.once("catalog.handle_order_refunded", envelope, stock.on_order_refunded)

    @command
    def list_coupons(self, query=None):
        with self.db.transaction() as s:
            return coupons.list_coupons(s, **load(schemas.ListCoupons(), query or {}))

    @command
    def create_coupon(self, actor, fields):
        with self.db.transaction() as s:
            return coupons.create_coupon(s, actor, load(schemas.NewCoupon(), fields))

    @command
    def deactivate_coupon(self, actor, coupon_id):
        with self.db.transaction() as s:
            return coupons.deactivate_coupon(s, actor, int(coupon_id))

    @event_handler("supplier", "inventory_pushed")
    def handle_inventory_pushed(self, envelope):
        """A supplier's push: codes through the admin import's path, or its stock level."""
        on_pushed = partial(supply.on_inventory_pushed, keys=self.keys)
        self.db.once("catalog.handle_inventory_pushed", envelope, on_pushed)

    @event_handler("supplier", "supplier_availability_changed")
    def handle_supplier_availability_changed(self, envelope):
        self.db.once("catalog.handle_supplier_availability_changed", envelope, supply.on_supplier_availability_changed)

    @command
    def integrity_facts(self, days):
        with self.db.transaction() as s:
            return integrity.integrity_facts(s, days)

    @timer(interval=15)
    def report_stock(self):
        with self.db.transaction() as s:
            products.report_stock(s)

    @timer(interval=2)
    def sweep(self):
        with self.db.transaction() as s:
            stock.sweep_expired(s)
            codes.sweep_abandoned_imports(s)
