"""Demo catalog for `make run` (idempotent): `python -m services.catalog.seed`.
Every row is marked `demo = true` and its name says DEMO."""
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.catalog import domain
from services.catalog.models import Product
from services.common.config import settings
from services.common.db import make_engine

DEMO = [
    # sku, name, category, price (fen), delivery, min, max, description
    ("DEMO-STEAM-50", "[DEMO] Steam 钱包充值卡 50 元", "游戏点卡", 4850, "card", 1, 5, "演示数据 · demo data"),
    ("DEMO-STEAM-100", "[DEMO] Steam 钱包充值卡 100 元", "游戏点卡", 9600, "card", 1, 5, "演示数据 · demo data"),
    ("DEMO-APPLE-100", "[DEMO] App Store 充值卡 100 元", "礼品卡", 9800, "card", 1, 3, "演示数据 · demo data"),
    ("DEMO-WIN11-PRO", "[DEMO] Windows 11 专业版激活码", "软件激活码", 3900, "card", 1, 10, "演示数据 · demo data"),
    ("DEMO-VIP-MONTH", "[DEMO] 视频会员月卡", "会员", 1990, "card", 1, 12, "演示数据 · demo data"),
    ("DEMO-MOBILE-50", "[DEMO] 手机话费直充 50 元", "话费直充", 4980, "recharge", 1, 1, "演示数据 · demo data"),
]


def seed(session):
    for i, (sku, name, category, price, delivery, lo, hi, text) in enumerate(DEMO):
        values = dict(sku=sku, name=name, category_id=domain.category_id(session, category),
                      price=price, currency="CNY", delivery=delivery, min_quantity=lo,
                      max_quantity=hi, description=text, demo=True, sort_order=i)
        session.execute(insert(Product).values(**values).on_conflict_do_nothing())


def main():
    engine = make_engine(settings().database_url)
    with Session(engine) as session, session.begin():
        seed(session)
        total = domain.count_products(session)
    engine.dispose()
    print(f"demo catalog ready ({len(DEMO)} demo products, {total} in all)")


if __name__ == "__main__":
    main()
