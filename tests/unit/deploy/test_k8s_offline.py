"""The Kubernetes manifests and the Dockerfile, validated offline (issue 8), with the tools that
`make tools` installs into .venv-tools (pinned in pyproject.toml's "tools" list):

- every overlay renders with `kubectl kustomize`, and every rendered object validates against
  the schemas of Kubernetes 1.30 and of the newest version kubernetes-validate knows (strict) or,
  for custom resources, against deploy/schemas (deploy/k8s/check.py);
- checkov finds nothing in the rendered overlays and the Dockerfile, and every check skipped is
  skipped in place with its reason;
- both checkers do fail on broken input (so a pass means something).

`make test` sets KAMENG_TOOLS_BIN and builds the tools first; a bare pytest without .venv-tools
skips these tests with the reason.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
TOOLS_BIN = Path(os.environ.get("KAMENG_TOOLS_BIN") or ROOT / ".venv-tools" / "bin")
CHECK = ROOT / "deploy" / "k8s" / "check.py"
OVERLAYS = sorted(
    p.name for p in (ROOT / "deploy" / "k8s" / "overlays").iterdir() if (p / "kustomization.yaml").is_file()
)

CHECKOV_FRAMEWORKS = ["kubernetes", "dockerfile", "secrets"]


def tool(name):
    path = TOOLS_BIN / name
    if not path.exists():
        if os.environ.get("KAMENG_TOOLS_BIN"):
            pytest.fail(f"{path} missing: `make tools` should have installed it")
        pytest.skip(f"{path} missing: run `make tools` (or `make test`, which does)")
    return str(path)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=180, cwd=ROOT, check=False, **kw)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """deploy/k8s/check.py's run over every overlay: (result, directory of rendered overlays)."""
    if not shutil.which("kubectl"):
        pytest.skip("kubectl not on PATH (.ci/run makes sure it is)")
    out = tmp_path_factory.mktemp("k8s")
    return run([tool("python"), str(CHECK), "--out", str(out)]), out


def checkov(directory):
    result = run(
        [
            tool("checkov"),
            "--compact",
            "--skip-download",
            "--output",
            "json",
            "--framework",
            *CHECKOV_FRAMEWORKS,
            "-d",
            str(directory),
        ]
    )
    assert result.stdout.strip(), result.stderr[-3000:]
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    return result, {r["check_type"]: r for r in reports}


def test_every_overlay_renders_and_every_object_validates(rendered):
    result, out = rendered
    assert result.returncode == 0, result.stdout + result.stderr
    for overlay in OVERLAYS:
        assert f"overlay {overlay}: " in result.stdout and (out / f"{overlay}.yaml").stat().st_size
    assert "problems" not in result.stdout
    # the custom resources were checked against their own schemas, not waved through
    prod = [d for d in yaml.safe_load_all((out / "prod.yaml").read_text()) if d]
    assert {"Cluster", "ScheduledBackup", "RabbitmqCluster", "ScaledObject", "TriggerAuthentication"} <= {
        d["kind"] for d in prod
    }


def test_every_custom_resource_kind_used_has_a_schema_naming_its_source(rendered):
    _, out = rendered
    used = {
        (d["apiVersion"], d["kind"])
        for o in OVERLAYS
        for d in yaml.safe_load_all((out / f"{o}.yaml").read_text())
        if d and "." in d["apiVersion"].split("/")[0] and not d["apiVersion"].split("/")[0].endswith(".k8s.io")
    }
    assert used
    for api_version, kind in used:
        group, version = api_version.split("/")
        path = ROOT / "deploy" / "schemas" / group / f"{kind.lower()}_{version}.json"
        schema = json.loads(path.read_text())
        assert "CRD" in schema["$comment"] and schema["properties"]["kind"] == {"const": kind}


BROKEN = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: typo}
spec:
  replica: 2
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      containers: [{name: app, image: x}]
---
apiVersion: v1
kind: Service
metadata: {name: badport}
spec:
  ports: [{port: "eighty"}]
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: notriggers}
spec:
  scaleTargetRef: {name: order}
