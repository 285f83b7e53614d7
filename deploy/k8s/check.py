"""Offline validation of the Kubernetes manifests: render each overlay, check every object's schema.

Runs in the tools venv (`make k8s-check`, and tests/unit/deploy), never needs a cluster or network:
- each overlay under deploy/k8s/overlays is rendered with `kubectl kustomize`;
- every built-in object is validated, strictly (unknown fields rejected), against the OpenAPI
  schemas that the kubernetes-validate package ships, of the oldest Kubernetes kameng supports
  (OLDEST) and of the newest the package knows (so an API removed since is caught too);
- every custom resource (CloudNativePG, RabbitMQ Cluster Operator, KEDA) against its schema in
  deploy/schemas/<group>/<kind>_<version>.json (each names the upstream CRD it was written from);
- an object of a kind with neither schema is an error, not a warning.

    python deploy/k8s/check.py [--out DIR] [FILE ...]

With FILEs, those (already rendered) manifests are validated instead of the overlays. With --out,
the rendered overlays are written to DIR/<overlay>.yaml (checkov then scans them).
Exit status 0 when every object is valid; each problem is printed on its own line.
"""

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import kubernetes_validate
import yaml

OLDEST = "1.30.0"
VERSIONS = sorted({OLDEST, kubernetes_validate.latest_version()})
ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = ROOT / "deploy" / "k8s" / "overlays"
SCHEMAS = ROOT / "deploy" / "schemas"


def render(overlay):
    kubectl = shutil.which("kubectl")
    if not kubectl:
        raise SystemExit("kubectl not found on PATH: it renders the kustomize overlays")
    out = subprocess.run([kubectl, "kustomize", str(overlay)], capture_output=True, text=True, timeout=120, check=False)
    if out.returncode:
        raise SystemExit(f"kubectl kustomize {overlay} failed:\n{out.stderr}")
    return out.stdout


def crd_schema(doc):
    group, _, version = doc["apiVersion"].rpartition("/")
    path = SCHEMAS / group / f"{doc['kind'].lower()}_{version}.json"
    return json.loads(path.read_text()) if group and path.is_file() else None


def problems_of(doc):
    """The schema problems of one object (empty when it is valid)."""
    name = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
    schema = crd_schema(doc)
    if schema is not None:
        validator = jsonschema.Draft202012Validator(schema)
        return [
            f"{name}: {'.'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.path)))
        ]
    problems = []
    for version in VERSIONS:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            problems.append(
                f"{name}: no schema for {doc['apiVersion']} {doc['kind']} in Kubernetes {version} or deploy/schemas"
            )
        except kubernetes_validate.ValidationError as e:
            problems.append(f"{name}: Kubernetes {version}: {'.'.join(map(str, e.path)) or '(root)'}: {e.message}")
    return problems


def check(text, label):
    docs = [d for d in yaml.safe_load_all(text) if d]
    problems = [f"{label}: {p}" for d in docs for p in problems_of(d)]
    kinds = sorted({d["kind"] for d in docs})
    print(
        f"{label}: {len(docs)} objects ({', '.join(kinds)}): {'valid' if not problems else f'{len(problems)} problems'}"
    )
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help="write each rendered overlay to OUT/<overlay>.yaml")
    parser.add_argument("files", nargs="*", type=Path, help="validate these rendered manifests instead")
    args = parser.parse_args(argv)
    problems = []
    if args.files:
        for path in args.files:
            problems += check(path.read_text(), str(path))
    else:
        overlays = sorted(p for p in OVERLAYS.iterdir() if (p / "kustomization.yaml").is_file())
        for overlay in overlays:
            text = render(overlay)
            if args.out:
                args.out.mkdir(parents=True, exist_ok=True)
                (args.out / f"{overlay.name}.yaml").write_text(text)
            problems += check(text, f"overlay {overlay.name}")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
