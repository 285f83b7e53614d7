"""Data-key rotation on its own throw-away database (it rewrites every encrypted column, which
the other tests' fixed dev key must go on reading): the duplicate-code hash survives dropping the
old key, every registered column is re-encrypted, and a catalog whose codes carry a hash it
cannot reproduce refuses to start."""

import base64
import json
import logging
import os
import uuid

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import make_url

from services.catalog.domain import codes, hash_keys, products
from services.catalog.models import Code, metadata
from services.catalog.service import CatalogService
from services.common import migrate
from services.common.crypto import DataKeys
from services.common.db import make_engine, transaction
from services.common.testing import test_config as nameko_test_config, unique
from services.rotation import ENCRYPTED, rotate_all, tables


def new_key():
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


@pytest.fixture
def own_database(database_url):
    url = make_url(database_url).set(database=f"kameng_rot_{uuid.uuid4().hex[:10]}")
    url = url.render_as_string(hide_password=False)
    migrate.upgrade(url)
    engine = make_engine(url)
    yield url, engine
    engine.dispose()
    migrate.drop_database(url)


def tx(engine):
    return transaction(engine, metadata)


def make_card_product(engine):
    sku = unique("SKU")
    with tx(engine) as s:
        products.create_product(
            s,
            "test",
            {
                "sku": sku,
                "name": sku,
                "category": "tests",
                "price": 100,
                "currency": "CNY",
                "delivery": "card",
                "min_quantity": 1,
                "max_quantity": 10,
                "description": "",
                "low_stock_threshold": 0,
            },
        )
    return sku


def import_with(engine, data_keys, sku, lines):
    """An import as the catalog makes it: with the hash key it loads at start."""
    with tx(engine) as s:
        keys = hash_keys.load(s, data_keys)
        job = codes.begin_import(s, "test", sku)["import_id"]
    with tx(engine) as s:
        codes.stage(s, keys, job, list(enumerate(lines, start=1)), ",")
    with tx(engine) as s:
        return codes.finish_import(s, job, 0)


def test_after_a_rotation_drops_the_old_key_the_same_codes_are_still_duplicates(own_database):
    _, engine = own_database
    old, new = new_key(), new_key()
    sku = make_card_product(engine)
    lines = [f"DUP-{n},pw-{n}" for n in range(20)]
    assert import_with(engine, DataKeys([old]), sku, lines) == {"imported": 20, "duplicates": 0}

    rotate_all(engine, DataKeys([new, old]))
    assert import_with(engine, DataKeys([new]), sku, lines) == {"imported": 0, "duplicates": 20}
    with tx(engine) as s:
        assert s.scalar(select(func.count()).select_from(Code).where(Code.sku == sku)) == 20
        assert [DataKeys([new]).decrypt(c) for c in s.scalars(select(Code.code).order_by(Code.id))] == [
            f"DUP-{n}" for n in range(20)
        ]


def fixture_rows(keys):
    """One row with every encrypted column filled, for each table of the registry."""
    seal = keys.encrypt
    return {
        "order.idempotency_keys": {
            "key": unique("idem"),
            "request_hash": b"h",
            "token": seal("t"),
            "response": seal("{}"),
        },
        "supplier.suppliers": {"id": 991, "name": unique("sup"), "contact": "x", "credentials": seal("{}")},
        "supplier.keys": {"key_id": unique("key"), "supplier_id": 991, "secret": seal("s")},
        "account.staff": {
            "email": f"{unique('s')}@example.com",
            "name": "S",
            "role": "owner",
            "password_hash": "x",
            "totp_secret": seal("JBSWY3DPEHPK3PXP"),
        },
        "account.buyers": {"email": f"{unique('b')}@example.com", "password_hash": "x", "real_name": seal("{}")},
        "account.mails": {"to_address": "b@example.com", "subject": "s", "body": seal("a one-time link")},
        "notify.targets": {
            "name": unique("hook"),
            "format": "dingtalk",
            "url": seal("https://oapi.dingtalk.com/robot/send?access_token=t"),
            "secret": seal("SEC"),
        },
        "account.agent_levels": {"name": "rot-level", "rank": 1},
        "account.agents": {"id": 991, "name": "a", "contact": "c", "depth": 1, "level": "rot-level"},
        "account.agent_keys": {"key_id": unique("ak"), "agent_id": 991, "secret": seal("{}")},  # last: read back below
    }


