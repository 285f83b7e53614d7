"""Payment intents are made in batches (`batch_handler`). When a batch fails, each of its events is
tried again alone: a channel that opens a trade at its end (WeChat Pay's Native order) must then
be offered the same number again, not be left with an open trade for every attempt. Through the
real broker and database, against the WeChat double."""

from nameko.standalone.events import event_dispatcher

from services.common import metrics
from services.common.testing import unique, wait_until
from services.payment.service import PaymentService
from tests.integration.helpers import payment_request

QUEUE = "evt-order-payment_requested--payment.handle_payment_requested"


def test_a_failed_batch_retried_one_by_one_leaves_one_trade_per_payment(
    channels_config, runner_factory, wechat_double, db
):
    channels_config.update(EVENT_BATCH_WORKERS=1)
    first, *batch = [unique("K") for _ in range(4)]
    wechat_double.slow[first] = 0.5  # the others arrive meanwhile and go together
    wechat_double.refuse_once.add(batch[1])  # fails that batch after batch[0] opened its trade
    split = metrics.EVENT_BATCHES_SPLIT.labels(QUEUE)._value.get()
    runner_factory(channels_config, PaymentService).start()
    dispatch = event_dispatcher(channels_config)
    for order_no in [first, *batch]:
        dispatch("order", "payment_requested", payment_request(order_no))

    def payments():
        rows = db(
            "SELECT order_no, payment_no FROM payment.payments WHERE order_no = ANY(:o) AND status = 'pending'",
            o=[first, *batch],
        )
        return len(rows) == 4 and rows

    made = wait_until(payments, timeout=20, message="the four payments")
    assert metrics.EVENT_BATCHES_SPLIT.labels(QUEUE)._value.get() == split + 1  # batched, failed, split
    assert not wechat_double.refuse_once
    assert sorted(wechat_double.trades) == sorted(p["payment_no"] for p in made)  # no trade left over
