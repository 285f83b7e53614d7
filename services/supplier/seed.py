"""Demo supplier for `make run` (idempotent): `python -m services.supplier.seed`. Only when the
development simulator is configured (KAMENG_SUPPLIER_SIM, which `make run` sets and starts): one
approved, enabled supplier reached through the generic adapter at the simulator, sourcing the demo
catalog's direct-recharge product and its card products (so low stock is refilled by itself)."""

import json
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from services.catalog.seed import DEMO
from services.common.config import settings
from services.common.crypto import DataKeys
from services.common.db import make_engine, transaction
from services.supplier import registry
from services.supplier.models import Sourcing, Supplier, metadata

NAME = "[DEMO] 供货商模拟器 · supplier simulator"
CREDENTIALS = {"app_id": "sim-app", "key": "sim-key"}  # tools/supplier_sim.py's own defaults


def seed(session, keys: DataKeys, sim_address: str) -> int:
    supplier = session.scalar(select(Supplier).where(Supplier.name == NAME))
    if supplier is None:
        supplier = Supplier(
            name=NAME,
            contact="demo@supplier.example",
            status="approved",
            enabled=True,
            documents=[{"name": "演示营业执照 · demo licence", "number": "DEMO-0001"}],
            valid_until=registry.today() + timedelta(days=365),
            reviewer="demo-seed",
            reviewed_at=registry.now(),
        )
        session.add(supplier)
        session.flush()
    supplier.adapter, supplier.base_url = "generic", f"http://{sim_address}"
    supplier.credentials = keys.encrypt(json.dumps(CREDENTIALS))
    for sku, *_ in DEMO:
        session.execute(
            insert(Sourcing)
            .values(supplier_id=supplier.id, sku=sku, supplier_product_id=f"SIM-{sku}", cost_price=100, priority=10)
            .on_conflict_do_nothing()
        )
    return supplier.id


def main():
    s = settings()
    if not s.supplier_sim or not s.data_keys:
        print("no demo supplier (KAMENG_SUPPLIER_SIM or KAMENG_DATA_KEY not set)")
        return
    engine = make_engine(s.database_url)
    with transaction(engine, metadata) as session:
        supplier_id = seed(session, DataKeys(list(s.data_keys)), s.supplier_sim)
    engine.dispose()
    print(f"demo supplier {supplier_id} ready: the simulator at http://{s.supplier_sim}")


if __name__ == "__main__":
    main()
