"""Demo catalog for `make run` (idempotent): `python -m services.catalog.seed`.
Every product is marked `demo = true`, its name starts with [DEMO], and its codes say DEMO."""

from sqlalchemy.dialects.postgresql import insert

from services.catalog.domain import codes, hash_keys, products
from services.catalog.models import Product, StockLevel, metadata
from services.common.config import settings
from services.common.crypto import DataKeys
from services.common.db import make_engine, transaction

DEMO = [
    # sku, name, category, price (fen), delivery, min, max, demo codes
    ("DEMO-STEAM-50", "[DEMO] Steam 钱包充值卡 50 元", "游戏点卡", 4850, "card", 1, 5, 30),
    ("DEMO-STEAM-100", "[DEMO] Steam 钱包充值卡 100 元", "游戏点卡", 9600, "card", 1, 5, 20),
    ("DEMO-APPLE-100", "[DEMO] App Store 充值卡 100 元", "礼品卡", 9800, "card", 1, 3, 10),
    ("DEMO-WIN11-PRO", "[DEMO] Windows 11 专业版激活码", "软件激活码", 3900, "card", 1, 10, 50),
    ("DEMO-VIP-MONTH", "[DEMO] 视频会员月卡", "会员", 1990, "card", 1, 12, 3),
    ("DEMO-MOBILE-50", "[DEMO] 手机话费直充 50 元", "话费直充", 4980, "recharge", 1, 1, 0),
]


def seed(session, keys=None):
    keys = hash_keys.load(session, keys) if keys else None  # the duplicate hash's recorded key
    for i, (sku, name, category, price, delivery, lo, hi, stock) in enumerate(DEMO):
        values = {
            "sku": sku,
            "name": name,
            "category_id": products.category_id(session, category),
            "price": price,
            "currency": "CNY",
            "delivery": delivery,
            "min_quantity": lo,
            "max_quantity": hi,
            "description": "演示数据 · demo data",
            "demo": True,
            "sort_order": i,
            "low_stock_threshold": 5 if delivery == "card" else 0,
        }
        session.execute(insert(Product).values(**values).on_conflict_do_nothing())
        session.execute(
            insert(StockLevel)
            .values(sku=sku, counted=delivery == "card", available=0, reserved=0, sold=0)
            .on_conflict_do_nothing()
        )
        if keys and stock and codes.count(session, sku) == 0:
            job = codes.begin_import(session, "demo-seed", sku)["import_id"]
            session.flush()
            lines = [(n, f"DEMO-{sku}-{n:04d},demo-secret-{n:04d}") for n in range(1, stock + 1)]
            codes.stage(session, keys, job, lines, ",")
            codes.finish_import(session, job, 0)


def main():
    s = settings()
    engine = make_engine(s.database_url)
    keys = DataKeys(list(s.data_keys)) if s.data_keys else None
    with transaction(engine, metadata) as session:
        seed(session, keys)
        total = products.count_products(session)
    engine.dispose()
    print(
        f"demo catalog ready ({len(DEMO)} demo products{'' if keys else ', no codes: no data key'},"
        f" {total} products in all)"
    )


if __name__ == "__main__":
    main()