def test_rotation_re_encrypts_every_registered_column(own_database):
    _, engine = own_database
    old, new = new_key(), new_key()
    import_with(engine, DataKeys([old]), make_card_product(engine), ["ROT-1,pw", "ROT-2"])  # codes, hash key
    everything = tables()
    for name, row in fixture_rows(DataKeys([old])).items():
        with engine.begin() as conn:
            conn.execute(insert(everything[name]).values(**row))

    done = rotate_all(engine, DataKeys([new, old]), batch=1)  # batch=1: the walk resumes past each key
    assert set(done) == set(ENCRYPTED) and all(done[name] >= 1 for name in ENCRYPTED)
    only_new = DataKeys([new])
    for name, columns in ENCRYPTED.items():
        table = everything[name]
        for column in columns:
            with engine.connect() as conn:
                values = conn.scalars(select(table.c[column]).where(table.c[column].is_not(None))).all()
            assert values, f"no {name}.{column} to rotate: give it a row in fixture_rows"
            for value in values:
                only_new.decrypt(value)  # raises if any is still under the old key
    assert rotate_all(engine, DataKeys([new, old])) == dict.fromkeys(ENCRYPTED, 0)  # re-run: nothing left
    assert json.loads(only_new.decrypt(values[0])) == {}


def test_codes_hashed_before_the_key_was_recorded_keep_their_hashes(own_database):
    _, engine = own_database
    keys = DataKeys([new_key()])
    sku = make_card_product(engine)
    legacy = keys.with_hash_key(keys.derive_hash_key())  # as the hash was made before recording
    with tx(engine) as s:
        s.execute(insert(Code).values(sku=sku, code=keys.encrypt("OLD-1"), code_hash=legacy.keyed_hash("OLD-1")))
    assert import_with(engine, keys, sku, ["OLD-1", "NEW-1"]) == {"imported": 1, "duplicates": 1}
    with tx(engine) as s:
        assert set(s.scalars(select(Code.hash_key))) == {legacy.hash_key_id}


def test_a_code_hashed_with_an_unknown_key_stops_the_catalog(own_database, rabbit_config, container_factory, caplog):
    url, engine = own_database
    key = new_key()
    keys = DataKeys([key])
    sku = make_card_product(engine)
    import_with(engine, keys, sku, ["K-1"])
    with tx(engine) as s:
        s.execute(update(Code).values(hash_key="0badc0de"))
    with tx(engine) as s, pytest.raises(hash_keys.HashKeyProblem, match="0badc0de"):
        hash_keys.load(s, keys)

    container = container_factory(CatalogService, nameko_test_config(rabbit_config["AMQP_URI"], url, DATA_KEYS=[key]))
    with caplog.at_level(logging.CRITICAL), pytest.raises(hash_keys.HashKeyProblem):
        container.start()
    assert any("refuses to start" in r.getMessage() and "0badc0de" in r.getMessage() for r in caplog.records)


def test_a_legacy_hash_the_oldest_key_cannot_reproduce_stops_the_catalog(own_database):
    _, engine = own_database
    dropped, kept = DataKeys([new_key()]), DataKeys([new_key()])
    sku = make_card_product(engine)
    legacy = dropped.with_hash_key(dropped.derive_hash_key())
    with tx(engine) as s:
        s.execute(insert(Code).values(sku=sku, code=kept.encrypt("L-1"), code_hash=legacy.keyed_hash("L-1")))
    with tx(engine) as s, pytest.raises(hash_keys.HashKeyProblem, match="neither recorded nor derived"):
        hash_keys.load(s, kept)
