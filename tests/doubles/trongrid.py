"""A TronGrid double: the indexed TRC20 transfers of an account, paged the way TronGrid pages them
(`meta.fingerprint` and `meta.links.next` while more remain; the next page is the same query plus
`fingerprint=`), and the full node's transaction info and head block for confirmations."""

import json
import secrets

from tests.doubles.server import DoubleServer


class TronGridDouble(DoubleServer):
    def __init__(self, page_size=200, filter_contract=True):
        self.page_size = page_size  # at most this many per page, whatever `limit` asks
        self.filter_contract = filter_contract  # False: answer other tokens' transfers too (a lying index)
        self.transfers = []  # newest last; served newest first, as TronGrid's default order
        self.head = 1000
        self.requests = []

    def send(self, to, value, contract, timestamp_ms=1_700_000_000_000, kind="Transfer"):
        txid = secrets.token_hex(32)
        self.transfers.append(
            {"txid": txid, "to": to, "value": value, "contract": contract, "ts": timestamp_ms, "type": kind}
        )
        return txid

    def handle(self, request):
        self.requests.append(request)
        if request.path.startswith("/v1/accounts/") and request.path.endswith("/transactions/trc20"):
            return self._trc20(request, request.path.split("/")[3])
        if request.path == "/wallet/gettransactioninfobyid":
            txid = json.loads(request.body)["value"]
            found = [i for i, t in enumerate(self.transfers) if t["txid"] == txid]
            if not found:
                return 200, {"Content-Type": "application/json"}, "{}"
            info = {"id": txid, "blockNumber": self.head - 19, "receipt": {"result": "SUCCESS"}}
            return 200, {"Content-Type": "application/json"}, json.dumps(info)
        if request.path == "/wallet/getnowblock":
            return (
                200,
                {"Content-Type": "application/json"},
                json.dumps({"block_header": {"raw_data": {"number": self.head}}}),
            )
        return 404, {"Content-Type": "text/plain"}, "no"

    def _trc20(self, request, address):
        q = request.query
        rows = [
            t
            for t in reversed(self.transfers)
            if t["ts"] >= int(q.get("min_timestamp") or 0)
            and (q.get("only_to") != "true" or t["to"] == address)
            and (not self.filter_contract or t["contract"] == q.get("contract_address", t["contract"]))
        ]
        start = int(q["fingerprint"]) if q.get("fingerprint") else 0
        size = min(int(q.get("limit") or 20), self.page_size)
        page = rows[start : start + size]
        meta = {"at": 1, "page_size": len(page)}
        if start + size < len(rows):
            meta["fingerprint"] = str(start + size)
            meta["links"] = {"next": f"{self.url}{request.path}?fingerprint={start + size}"}
        data = [
            {
                "transaction_id": t["txid"],
                "token_info": {"symbol": "USDT", "address": t["contract"], "decimals": 6, "name": "Tether USD"},
                "block_timestamp": t["ts"],
                "from": "TFrom",
                "to": t["to"],
                "type": t["type"],
                "value": str(t["value"]),
            }
            for t in page
        ]
        return 200, {"Content-Type": "application/json"}, json.dumps({"success": True, "data": data, "meta": meta})
