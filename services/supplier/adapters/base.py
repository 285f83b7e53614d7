"""The one interface every supplier adapter implements (issue 17). An adapter speaks one
supplier protocol over HTTP; it holds no state and opens no database transaction: the domain
calls it outside any transaction and records what it answered.

Outcomes of a recharge, as the domain reads them:
- SUCCEEDED: the supplier says the account was recharged;
- FAILED: the supplier says it was not and never will be (safe to try the next supplier);
- PENDING: the supplier took the order; the result comes by callback or by `query`;
- UNKNOWN: we cannot tell (a timeout, a reset, an answer we cannot read). The attempt must be
  queried before any other supplier is tried: it may still succeed.
"""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Protocol


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    PENDING = "pending"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class RechargeResult:
    outcome: Outcome
    supplier_order_id: str | None = None
    reason: str | None = None  # why, when FAILED or UNKNOWN (never a credential)


@dataclass(frozen=True)
class Callback:
    """A verified callback: which of our attempts it is about and what it says."""

    attempt_id: str
    result: RechargeResult


@dataclass(frozen=True)
class PurchasedCode:
    code: str
    secret: str | None = None
    expires_on: date | None = None


class SupplierError(Exception):
    """The supplier could not be reached or refused the call (buying codes, probing): nothing
    was bought. Its message names the cause, never a credential."""


class PurchaseUnsettled(SupplierError):
    """A purchase whose outcome we could not read (a timeout, an order taken but not delivered
    yet): something may have been bought. Retrying with the same `request_id` buys nothing more
    and answers the codes once they are there; never buy the same need from another supplier
    on this error alone."""


class InvalidCallback(Exception):
    """A callback whose signature or shape does not verify: it changes nothing."""


class Adapter(Protocol):
    def buy_codes(self, product_id: str, quantity: int, request_id: str) -> list[PurchasedCode]:
        """Buy `quantity` codes; `request_id` makes a retry of the same purchase buy once.
        Raises SupplierError when nothing was bought."""
        ...

    def recharge(
        self, product_id: str, account: str, quantity: int, attempt_id: str, callback_url: str
    ) -> RechargeResult:
        """Ask for a direct recharge. `attempt_id` is the idempotency key the supplier sees (our
        order id there): the same attempt sent twice recharges once. Never raises for the
        supplier's own failures: they are FAILED or UNKNOWN."""
        ...

    def query(self, attempt_id: str, supplier_order_id: str | None) -> RechargeResult:
        """Where an attempt stands. An attempt the supplier never received is FAILED."""
        ...

    def parse_callback(self, headers: dict[str, str], body: bytes) -> Callback:
        """Verify and read a result callback; raises InvalidCallback."""
        ...

    def probe(self) -> None:
        """A cheap call that tells whether the supplier answers (the circuit breaker's probe);
        raises SupplierError."""
        ...


# kind -> factory(base_url, settings, credentials, timeout_s) -> Adapter; filled in by the adapter modules
Factory = Any
