"""The key of the duplicate-code hash: recorded once, never dropped by a data-key rotation.

Two imports of one code collide on `(sku, code_hash)`, so the hash key must outlive every data
key: were it derived from a data key, dropping that key after a rotation would change every new
hash, a re-imported code would no longer collide with the copy in stock, and it could be sold
twice. So the first catalog process to start records the hash key in `catalog.hash_keys`,
encrypted with the data keys like any secret (the key rotation re-encrypts it: services/rotation.py),
and every code carries the id of the key that made its hash (`codes.hash_key`).

The first recording derives the key from the oldest data key listed, as hashes were made before
hash keys were recorded, and checks that on a code it finds: codes imported before then get the
key's id. The catalog refuses to start when a code carries a hash of a key not recorded, when a
code without an id does not hash as the recorded key hashes it, or when the record cannot be
decrypted with the data keys configured."""

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.catalog.models import Code, HashKey
from services.common.crypto import DataKeys, hash_key_id


class HashKeyProblem(RuntimeError):
    """The catalog cannot trust its duplicate detection: it must not start."""


def load(session: Session, keys: DataKeys) -> DataKeys:
    """`keys` with the recorded hash key (recorded now if there is none yet), after checking
    every code's hash comes from a recorded key."""
    if session.scalar(select(HashKey.id).limit(1)) is None:
        derived = keys.derive_hash_key()
        _check_legacy(session, keys.with_hash_key(derived))
        session.execute(
            insert(HashKey)
            .values(id=hash_key_id(derived), secret=keys.encrypt(derived.hex()))
            .on_conflict_do_nothing(index_elements=["id"])
        )
    records = session.execute(select(HashKey.id, HashKey.secret).order_by(HashKey.created_at, HashKey.id)).all()
    try:
        hashing = keys.with_hash_key(bytes.fromhex(keys.decrypt(records[0].secret)))
    except ValueError:
        raise HashKeyProblem(
            "the duplicate-code hash key (catalog.hash_keys) is encrypted with a data key that is not "
            "in KAMENG_DATA_KEY: put that key back (last) and run the key rotation before dropping it"
        ) from None
    _check_legacy(session, hashing)
    session.execute(update(Code).where(Code.hash_key.is_(None)).values(hash_key=hashing.hash_key_id))
    known = [r.id for r in records]
    stranger = session.scalar(select(Code.hash_key).where(Code.hash_key.not_in(known)).limit(1))
    if stranger is not None:
        raise HashKeyProblem(
            f"codes carry a duplicate hash made with key {stranger}, which catalog.hash_keys does not hold "
            f"(it holds {', '.join(known)}): duplicate detection would miss them; restore that record"
        )
    return hashing


def _check_legacy(session: Session, keys: DataKeys) -> None:
    """Codes imported before hash keys were recorded must hash as `keys` hashes them."""
    sample = session.execute(
        select(Code.id, Code.code, Code.code_hash).where(Code.hash_key.is_(None)).order_by(Code.id.desc()).limit(1)
    ).first()
    if sample is None:
        return
    try:
        same = keys.keyed_hash(keys.decrypt(sample.code)) == bytes(sample.code_hash)
    except ValueError:
        same = False
    if not same:
        raise HashKeyProblem(
            f"code {sample.id} was hashed with a key that is neither recorded nor derived from the oldest "
            "data key listed: put the data key it was imported under back (last) in KAMENG_DATA_KEY"
        )
