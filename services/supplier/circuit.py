"""The circuit breaker in front of each supplier (issue 17), kept in the supplier's own row
(`circuit`, `failures`, `opened_at`), so every replica sees the same state:

- closed: the supplier is in rotation; each call that fails adds to `failures`, one that works
  resets it; `threshold` failures in a row open the circuit;
- open: out of rotation for `cooldown_s`;
- half_open: the cooldown is over and one probe (`adapter.probe`) is under way. Taking the probe is
  a conditional UPDATE, so one replica probes; a probe that works closes the circuit, one that
  fails opens it again for another cooldown. A prober that died leaves half_open behind: it is
  taken again once a cooldown has passed (`opened_at` is the probe's lease)."""

from dataclasses import dataclass
from datetime import timedelta

from prometheus_client import Gauge
from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from services.common.db import after_commit
from services.supplier.models import Supplier

CLOSED, HALF_OPEN, OPEN = "closed", "half_open", "open"
STATE_VALUE = {CLOSED: 0, HALF_OPEN: 1, OPEN: 2}

CIRCUIT_STATE = Gauge(
    "kameng_supplier_circuit_state", "A supplier's circuit breaker: 0 closed, 1 half_open, 2 open", ["supplier"]
)


@dataclass(frozen=True)
class Policy:
    threshold: int = 5  # failures in a row that open the circuit
    cooldown_s: float = 30.0  # how long it stays open before a probe


def usable(supplier: Supplier) -> bool:
    """In rotation: only a closed circuit takes orders (half_open lets the probe alone through)."""
    return supplier.circuit == CLOSED


def record(session: Session, supplier_id: int, ok: bool, policy: Policy) -> None:
    """A call's outcome as the breaker counts it (in the transaction that records the call)."""
    if ok:
        stmt = (
            update(Supplier)
            .execution_options(synchronize_session=False)
            .where(Supplier.id == supplier_id, Supplier.failures != 0)
            .values(failures=0)
        )
    else:
        opens = (Supplier.circuit == CLOSED) & (Supplier.failures + 1 >= policy.threshold)
        stmt = (
            update(Supplier)
            .execution_options(synchronize_session=False)
            .where(Supplier.id == supplier_id)
            .values(
                failures=Supplier.failures + 1,
                circuit=case((opens, OPEN), else_=Supplier.circuit),
                opened_at=case((opens, func.now()), else_=Supplier.opened_at),
            )
        )
    result = session.execute(stmt.returning(Supplier.circuit))
    row = result.first()
    if row is not None:
        _show(session, supplier_id, row.circuit)


def take_probes(session: Session, policy: Policy) -> list[Supplier]:
    """The suppliers whose cooldown is over, now half_open and leased to this caller to probe."""
    ids = session.scalars(
        update(Supplier)
        .execution_options(synchronize_session=False)
        .where(
            Supplier.circuit.in_((OPEN, HALF_OPEN)),
            Supplier.opened_at < func.now() - timedelta(seconds=policy.cooldown_s),
        )
        .values(circuit=HALF_OPEN, opened_at=func.now())
        .returning(Supplier.id)
    ).all()
    for supplier_id in ids:
        _show(session, supplier_id, HALF_OPEN)
    return list(session.scalars(select(Supplier).where(Supplier.id.in_(ids)))) if ids else []


def probed(session: Session, supplier_id: int, ok: bool) -> None:
    """The probe's outcome: closed again, or open for another cooldown."""
    values = {"circuit": CLOSED, "failures": 0, "opened_at": None} if ok else {"circuit": OPEN, "opened_at": func.now()}
    changed = session.execute(
        update(Supplier)
        .execution_options(synchronize_session=False)
        .where(Supplier.id == supplier_id, Supplier.circuit == HALF_OPEN)
        .values(**values)
    )
    if changed.rowcount:  # type: ignore[attr-defined]
        _show(session, supplier_id, str(values["circuit"]))


def show_all(session: Session) -> None:
    """The gauge from the rows (each replica's view refreshed, whoever changed them)."""
    for supplier_id, state in session.execute(select(Supplier.id, Supplier.circuit)):
        CIRCUIT_STATE.labels(str(supplier_id)).set(STATE_VALUE.get(state, 0))


def _show(session: Session, supplier_id: int, state: str) -> None:
    after_commit(session, lambda: CIRCUIT_STATE.labels(str(supplier_id)).set(STATE_VALUE.get(state, 0)))
