"""make backup / make restore: dump every service schema, restore into a fresh database, the
same rows come back (codes still encrypted), and the platform works on the restored copy."""

import subprocess

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services.common import migrate, testing
from tests.e2e.helpers import Api, start_system
from tests.e2e.purchase.helpers import buy, card_product, order_of, pay, wait_status
from tools import backup


@pytest.fixture
def fresh_database(database_url):
    url = make_url(database_url).set(database=f"{make_url(database_url).database}_restored")
    url = url.render_as_string(hide_password=False)
    migrate.drop_database(url)
    yield url
    migrate.drop_database(url)


def ciphertexts(url, sku):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return (
                conn.execute(text("SELECT code FROM catalog.codes WHERE sku = :sku ORDER BY id"), {"sku": sku})
                .scalars()
                .all()
            )
    finally:
        engine.dispose()


def test_backup_restores_into_a_fresh_database_that_still_sells(
    config, seeded, database_url, fresh_database, runner_factory, tmp_path
):
    running = start_system(config, runner_factory)
    with Api(config["BASE_URL"]) as api:
        api.headers["Authorization"] = f"Bearer {config['ADMIN_TOKEN']}"
        sku = card_product(api, codes=3)
        first = buy(api, sku).json()
        pay(api, first)
        wait_status(api, first, "completed")
    running.gateway.stop()  # the original goes away; the copy takes its vhost
    running.stop()

    folder = backup.dump(database_url, tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{s}.dump" for s in backup.SERVICES] + [backup.MANIFEST]
    )
    sql = subprocess.run(
        ["pg_restore", "--file=-", str(folder / "catalog.dump")], capture_output=True, text=True, check=True
    ).stdout
    assert f"{sku}-C0000" not in sql and "pw0" not in sql  # codes leave only encrypted

    assert backup.restore(fresh_database, folder) == {}  # every table, every row
    assert ciphertexts(fresh_database, sku) == ciphertexts(database_url, sku)

    # the restored copy is a working platform: old orders readable by their token, new ones sell
    restored = testing.test_config(config["AMQP_URI"], fresh_database, SMTP_URL=config["SMTP_URL"])
    start_system(restored, runner_factory)
    with Api(restored["BASE_URL"]) as api2:
        again = order_of(api2, first)
        assert again["status"] == "completed" and again["items"] == [{"code": f"{sku}-C0000", "secret": "pw0"}]
        second = buy(api2, sku).json()
        assert second["status"] == "awaiting_payment", second
        pay(api2, second)
        assert wait_status(api2, second, "completed")["items"] == [{"code": f"{sku}-C0001", "secret": "pw1"}]


def test_restore_refuses_a_schema_the_backup_does_not_have(database_url, tmp_path):
    folder = backup.dump(database_url, tmp_path, schemas=["catalog"])
    with pytest.raises(SystemExit, match="not in this backup: order"):
        backup.restore(database_url, folder, ["order"])
