"""DESIGN §7: every encrypted column is in the one registry key rotation walks. A binary column
of any service's models must be named there, or as not encrypted, with what it holds."""

from sqlalchemy import LargeBinary

from services.rotation import ENCRYPTED, NOT_ENCRYPTED, tables


def binary_columns():
    return {
        f"{name}.{column.name}"
        for name, table in tables().items()
        for column in table.columns
        if isinstance(column.type, LargeBinary)
    }


def test_every_binary_column_is_registered_as_encrypted_or_not():
    registered = {f"{name}.{column}" for name, columns in ENCRYPTED.items() for column in columns}
    missing = binary_columns() - registered - set(NOT_ENCRYPTED)
    assert not missing, f"add these to services/rotation.py, ENCRYPTED or NOT_ENCRYPTED: {sorted(missing)}"
    assert not registered & set(NOT_ENCRYPTED)


def test_every_registered_column_exists():
    everything = tables()
    for name, columns in ENCRYPTED.items():
        assert all(c in everything[name].c for c in columns), name
    for dotted in NOT_ENCRYPTED:
        name, column = dotted.rsplit(".", 1)
        assert column in everything[name].c, dotted


def test_the_services_models_are_all_read():
    assert {name.split(".")[0] for name in tables()} >= {"catalog", "order", "supplier", "account", "payment"}
