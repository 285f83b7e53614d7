"""Timed campaigns through the gateway: a campaign whose window is open now (started a minute
ago in Shanghai time, ending in two hours)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from services.common.testing import unique

SHANGHAI = ZoneInfo("Asia/Shanghai")


def running_now(skus=None, category=None, percent_off=20, **fields):
    now = datetime.now(UTC).astimezone(SHANGHAI)
    body = {
        "name": unique("周末晚高峰"),
        "percent_off": percent_off,
        "weekdays": [1, 2, 3, 4, 5, 6, 7],
        "starts": (now - timedelta(minutes=1)).strftime("%H:%M"),
        "ends": (now + timedelta(hours=2)).strftime("%H:%M"),
        "timezone": "Asia/Shanghai",
        **fields,
    }
    if category:
        body["category"] = category
    else:
        body["skus"] = skus
    return body


def create_campaign(admin, body):
    made = admin.post("/api/v1/admin/campaigns", json=body)
    assert made.status_code == 201, made.text
    return made.json()
