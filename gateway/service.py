"""The only HTTP surface: one nameko service whose routes live in gateway/routes/ by area.
A new area (JSON API or web pages) is a class in gateway/routes/ added to the bases below."""

from nameko.dependency_providers import Config

from gateway.pageviews import PageViews
from gateway.ratelimit import RateLimits
from gateway.routes.account_pages import AccountPageRoutes
from gateway.routes.accounts import AccountRoutes
from gateway.routes.admin_account_pages import AdminAccountPageRoutes
from gateway.routes.admin_accounts import AdminAccountRoutes
from gateway.routes.admin_agents import AdminAgentRoutes
from gateway.routes.admin_analytics import AdminAnalyticsRoutes
from gateway.routes.admin_announcement import AdminAnnouncementRoutes
from gateway.routes.admin_campaigns import AdminCampaignRoutes
from gateway.routes.admin_catalog import AdminCatalogRoutes
from gateway.routes.admin_coupon_pages import AdminCouponPageRoutes
from gateway.routes.admin_coupons import AdminCouponRoutes
from gateway.routes.admin_integrity import IntegrityRoutes
from gateway.routes.admin_notification_pages import AdminNotificationPageRoutes
from gateway.routes.admin_notifications import AdminNotificationRoutes
from gateway.routes.admin_ops_pages import AdminOpsPageRoutes
from gateway.routes.admin_pages import AdminPageRoutes
from gateway.routes.admin_risk import AdminRiskRoutes
from gateway.routes.admin_risk_pages import AdminRiskPageRoutes
from gateway.routes.admin_staff import AdminStaffRoutes
from gateway.routes.admin_staff_pages import AdminStaffPageRoutes
from gateway.routes.admin_supplier_pages import AdminSupplierPageRoutes
from gateway.routes.admin_suppliers import AdminSupplierRoutes
from gateway.routes.agent_pages import AgentPageRoutes
from gateway.routes.catalog import CatalogRoutes
from gateway.routes.open_api import OpenApiRoutes
from gateway.routes.ops import OpsRoutes
from gateway.routes.orders import OrderRoutes
from gateway.routes.pages import PageRoutes
from gateway.routes.payments import PaymentRoutes
from gateway.routes.product_images import ProductImageRoutes
from gateway.routes.supplier_api import SupplierApiRoutes
from gateway.routes.supplier_callbacks import SupplierCallbackRoutes
from gateway.routes.support import SupportRoutes
from gateway.routes.support_pages import SupportPageRoutes
from gateway.soldout import SoldOut, SoldOutNews
from gateway.waits import OrderBoard, OrderHints
from services.common.batching import Batched
from services.common.cache import Cached
from services.common.metrics import Instrumentation
from services.common.rpc import RpcProxy


class GatewayService(
    OpsRoutes,
    PageRoutes,
    AdminPageRoutes,
    CatalogRoutes,
    AdminCatalogRoutes,
    AdminOpsPageRoutes,
    AdminCouponRoutes,
    AdminCouponPageRoutes,
    AdminCampaignRoutes,
    AdminRiskRoutes,
    AdminRiskPageRoutes,
    AdminSupplierRoutes,
    AdminSupplierPageRoutes,
    AdminNotificationRoutes,
    AdminNotificationPageRoutes,
    AdminStaffRoutes,
    AdminStaffPageRoutes,
    OrderRoutes,
    PaymentRoutes,
    SupplierApiRoutes,
    SupplierCallbackRoutes,
    SupportRoutes,
    SupportPageRoutes,
    OpenApiRoutes,
    IntegrityRoutes,
    AdminAnalyticsRoutes,
    AccountRoutes,
    AccountPageRoutes,
    AdminAccountRoutes,
    AdminAccountPageRoutes,
    AdminAgentRoutes,
    AgentPageRoutes,
    AdminAnnouncementRoutes,
    ProductImageRoutes,
    OrderHints,
    SoldOutNews,
):
    name = "gateway"
    config = Config()
    instrumentation = Instrumentation()
    limit = RateLimits()
    orders_moving = OrderBoard()
    sold_out = SoldOut()
    page_views = PageViews()  # product views, one batched event per interval (analytics)
    analytics_rpc = RpcProxy("analytics")
    payment_channels = Cached(ttl=10.0, max_entries=16)  # currency -> the channels that take it (payment)
    catalog_rpc = RpcProxy("catalog")
    order_rpc = RpcProxy("order")
    # POST /orders at once: one round trip for as many as the order service creates at a time
    order_creates = Batched("order/create_order_all", lanes=4, limit=8)
    payment_rpc = RpcProxy("payment")
    delivery_rpc = RpcProxy("delivery")
    risk_rpc = RpcProxy("risk")
    account_rpc = RpcProxy("account")
    supplier_rpc = RpcProxy("supplier")
    support_rpc = RpcProxy("support")
    notify_rpc = RpcProxy("notify")
    audit_rpc = RpcProxy("audit")
