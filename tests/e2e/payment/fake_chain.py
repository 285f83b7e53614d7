"""A fake TRON chain for the USDT channel: the only thing tests replace (KAMENG_USDT_CHAIN_CLIENT =
"tests.e2e.payment.fake_chain:CHAIN"); everything else runs the production code path."""

import secrets


class FakeChain:
    def __init__(self):
        self.reset()

    def reset(self):
        self.transfers_ = []  # {"txid", "to", "value", "contract", "block"}
        self.head = 1000
        self.asked = 0

    def send(self, to, value, contract):
        txid = secrets.token_hex(32)
        self.transfers_.append({"txid": txid, "to": to, "value": value, "contract": contract, "block": self.head + 1})
        return txid

    def mine(self, blocks):
        self.head += blocks

    # the chain client interface
    def transfers(self, address, contract, since_ms):
        self.asked += 1
        return [
            {"txid": t["txid"], "to": t["to"], "value": t["value"], "contract": t["contract"]}
            for t in self.transfers_
            if t["to"] == address and t["contract"] == contract
        ]

    def confirmations(self, txid):
        block = next(t["block"] for t in self.transfers_ if t["txid"] == txid)
        return max(0, self.head - block + 1)


CHAIN = FakeChain()
