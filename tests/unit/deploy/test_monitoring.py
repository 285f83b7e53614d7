"""The alert rules and the dashboard: promtool checks and unit-tests the rules, and every metric
they use must be one the code defines (so a renamed metric cannot silently blind an alert).
promtool comes from Debian's `prometheus` package, which `.ci/run` installs."""

import importlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

ROOT = Path(__file__).resolve().parents[3]
RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "alerts_test.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "kameng.json"
SERVICES = ["catalog", "order", "payment", "delivery", "risk", "account", "supplier", "support", "notify"]


def promtool(*args):
    tool = shutil.which("promtool")
    assert tool, "promtool is needed: apt-get install -y prometheus (.ci/run does)"
    done = subprocess.run([tool, *args], capture_output=True, text=True, cwd=RULES.parent, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_rules_are_valid():
    assert "SUCCESS" in promtool("check", "rules", RULES.name)


def test_rules_fire_when_they_should_and_only_then():
    assert "SUCCESS" in promtool("test", "rules", RULE_TESTS.name)


def defined_metrics():
    """Every series name the code can export: the services' modules register their metrics on import."""
    for service in SERVICES:
        importlib.import_module(f"services.{service}.service")
    importlib.import_module("gateway.service")
    names = set()
    for family in REGISTRY.collect():
        names.add(family.name)
        suffixes = {
            "counter": ["_total", "_created"],
            "histogram": ["_bucket", "_sum", "_count", "_created"],
            "summary": ["_sum", "_count"],
            "gauge": [],
        }.get(family.type, [])
        names.update(family.name + suffix for suffix in suffixes)
    return names


def used_metrics(expressions):
    return {name for expr in expressions for name in re.findall(r"\bkameng_[a-z0-9_]+", expr)}


def rule_expressions():
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def dashboard_expressions():
    return [t["expr"] for panel in json.loads(DASHBOARD.read_text())["panels"] for t in panel["targets"]]


@pytest.mark.parametrize("source", [rule_expressions, dashboard_expressions], ids=["alerts", "dashboard"])
def test_every_metric_used_is_defined_by_the_code(source):
    used = used_metrics(source())
    assert used, "no kameng_ metric found: the check itself is broken"
    assert used - defined_metrics() == set()


def test_every_alert_says_how_bad_and_what_to_do():
    for group in yaml.safe_load(RULES.read_text())["groups"]:
        for rule in group["rules"]:
            assert rule["labels"]["severity"] in ("page", "ticket"), rule["alert"]
            assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]
