"""The gateway's HTTP schemas, by area as gateway/routes/ is: they validate requests, shape
responses and generate /openapi.json. Call sites use `from gateway import schemas` and
`schemas.Name`; each area's module is where a schema is defined."""
from gateway.schemas.common import (  # noqa: F401
    Money, ErrorDetail, Error, SKU, CURRENCY, QUANTITY
)
from gateway.schemas.catalog import (  # noqa: F401
    ProductQuery, Product, ProductList, QuoteQuery, Quote
)
from gateway.schemas.admin_catalog import (  # noqa: F401
    ProductChanges, NewProduct, AdminProduct, Category, CategoryChanges, CategoryList, LevelPrice,
    LevelPriceSet, Promotion, StockLevel, StockReport, StockSet, ImportQuery, Rejected,
    ImportResult, CodeQuery, AdminCode, CodeList
)
from gateway.schemas.orders import (  # noqa: F401
    CHANNELS, NewOrder, PaymentInfo, OrderItem, MAX_WAIT_S, OrderWait, Order, CreatedOrder,
    Transition, AdminOrder, OrderQuery, OrderSummary, OrderList, Refund, RefundInfo, RefundedOrder,
    NEW_ORDER, ORDER_WAIT, ORDER, CREATED_ORDER
)
from gateway.schemas.payments import (  # noqa: F401
    ReconciliationQuery, Mismatch, ReconciliationReport, AdminRefund, PaymentNotification,
    AdminPayment
)
from gateway.schemas.ops import (  # noqa: F401
    ServiceHealth, Ready, Health, health
)
from gateway.schemas.admin_integrity import (  # noqa: F401
    IntegrityQuery, IntegrityReport
)
from gateway.schemas.admin_risk import (  # noqa: F401
    RuleSet, NewListEntry, ReviewAction, RiskDecision, RiskRules, RiskRuleVersions, RiskListEntry,
    RiskListEntries, RiskReviews
)
from gateway.schemas.pages import (  # noqa: F401
    BuyerOrder
)
