"""`make mutate`: plant known faults, one at a time, and see whether the tests notice.

Coverage says which lines ran; this says whether a wrong line would be caught. Each fault below
is one a careless change could really make in the code that moves money, codes or events (the
saga, the inbox, the outbox, reservation, the payment checks, refunds). For each, a scratch copy
of the working tree gets the fault, the tests named for it run against the real broker and
database, and the fault is counted caught when they fail. A fault whose text is no longer found
in its file is reported `stale`: the list must follow the code (fix the entry, never drop it
silently). Exit status 0 only when every fault is caught.

    make mutate                      # all of them
    make mutate MUTANTS=refund       # those whose name contains "refund"

Run it before changing any of those modules and put its figure in the note. Not part of
`make test` (it runs the named tests once per fault: several minutes)."""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str
    before: str
    after: str
    tests: tuple[str, ...]


MUTANTS = [
    # --- the outbox relay
    Mutant(
        "outbox-marks-unconfirmed-rows",
        "services/common/outbox.py",
        "        sent = self.confirms.take(by_tag) if by_tag else []",
        "        self.confirms.take(by_tag)\n        sent = list(by_tag.values())",
        ("tests/integration/common/test_outbox_relay.py",),
    ),
    Mutant(
        "outbox-relay-stops-after-a-failure",
        "services/common/outbox.py",
        "                backoff = min(backoff * 2, BACKOFF_MAX_S)\n                continue",
        "                backoff = min(backoff * 2, BACKOFF_MAX_S)\n                return",
        (
            "tests/integration/common/test_messaging.py::"
            "test_outbox_row_written_while_broker_unreachable_is_published_once_it_returns",
        ),
    ),
    # --- the inbox
    Mutant(
        "inbox-forgets-what-it-saw",
        "services/common/inbox.py",
        "ON CONFLICT DO NOTHING RETURNING event_id::text",
        "ON CONFLICT (consumer, event_id) DO UPDATE SET event_type = excluded.event_type RETURNING event_id::text",
        (
            "tests/integration/common/test_messaging.py::test_redelivered_event_changes_nothing",
            "tests/integration/common/test_messaging.py::test_copies_of_one_event_in_one_batch_change_things_once",
        ),
    ),
    # --- the saga
    Mutant(
        "sweeper-expires-a-minute-early",
        "services/order/saga.py",
        "(Order.expires_at < now)",
        "(Order.expires_at < now + timedelta(seconds=60))",
        ("tests/integration/order/test_sweeper_clock.py",),
    ),
    Mutant(
        "late-payment-refunded-instead-of-delivered",
        "services/order/saga.py",
        '("expired", "payment_succeeded"):             Step("paid", (RESERVE,)),',
        '("expired", "payment_succeeded"):             Step("refunding", (REFUND,)),',
        ("tests/unit/order/test_saga_table.py",),
    ),
    Mutant(
        "failed-delivery-not-refunded",
        "services/order/saga.py",
        '("paid", "delivery_failed"):                  Step("refunding", (REFUND,)),',
        '("paid", "delivery_failed"):                  Step("refunding"),',
        ("tests/unit/order/test_saga_table.py",),
    ),
    Mutant(
        "admin-refund-keeps-uncommitted-codes",
        "services/order/saga.py",
        '("paid", "refund_ordered"):                   Step("refunding", (RELEASE, REFUND)),',
        '("paid", "refund_ordered"):                   Step("refunding", (REFUND,)),',
        ("tests/unit/order/test_saga_table.py",),
    ),
    # --- reservation
    Mutant(
        "reservation-without-skip-locked",
        "services/catalog/domain/stock.py",
        "ORDER BY id LIMIT %(n)s FOR UPDATE SKIP LOCKED),",
        "ORDER BY id LIMIT %(n)s FOR UPDATE),",
        ("tests/integration/catalog/test_reservation_locks.py",),
    ),
    Mutant(
        "reservation-repeat-takes-stock-again",
        "services/catalog/domain/stock.py",
        '    if existing is not None and existing.status != "released":',
        "    if False:",
        ("tests/integration/catalog/test_stock.py::test_reserve_is_all_or_nothing_and_idempotent",),
    ),
    Mutant(
        "counted-stock-oversold",
        "services/catalog/domain/stock.py",
        "AND (NOT counted OR available >= %(n)s)",
        "AND (NOT counted OR available >= 0)",
        ("tests/integration/catalog/test_stock.py::test_counted_and_unlimited_stock",),
    ),
    # --- payment checks
    Mutant(
        "payment-amount-unchecked",
        "services/payment/domain.py",
        "    if notice.amount != payment.amount:",
        "    if False and notice.amount != payment.amount:",
        ("tests/e2e/payment/test_reconciliation.py",),
    ),
    Mutant(
        "alipay-signature-ignored",
        "services/payment/channels/alipay.py",
        "    except (InvalidSignature, ValueError, TypeError):\n        return False\n    return True",
        "    except (InvalidSignature, ValueError, TypeError):\n        return True\n    return True",
        ("tests/unit/payment/test_alipay.py",),
    ),
    Mutant(
        "order-token-not-compared",
        "services/order/domain.py",
        'if not hmac.compare_digest(expected, token_hash(token or "")) or order is None:',
        "if order is None:",
        ("tests/e2e/purchase/test_purchase.py::test_wrong_or_missing_token_is_like_an_unknown_order",),
    ),
    # --- refunds
    Mutant(
        "refund-answer-booked-twice",
        "services/payment/refunds.py",
        '    if refund.status != "refunding":\n        return refund.status\n    status = answer',
        "    status = answer",
        ("tests/integration/payment/test_refund_answers.py",),
    ),
    Mutant(
        "refund-more-than-was-paid",
        "services/payment/refunds.py",
        "    if not 0 < amount <= left:",
        "    if not 0 < amount:",
        ("tests/e2e/payment/test_refunds.py",),
    ),
]


