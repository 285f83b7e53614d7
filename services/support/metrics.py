"""The support service's metrics (issue 21): the alert rules (deploy/prometheus/alerts.yml) and the
dashboard read these names."""

from prometheus_client import Counter, Histogram

FIRST_RESPONSE = Histogram(
    "kameng_ticket_first_response_seconds",
    "Time from a ticket's opening to the staff's first answer, by category",
    ["category"],
    buckets=(60, 300, 600, 1200, 1800, 2700, 3600, 7200, 14400, 86400),
)
SLA_WARNINGS = Counter(
    "kameng_ticket_sla_warnings_total", "Tickets still unanswered at their SLA warning time", ["category"]
)
SLA_BREACHES = Counter(
    "kameng_ticket_sla_breaches_total", "Tickets whose first answer came after their SLA was due", ["category"]
)
