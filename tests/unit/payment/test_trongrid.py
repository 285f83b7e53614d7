"""The production TRON chain client against a local server speaking TronGrid's wire format."""

import json

import eventlet
import eventlet.wsgi
import pytest
from werkzeug.wrappers import Request, Response

from services.payment.channels import ChannelError
from services.payment.channels.usdt import TronGrid

TX = "a" * 64


@pytest.fixture
def trongrid():
    seen = []

    def app(environ, start_response):
        request = Request(environ)
        seen.append(request)
        if request.path == "/v1/accounts/TAddr/transactions/trc20":
            body = {
                "success": True,
                "meta": {"page_size": 2},
                "data": [
                    {
                        "transaction_id": TX,
                        "token_info": {"symbol": "USDT", "decimals": 6},
                        "block_timestamp": 1,
                        "from": "TFrom",
                        "to": "TAddr",
                        "type": "Transfer",
                        "value": "10000042",
                    },
                    {"transaction_id": "b" * 64, "from": "TFrom", "to": "TAddr", "type": "Approval", "value": "1"},
                ],
            }
        elif request.path == "/wallet/gettransactioninfobyid":
            body = {"id": request.get_json()["value"], "blockNumber": 100, "receipt": {"result": "SUCCESS"}}
        elif request.path == "/wallet/getnowblock":
            body = {"block_header": {"raw_data": {"number": 119}}}
        else:
            return Response("no", status=404)(environ, start_response)
        return Response(json.dumps(body), content_type="application/json")(environ, start_response)

    sock = eventlet.listen(("127.0.0.1", 0))
    thread = eventlet.spawn(eventlet.wsgi.server, sock, app, log_output=False)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", seen
    thread.kill()


def test_transfers_and_confirmations(trongrid):
    url, seen = trongrid
    client = TronGrid(url, api_key="k-1")
    assert client.transfers("TAddr", "TContract", 1700000000000) == [{"txid": TX, "to": "TAddr", "value": 10000042}]
    query = seen[0].args
    assert (query["only_to"], query["contract_address"], query["min_timestamp"]) == (
        "true",
        "TContract",
        "1700000000000",
    )
    assert seen[0].headers["TRON-PRO-API-KEY"] == "k-1"
    assert client.confirmations(TX) == 20


def test_a_malformed_answer_is_a_channel_error(trongrid):
    url, _ = trongrid
    with pytest.raises(ChannelError):
        TronGrid(url).transfers("TNobody", "TContract", 0)  # 404: not JSON
