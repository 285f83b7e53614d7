"""The production TRON chain client and the USDT watcher against a local server speaking TronGrid's
wire format (tests/doubles/trongrid.py), paging included."""

import datetime

import pytest

from services.payment.channels import ChannelError
from services.payment.channels.usdt import PAGE_SIZE, TronGrid, Usdt
from services.payment.models import Payment
from tests.doubles.server import DoubleServer
from tests.doubles.trongrid import TronGridDouble

ADDRESS, CONTRACT = "TAddr", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
SINCE = 1_700_000_000_000


@pytest.fixture
def grid():
    double = TronGridDouble().start()
    yield double
    double.stop()


def test_transfers_and_confirmations(grid):
    txid = grid.send(ADDRESS, 10_000_042, CONTRACT, timestamp_ms=SINCE + 5)
    grid.send(ADDRESS, 1, CONTRACT, timestamp_ms=SINCE + 6, kind="Approval")
    client = TronGrid(grid.url, api_key="k-1")
    assert client.transfers(ADDRESS, CONTRACT, SINCE) == [
        {"txid": txid, "to": ADDRESS, "value": 10_000_042, "contract": CONTRACT}
    ]
    query = grid.requests[0].query
    assert (query["only_to"], query["contract_address"], query["min_timestamp"], query["limit"]) == (
        "true",
        CONTRACT,
        str(SINCE),
        str(PAGE_SIZE),
    )
    assert grid.requests[0].headers["TRON-PRO-API-KEY"] == "k-1"
    assert client.confirmations(txid) == 20


def test_every_page_is_read(grid):
    grid.page_size = 3
    wanted = grid.send(ADDRESS, 10_000_042, CONTRACT, timestamp_ms=SINCE + 1)  # the oldest: served last
    for i in range(10):
        grid.send(ADDRESS, 5_000_000 + i, CONTRACT, timestamp_ms=SINCE + 10 + i)
    transfers = TronGrid(grid.url).transfers(ADDRESS, CONTRACT, SINCE)
    assert len(transfers) == 11 and transfers[-1]["txid"] == wanted
    pages = [r.query for r in grid.requests]
    assert len(pages) == 4 and "fingerprint" not in pages[0]
    assert [p["fingerprint"] for p in pages[1:]] == ["3", "6", "9"]
    assert all(p["contract_address"] == CONTRACT and p["min_timestamp"] == str(SINCE) for p in pages)


def payment(amount=7200, chain_amount=10_000_042):
    return Payment(
        payment_no="P1",
        amount=amount,
        chain_amount=chain_amount,
        created_at=datetime.datetime.fromtimestamp((SINCE + 60_000) / 1000, tz=datetime.UTC),
    )


def test_a_payment_behind_a_busy_page_is_found(grid):
    grid.page_size = 5
    txid = grid.send(ADDRESS, 10_000_042, CONTRACT, timestamp_ms=SINCE + 1)
    for i in range(12):  # newer transfers of other amounts push it off the first pages
        grid.send(ADDRESS, 20_000_000 + i, CONTRACT, timestamp_ms=SINCE + 100 + i)
    notice = Usdt(ADDRESS, CONTRACT, 720, 20, TronGrid(grid.url)).query(payment())
    assert notice is not None and notice.trade_no == txid and notice.paid


def test_another_tokens_transfer_is_not_a_payment_even_when_the_index_answers_it(grid):
    grid.filter_contract = False  # an index that ignores contract_address
    grid.send(ADDRESS, 10_000_042, "TFakeTokenContract11111111111111111", timestamp_ms=SINCE + 1)
    assert Usdt(ADDRESS, CONTRACT, 720, 20, TronGrid(grid.url)).query(payment()) is None
    txid = grid.send(ADDRESS, 10_000_042, CONTRACT, timestamp_ms=SINCE + 2)
    notice = Usdt(ADDRESS, CONTRACT, 720, 20, TronGrid(grid.url)).query(payment())
    assert notice is not None and notice.trade_no == txid


def test_endless_pages_are_an_error_not_a_guess(grid, monkeypatch):
    monkeypatch.setattr("services.payment.channels.usdt.MAX_PAGES", 2)
    grid.page_size = 1
    for i in range(3):
        grid.send(ADDRESS, 1 + i, CONTRACT, timestamp_ms=SINCE + i)
    with pytest.raises(ChannelError):
        TronGrid(grid.url).transfers(ADDRESS, CONTRACT, SINCE)


class NotFound(DoubleServer):
    def handle(self, request):
        return 404, {"Content-Type": "text/plain"}, "no"


def test_a_malformed_answer_is_a_channel_error():
    server = NotFound().start()
    try:
        with pytest.raises(ChannelError):
            TronGrid(server.url).transfers("TNobody", "TContract", 0)  # 404: not JSON
    finally:
        server.stop()
