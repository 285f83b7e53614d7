"""The gateway's HTTP schemas, by area as gateway/routes/ is: they validate requests, shape
responses and generate /openapi.json. Call sites use `from gateway import schemas` and
`schemas.Name`; each area's module is where a schema is defined."""

from gateway.schemas.accounts import (  # noqa: F401
    AccountDone,
    AccountOrder,
    AccountOrders,
    AdminBuyer,
    AdminBuyerList,
    Buyer,
    BuyerQuery,
    BuyerSignIn,
    LinkToken,
    MemberLevel,
    MemberLevelChange,
    MemberLevelList,
    RealNameForm,
    Registration,
    ResetConfirm,
    ResetRequest,
)
from gateway.schemas.admin_catalog import (  # noqa: F401
    AdminCode,
    AdminProduct,
    Category,
    CategoryChanges,
    CategoryList,
    CodeList,
    CodeQuery,
    ImportQuery,
    ImportResult,
    LevelPrice,
    LevelPriceSet,
    NewProduct,
    ProductChanges,
    Promotion,
    Rejected,
    StockLevel,
    StockReport,
    StockSet,
)
from gateway.schemas.admin_integrity import IntegrityQuery, IntegrityReport  # noqa: F401
from gateway.schemas.admin_risk import (  # noqa: F401
    NewListEntry,
    ReviewAction,
    RiskDecision,
    RiskListEntries,
    RiskListEntry,
    RiskReviews,
    RiskRules,
    RiskRuleVersions,
    RuleSet,
)
from gateway.schemas.admin_staff import (  # noqa: F401
    ApiToken,
    ApiTokens,
    Me,
    NewApiToken,
    NewStaff,
    PasswordChange,
    SessionsEnded,
    StaffChanges,
    StaffList,
    StaffMember,
    StaffSessions,
)
from gateway.schemas.admin_suppliers import (  # noqa: F401
    NewSupplier,
    NewSupplierKey,
    Purchase,
    PurchaseList,
    PurchaseQuery,
    SkuSources,
    SkuSourcesList,
    Supplier,
    SupplierApproval,
    SupplierConnectionSet,
    SupplierKey,
    SupplierKeys,
    SupplierList,
    SupplierSourcing,
    SupplierSourcingList,
    SupplierSourcingSet,
)
from gateway.schemas.catalog import Product, ProductList, ProductQuery, Quote, QuoteQuery  # noqa: F401
from gateway.schemas.common import CURRENCY, QUANTITY, SKU, Error, ErrorDetail, Money  # noqa: F401
from gateway.schemas.open_api import (  # noqa: F401
    AgentOrder,
    Balance,
    NewAgentOrder,
    OpenProductList,
    OpenProductQuery,
    Statement,
    StatementEntry,
    StatementQuery,
)
from gateway.schemas.ops import Health, Ready, ServiceHealth, health  # noqa: F401
from gateway.schemas.orders import (  # noqa: F401
    CHANNELS,
    CREATED_ORDER,
    MAX_WAIT_S,
    NEW_ORDER,
    ORDER,
    ORDER_WAIT,
    AdminOrder,
    CreatedOrder,
    NewOrder,
    Order,
    OrderItem,
    OrderList,
    OrderQuery,
    OrderSummary,
    OrderWait,
    PaymentInfo,
    Refund,
    RefundedOrder,
    RefundInfo,
    SandboxPaid,
    Transition,
)
from gateway.schemas.pages import BuyerOrder  # noqa: F401
from gateway.schemas.payments import (  # noqa: F401
    AdminPayment,
    AdminRefund,
    Mismatch,
    PaymentNotification,
    ReconciliationQuery,
    ReconciliationReport,
)
from gateway.schemas.supplier_api import InventoryAccepted, InventoryBatch, InventoryPush, PushedCode  # noqa: F401
