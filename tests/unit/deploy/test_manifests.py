"""Static checks of the Kubernetes manifests under deploy/k8s (PyYAML only, no cluster).

The shared pod hardening lives in a kustomize component (deploy/k8s/components/hardening) that the
base includes, so the checks below look at each workload *after* the base's components are merged
in, the way kustomize does it. When kubectl is installed, every overlay is also rendered for real.
"""

import copy
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
K8S = ROOT / "deploy" / "k8s"
BASE = K8S / "base"
OVERLAYS = sorted(p for p in (K8S / "overlays").iterdir() if (p / "kustomization.yaml").is_file())
SERVICES = ["catalog", "order", "payment", "delivery", "risk", "account", "gateway"]
WORKERS = [s for s in SERVICES if s != "gateway"]
MERGE_KEYS = {"containers": "name", "initContainers": "name", "volumes": "name", "env": "name",
              "volumeMounts": "mountPath", "ports": "containerPort"}


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
            for kind, patch in patches:
                if kind == doc["kind"]:
                    doc = strategic_merge(doc, patch)
            objects.append((resource, doc))
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
                assert not gen.get("literals") and not gen.get("files") and not gen.get("envs"), \
                    f"{path}: secretGenerator with committed values"


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


def test_prod_scales_workers_on_their_rpc_queue():
    docs = [d for p in (K8S / "overlays" / "prod").glob("*.yaml") for d in load(p)]
    scaled = {d["spec"]["scaleTargetRef"]["name"]: d for d in docs if d.get("kind") == "ScaledObject"}
    assert sorted(scaled) == sorted(WORKERS)
    for name, so in scaled.items():
        assert [t["metadata"]["queueName"] for t in so["spec"]["triggers"]] == [f"rpc-{name}"]
    pdbs = {d["metadata"]["name"] for d in docs if d.get("kind") == "PodDisruptionBudget"}
    assert pdbs == set(SERVICES)


@pytest.mark.parametrize("overlay", OVERLAYS, ids=[p.name for p in OVERLAYS])
def test_overlay_renders_with_kubectl(overlay):
    kubectl = shutil.which("kubectl")
    if not kubectl:
        pytest.skip("kubectl not on PATH; kustomize rendering not checked")
    out = subprocess.run([kubectl, "kustomize", str(overlay)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    docs = [d for d in yaml.safe_load_all(out.stdout) if d]
    kameng = [d for d in workloads([(None, d) for d in docs])
              if d["metadata"].get("labels", {}).get("app.kubernetes.io/part-of") == "kameng"]
    assert sorted(d["metadata"]["name"] for d in kameng if d["kind"] == "Deployment") == sorted(SERVICES)
    problems = [p for doc in kameng for p in check_workload(doc)]
    assert not problems, "\n".join(problems)
    namespaces = {d["metadata"].get("namespace") for d in docs if d["kind"] != "Namespace"}
    assert len(namespaces) == 1 and None not in namespaces, f"mixed namespaces {namespaces}"
    assert not any(d["kind"] == "Secret" and (d.get("data") or d.get("stringData")) for d in docs)