def scratch_copy():
    """The working tree as it is (tracked and new files, not ignored ones), with the venvs linked."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        .stdout.decode()
        .split("\0")
    )
    target = Path(tempfile.mkdtemp(prefix="kameng-mutate-"))
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    for venv in (".venv", ".venv-tools"):
        if (ROOT / venv).exists():
            (target / venv).symlink_to(ROOT / venv)
    return target


def pytest_command(tests):
    amqp = os.environ.get("KAMENG_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
    api = os.environ.get("RABBIT_API_URI", "http://guest:guest@127.0.0.1:15672")
    return [
        sys.executable,
        "-m",
        "pytest",
        "-x",
        "-q",
        "--no-header",
        f"--amqp-uri={amqp}",
        f"--rabbit-api-uri={api}",
        *tests,
    ]


def run_one(tree, mutant, timeout):
    path = tree / mutant.path
    original = path.read_text()
    if original.count(mutant.before) != 1:
        return "stale", 0.0
    path.write_text(original.replace(mutant.before, mutant.after))
    started = time.monotonic()
    try:
        done = subprocess.run(pytest_command(mutant.tests), cwd=tree, capture_output=True, timeout=timeout, check=False)
        outcome = {0: "MISSED", 1: "caught"}.get(done.returncode, f"error (pytest exit {done.returncode})")
        if outcome.startswith("error"):
            sys.stderr.write(done.stdout.decode()[-2000:])
    except subprocess.TimeoutExpired:
        outcome = "caught (timed out)"
    finally:
        path.write_text(original)
    return outcome, time.monotonic() - started


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="?", default="", help="run the faults whose name contains this")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if args.only in m.name]
    tree = scratch_copy()
    results = []
    try:
        baseline = subprocess.run(
            pytest_command(sorted({t for m in chosen for t in m.tests})), cwd=tree, capture_output=True, check=False
        )
        if baseline.returncode != 0:
            sys.stdout.write(baseline.stdout.decode()[-3000:])
            print("the chosen tests fail without any fault: fix them first")
            return 2
        for mutant in chosen:
            outcome, seconds = run_one(tree, mutant, args.timeout)
            results.append((mutant, outcome))
            print(f"{outcome:<22} {seconds:6.1f}s  {mutant.name}  ({mutant.path})", flush=True)
    finally:
        shutil.rmtree(tree, ignore_errors=True)
    caught = sum(outcome.startswith("caught") for _, outcome in results)
    print(f"\n{caught} of {len(results)} planted faults caught")
    return 0 if caught == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
