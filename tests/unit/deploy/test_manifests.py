"""Static checks of the Kubernetes manifests under deploy/k8s (PyYAML only, no cluster).

The shared pod hardening lives in a kustomize component (deploy/k8s/components/hardening) that the
base includes, so the checks below look at each workload *after* the base's components are merged
in, the way kustomize does it. When kubectl is installed, every overlay is also rendered for real.
"""

import copy
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
K8S = ROOT / "deploy" / "k8s"
BASE = K8S / "base"
OVERLAYS = sorted(p for p in (K8S / "overlays").iterdir() if (p / "kustomization.yaml").is_file())
SERVICES = [
    "catalog",
    "order",
    "payment",
    "delivery",
    "risk",
    "account",
    "supplier",
    "support",
    "notify",
    "analytics",
    "audit",
    "gateway",
]
WORKERS = [s for s in SERVICES if s != "gateway"]
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "volumes": "name",
    "env": "name",
    "volumeMounts": "mountPath",
    "ports": "containerPort",
}


def load(path):
    with open(path, encoding="utf-8") as fh:
        return [doc for doc in yaml.safe_load_all(fh) if doc]


def kustomization(directory):
    return load(Path(directory) / "kustomization.yaml")[0]


def strategic_merge(base, patch, key=None):
    """The subset of kustomize's strategic merge the manifests use: maps merge, named lists merge."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for k, v in patch.items():
            out[k] = strategic_merge(base[k], v, k) if k in base else copy.deepcopy(v)
        return out
    if isinstance(base, list) and isinstance(patch, list) and key in MERGE_KEYS:
        field = MERGE_KEYS[key]
        out = [copy.deepcopy(item) for item in base]
        for item in patch:
            match = [i for i, old in enumerate(out) if old.get(field) == item.get(field)]
            if match:
                out[match[0]] = strategic_merge(out[match[0]], item)
            else:
                out.append(copy.deepcopy(item))
        return out
    return copy.deepcopy(patch)


def component_patches(directory):
    """(kind, patch) pairs from the components a kustomization includes."""
    pairs = []
    for comp in kustomization(directory).get("components", []):
        comp_dir = (Path(directory) / comp).resolve()
        for entry in kustomization(comp_dir).get("patches", []):
            body = load(comp_dir / entry["path"])[0] if "path" in entry else yaml.safe_load(entry["patch"])
            kind = entry.get("target", {}).get("kind", body.get("kind"))
            pairs.append((kind, {k: v for k, v in body.items() if k not in ("apiVersion", "kind", "metadata")}))
    return pairs


def base_objects():
    patches = component_patches(BASE)
    objects = []
    for resource in kustomization(BASE)["resources"]:
        for doc in load(BASE / resource):
            patched = doc
            for kind, patch in patches:
                if kind == patched["kind"]:
                    patched = strategic_merge(patched, patch)
            objects.append((resource, patched))
    return objects


def workloads(objects, kinds=("Deployment", "Job")):
    return [doc for _, doc in objects if doc["kind"] in kinds]


def check_workload(doc):
    """The rules every kameng pod follows; returns a list of problems."""
    name, spec = doc["metadata"]["name"], doc["spec"]["template"]["spec"]
    problems = []
    if spec.get("automountServiceAccountToken") is not False:
        problems.append(f"{name}: automountServiceAccountToken is not false")
    if spec.get("securityContext", {}).get("seccompProfile", {}).get("type") != "RuntimeDefault":
        problems.append(f"{name}: pod seccompProfile is not RuntimeDefault")
    tmp_volumes = {v["name"] for v in spec.get("volumes", []) if "emptyDir" in v}
    for c in spec["containers"]:
        where = f"{name}/{c['name']}"
        res = c.get("resources", {})
        for part in ("requests", "limits"):
            if not {"cpu", "memory"} <= set(res.get(part, {})):
                problems.append(f"{where}: resources.{part} needs cpu and memory")
        sc = c.get("securityContext", {})
        if sc.get("runAsNonRoot") is not True:
            problems.append(f"{where}: runAsNonRoot is not true")
        if sc.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{where}: readOnlyRootFilesystem is not true")
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: allowPrivilegeEscalation is not false")
        if "ALL" not in sc.get("capabilities", {}).get("drop", []):
            problems.append(f"{where}: capabilities do not drop ALL")
        if not any(m["mountPath"] == "/tmp" and m["name"] in tmp_volumes for m in c.get("volumeMounts", [])):
            problems.append(f"{where}: no writable /tmp emptyDir")
        if doc["kind"] == "Deployment":
            ready, live = c.get("readinessProbe"), c.get("livenessProbe")
            if not ready or not live:
                problems.append(f"{where}: needs both readinessProbe and livenessProbe")
            elif ready == live:
                problems.append(f"{where}: readinessProbe and livenessProbe are identical")
    return problems


def all_yaml_files():
    return sorted(p for p in K8S.rglob("*") if p.suffix in (".yaml", ".yml"))


def test_every_yaml_file_parses():
    files = all_yaml_files()
    assert files
    for path in files:
        load(path)


def test_each_service_has_exactly_one_deployment_in_base():
    by_name = {}
    for resource, doc in base_objects():
        if doc["kind"] == "Deployment":
            by_name.setdefault(doc["metadata"]["name"], []).append(resource)
    for svc in SERVICES:
        assert by_name.get(svc) == [f"{svc}.yaml"], f"{svc}: Deployments found in {by_name.get(svc)}"
    assert sorted(by_name) == sorted(SERVICES)


def test_base_workloads_are_hardened_and_probed():
    docs = workloads(base_objects())
    assert {d["metadata"]["name"] for d in docs} >= set(SERVICES)
    problems = [p for doc in docs for p in check_workload(doc)]
    assert not problems, "\n".join(problems)


def test_containers_are_named_app_so_shared_patches_apply():
    for doc in workloads(base_objects()):
        names = [c["name"] for c in doc["spec"]["template"]["spec"]["containers"]]
        assert names == ["app"], f"{doc['metadata']['name']}: containers {names}"


def test_gateway_probes_and_service():
    objects = base_objects()
    gw = next(d for _, d in objects if d["kind"] == "Deployment" and d["metadata"]["name"] == "gateway")
    c = gw["spec"]["template"]["spec"]["containers"][0]
    # /readyz, never /healthz: /healthz calls every service, so one down would empty the Service
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert "tcpSocket" in c["livenessProbe"]
    assert any(d["kind"] == "Service" and d["metadata"]["name"] == "gateway" for _, d in objects)


def test_workers_run_their_own_service():
    for doc in workloads(base_objects(), kinds=("Deployment",)):
        name = doc["metadata"]["name"]
        assert doc["spec"]["template"]["spec"]["containers"][0]["args"] == [name]


def test_no_secret_values_are_committed():
    for path in all_yaml_files():
        for doc in load(path):
            if doc.get("kind") == "Secret":
                assert not doc.get("data") and not doc.get("stringData"), f"{path}: Secret with values"
            for gen in doc.get("secretGenerator", []) if doc.get("kind") in ("Kustomization", "Component") else []:
                assert not gen.get("literals") and not gen.get("files") and not gen.get("envs"), (
                    f"{path}: secretGenerator with committed values"
                )


def test_kustomization_references_exist():
    for kfile in K8S.rglob("kustomization.yaml"):
        k = load(kfile)[0]
        for ref in k.get("resources", []) + k.get("components", []):
            target = kfile.parent / ref
            assert target.is_file() or (target / "kustomization.yaml").is_file(), f"{kfile}: missing {ref}"
        for patch in k.get("patches", []):
            if "path" in patch:
                assert (kfile.parent / patch["path"]).is_file(), f"{kfile}: missing patch {patch['path']}"


def test_every_base_resource_is_listed():
    listed = set(kustomization(BASE)["resources"])
    on_disk = {p.name for p in BASE.glob("*.yaml")} - {"kustomization.yaml"}
    assert on_disk == listed
    assert {f"{s}.yaml" for s in SERVICES} | {"config.yaml", "migrate-job.yaml"} <= listed


def test_prod_scales_workers_on_every_queue_they_consume():
    docs = [d for p in (K8S / "overlays" / "prod").glob("*.yaml") for d in load(p)]
    scaled = {d["spec"]["scaleTargetRef"]["name"]: d for d in docs if d.get("kind") == "ScaledObject"}
    assert sorted(scaled) == sorted(WORKERS)
    for name, so in scaled.items():
        [trigger] = so["spec"]["triggers"]
        meta = trigger["metadata"]
        assert trigger["type"] == "rabbitmq" and meta["mode"] == "QueueLength" and int(meta["value"]) > 0
        assert meta["useRegex"] == "true" and meta["protocol"] == "http"  # KEDA: regex needs the API
        queues = re.compile(meta["queueName"])
        other = next(w for w in WORKERS if w != name)
        assert queues.match(f"rpc-{name}")
        assert queues.match(f"evt-order-order_paid--{name}.handle_order_paid")
        for not_its_own in (
            f"rpc-{name}x",
            f"rpc-{other}",
            f"evt-order-order_paid--{other}.handle_order_paid",
            f"evt-order-order_paid--{name}.handle_order_paid.retry",
            f"evt-order-order_paid--{name}.handle_order_paid.dlq",
            f"rpc.reply-{name}-1f2e",
        ):
            assert not queues.match(not_its_own), (name, not_its_own)
        auth = next(
            d
            for d in docs
            if d.get("kind") == "TriggerAuthentication"
            and d["metadata"]["name"] == trigger["authenticationRef"]["name"]
        )
        # the management API is https only (rabbitmq.yaml): KEDA checks its certificate
        assert [r["parameter"] for r in auth["spec"]["secretTargetRef"]] == ["host", "tls", "ca"]
    pdbs = {d["metadata"]["name"] for d in docs if d.get("kind") == "PodDisruptionBudget"}
    assert pdbs == set(SERVICES)


_RENDERED = {}


def rendered(overlay):
    """The overlay as `kubectl kustomize` renders it (skipped when kubectl is missing)."""
    if overlay not in _RENDERED:
        kubectl = shutil.which("kubectl")
        if not kubectl:
            pytest.skip("kubectl not on PATH; kustomize rendering not checked")
        out = subprocess.run(
            [kubectl, "kustomize", str(K8S / "overlays" / overlay)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert out.returncode == 0, out.stderr
        _RENDERED[overlay] = [d for d in yaml.safe_load_all(out.stdout) if d]
    return _RENDERED[overlay]


def of_kind(docs, kind):
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def test_prod_gateway_scales_on_cpu_and_workers_by_keda_only():
    docs = rendered("prod")
    hpas = of_kind(docs, "HorizontalPodAutoscaler")
    assert list(hpas) == ["gateway"]  # KEDA makes the workers' HPAs; two would fight
    hpa = hpas["gateway"]["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "gateway"}
    assert hpa["minReplicas"] >= 2 and hpa["maxReplicas"] > hpa["minReplicas"]
    assert [m["resource"]["name"] for m in hpa["metrics"]] == ["cpu"]
    gateway = of_kind(docs, "Deployment")["gateway"]["spec"]["template"]["spec"]["containers"][0]
    assert "cpu" in gateway["resources"]["requests"]  # CPU utilisation is relative to the request


def _selects(policy, labels):
    return policy["spec"]["podSelector"].get("matchLabels", {}).items() <= labels.items()


def test_prod_only_the_gateway_takes_traffic_from_outside_the_namespace():
    docs = rendered("prod")
    policies = list(of_kind(docs, "NetworkPolicy").values())
    deny = [p for p in policies if p["spec"]["podSelector"] == {} and "ingress" not in p["spec"]]
    assert deny and deny[0]["spec"]["policyTypes"] == ["Ingress"], "no default deny of ingress"
    for name, deployment in of_kind(docs, "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        rules = [r for p in policies if _selects(p, labels) for r in p["spec"].get("ingress", [])]
        sources = {
            (peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name"), port["port"])
            for r in rules
            for peer in r["from"]
            for port in r["ports"]
        }
        assert all(r.get("from") for r in rules), f"{name}: an ingress rule open to every source"
        if name == "gateway":
            assert ("ingress-nginx", 8000) in sources
            assert sources <= {("ingress-nginx", 8000), ("monitoring", 8000), ("monitoring", 9100)}
        else:
            assert sources <= {("monitoring", 9100)}, f"{name} takes traffic: {sources}"


def test_prod_ingress_is_tls_by_cert_manager_to_the_gateway_service():
    docs = rendered("prod")
    [ingress] = of_kind(docs, "Ingress").values()
    assert ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"]
    hosts = {h for t in ingress["spec"]["tls"] for h in t["hosts"]}
    assert hosts == {r["host"] for r in ingress["spec"]["rules"]}
    assert all(t["secretName"] for t in ingress["spec"]["tls"])
    backends = {p["backend"]["service"]["name"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]}
    assert backends == {"gateway"}
    service = of_kind(docs, "Service")["gateway"]
    port = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"]["name"]
    assert port in {p["name"] for p in service["spec"]["ports"]}


def test_prod_database_and_broker_come_from_operators_with_backups_and_quorum_queues():
    docs = rendered("prod")
    assert not of_kind(docs, "StatefulSet"), "prod runs no hand-made StatefulSet"
    [cluster] = of_kind(docs, "Cluster").values()
    assert cluster["apiVersion"] == "postgresql.cnpg.io/v1" and cluster["spec"]["instances"] >= 3
    assert cluster["spec"]["backup"]["barmanObjectStore"]["destinationPath"]
    backups = [
        b
        for b in of_kind(docs, "ScheduledBackup").values()
        if b["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
    ]
    assert backups and len(backups[0]["spec"]["schedule"].split()) == 6
    [mq] = of_kind(docs, "RabbitmqCluster").values()
    assert mq["spec"]["replicas"] >= 3 and mq["spec"]["replicas"] % 2 == 1
    config = mq["spec"]["rabbitmq"]["additionalConfig"].splitlines()
    assert "default_queue_type = quorum" in config
    assert int(mq["spec"]["image"].split(":")[1].split(".")[0]) >= 4  # default_queue_type in config needs 4.x (3.13.3+)


def test_dev_runs_postgres_rabbitmq_and_redis_as_plain_statefulsets():
    docs = rendered("dev")
    assert sorted(of_kind(docs, "StatefulSet")) == ["postgres", "rabbitmq", "redis"]
    assert not [
        d for d in docs if "." in d["apiVersion"].split("/")[0] and not d["apiVersion"].split("/")[0].endswith("k8s.io")
    ], "dev needs no operator"
    services = of_kind(docs, "Service")
    config = of_kind(docs, "ConfigMap")["kameng-config"]["data"]
    assert config["KAMENG_REDIS_URL"].split("//")[1].split(":")[0] in services


def test_prod_redis_url_is_a_documented_secret_not_config():
    config = of_kind(rendered("prod"), "ConfigMap")["kameng-config"]["data"]
    assert "KAMENG_REDIS_URL" not in config  # the managed Redis's URL carries its password
    assert "KAMENG_REDIS_URL" in (K8S / "overlays" / "prod" / "kustomization.yaml").read_text()


@pytest.mark.parametrize("overlay", OVERLAYS, ids=[p.name for p in OVERLAYS])
def test_every_secret_used_is_documented_in_the_overlay(overlay):
    """No Secret is committed, so each one referenced must say how it comes to exist."""
    docs = rendered(overlay.name)
    names = set()

    def walk(node, key=None):
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("secretRef", "secretKeyRef") and isinstance(v, dict):
                    names.add(v["name"])
                elif k == "secretName" and isinstance(v, str):
                    names.add(v)
                elif k in ("accessKeyId", "secretAccessKey") and isinstance(v, dict):
                    names.add(v["name"])
                walk(v, k)
        elif isinstance(node, list):
            for item in node:
                walk(item, key)

    for d in docs:
        walk(d)
        if d["kind"] == "TriggerAuthentication":
            names |= {r["name"] for r in d["spec"]["secretTargetRef"]}
    assert "kameng-secrets" in names
    committed = set(of_kind(docs, "Secret"))
    documented = (overlay / "kustomization.yaml").read_text()
    missing = sorted(n for n in names - committed if n not in documented)
    assert not missing, f"{overlay.name}: Secrets used but not documented: {missing}"


@pytest.mark.parametrize("overlay", OVERLAYS, ids=[p.name for p in OVERLAYS])
def test_every_overlay_has_the_migration_job(overlay):
    job = of_kind(rendered(overlay.name), "Job")["kameng-migrate"]
    command = " ".join(job["spec"]["template"]["spec"]["containers"][0]["command"])
    assert "services.common.migrate" in command
    assert job["spec"]["backoffLimit"] >= 1 and job["spec"]["activeDeadlineSeconds"] > 0


def test_dockerfile_is_multi_stage_and_runs_as_non_root():
    lines = [
        ln.strip()
        for ln in (ROOT / "Dockerfile").read_text().splitlines()
        if ln.strip() and not ln.strip().startswith("#")
    ]
    froms = [i for i, ln in enumerate(lines) if ln.upper().startswith("FROM ")]
    assert len(froms) >= 2 and " AS " in lines[froms[0]].upper(), "not multi-stage"
    final = lines[froms[-1] :]
    users = [ln.split()[1] for ln in final if ln.upper().startswith("USER ")]
    assert users, "the final stage sets no USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) >= 10000, f"USER {users[-1]}: numeric, non-root, high uid"
    assert any(ln.startswith("COPY --from=") for ln in final), "the final stage copies nothing built"
    assert not any(
        re.search(r"(KEY|TOKEN|PASSWORD|SECRET)\w*[= ]", ln) for ln in final if ln.upper().startswith(("ENV ", "ARG "))
    ), "a secret baked into the image"
    pods = of_kind(rendered("prod"), "Deployment")["gateway"]["spec"]["template"]["spec"]
    assert str(pods["securityContext"]["runAsUser"]) == uid  # Kubernetes runs the image's user


@pytest.mark.parametrize("overlay", OVERLAYS, ids=[p.name for p in OVERLAYS])
def test_overlay_renders_with_kubectl(overlay):
    kubectl = shutil.which("kubectl")
    if not kubectl:
        pytest.skip("kubectl not on PATH; kustomize rendering not checked")
    out = subprocess.run([kubectl, "kustomize", str(overlay)], capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    docs = [d for d in yaml.safe_load_all(out.stdout) if d]
    kameng = [
        d
        for d in workloads([(None, d) for d in docs])
        if d["metadata"].get("labels", {}).get("app.kubernetes.io/part-of") == "kameng"
    ]
    assert sorted(d["metadata"]["name"] for d in kameng if d["kind"] == "Deployment") == sorted(SERVICES)
    problems = [p for doc in kameng for p in check_workload(doc)]
    assert not problems, "\n".join(problems)
    namespaces = {d["metadata"].get("namespace") for d in docs if d["kind"] != "Namespace"}
    assert len(namespaces) == 1 and None not in namespaces, f"mixed namespaces {namespaces}"
    assert not any(d["kind"] == "Secret" and (d.get("data") or d.get("stringData")) for d in docs)


def test_prod_ingress_routes_no_metrics_path_and_the_gateway_refuses_proxied_scrapes():
    [ingress] = of_kind(rendered("prod"), "Ingress").values()
    paths = [p["path"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]]
    assert not [p for p in paths if p.startswith("/metrics")]
    from gateway.routes.ops import PROXIED

    assert "X-Forwarded-For" in PROXIED  # what ingress-nginx always sets: /metrics then answers 404