---
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: wordinstances}
spec:
  instances: three
---
apiVersion: postgresql.cnpg.io/v1
kind: ScheduledBackup
metadata: {name: fivefields}
spec:
  schedule: "0 2 * * *"
  cluster: {name: kameng-db}
---
apiVersion: rabbitmq.com/v1beta1
kind: RabbitmqCluster
metadata: {name: unknownfield}
spec:
  replica: 3
---
apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata: {name: removedapi}
spec: {maxUnavailable: 1, selector: {matchLabels: {a: b}}}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: noschema}
spec: {secretName: x}
"""


def test_the_schema_check_rejects_broken_objects(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    result = run([tool("python"), str(CHECK), str(path)])
    assert result.returncode == 1, result.stdout + result.stderr
    problems = [
        line for line in result.stdout.splitlines() if line.startswith(str(path) + ": ") and "objects" not in line
    ]
    for name in (
        "Deployment/typo",
        "Service/badport",
        "ScaledObject/notriggers",
        "Cluster/wordinstances",
        "ScheduledBackup/fivefields",
        "RabbitmqCluster/unknownfield",
        "Certificate/noschema",
        "PodDisruptionBudget/removedapi",
    ):
        assert any(f": {name}: " in p for p in problems), f"{name} not reported:\n{result.stdout}"
    assert any("replica" in p and "Deployment/typo" in p for p in problems)


def test_checkov_finds_nothing_and_every_skip_says_why(rendered, tmp_path):
    result, out = rendered
    assert result.returncode == 0
    scan = tmp_path / "scan"
    shutil.copytree(out, scan)
    shutil.copy(ROOT / "Dockerfile", scan / "Dockerfile")
    run_result, reports = checkov(scan)
    assert {"kubernetes", "dockerfile"} <= set(reports), run_result.stderr[-3000:]
    for report in reports.values():
        failed = report["results"]["failed_checks"]
        assert not failed, "\n".join(f"{f['check_id']} {f['resource']}: {f['check_name']}" for f in failed)
        assert report["summary"]["parsing_errors"] == 0
        for skipped in report["results"]["skipped_checks"]:
            reason = (skipped.get("check_result") or {}).get("suppress_comment", "")
            assert len(reason.strip()) > 20, f"{skipped['check_id']} {skipped['resource']}: skipped without a reason"
    assert reports["kubernetes"]["summary"]["resource_count"] >= 40
    assert reports["kubernetes"]["summary"]["passed"] > 1000
    assert run_result.returncode == 0


UNHARDENED = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: bare, namespace: kameng}
spec:
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      containers: [{name: app, image: "kameng:latest"}]
"""


def test_checkov_flags_an_unhardened_pod(tmp_path):
    (tmp_path / "bare.yaml").write_text(UNHARDENED)
    (tmp_path / "Dockerfile").write_text('FROM python:3.11-slim\nCOPY . /app\nCMD ["python"]\n')
    result, reports = checkov(tmp_path)
    assert result.returncode == 1
    k8s = {f["check_id"] for f in reports["kubernetes"]["results"]["failed_checks"]}
    assert {"CKV_K8S_20", "CKV_K8S_22", "CKV_K8S_28", "CKV_K8S_11", "CKV_K8S_13"} <= k8s  # root, rw fs, caps, no limits
    docker = {f["check_id"] for f in reports["dockerfile"]["results"]["failed_checks"]}
    assert "CKV_DOCKER_3" in docker  # no USER: runs as root


def test_tools_are_pinned_exactly_and_kept_out_of_the_app_venv():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    tools = project["optional-dependencies"]["tools"]
    assert {t.split("==")[0] for t in tools} == {"checkov", "kubernetes-validate", "pip-audit", "py-spy"}
    assert all(t.count("==") == 1 for t in tools)
    assert not any(
        d.startswith(("checkov", "kubernetes-validate", "pip-audit", "py-spy"))
        for d in project["dependencies"] + project["optional-dependencies"]["dev"]
    )
    assert sys.prefix != str(TOOLS_BIN.parent)
