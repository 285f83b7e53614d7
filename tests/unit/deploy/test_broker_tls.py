"""The prod overlay's broker: TLS only, every service checking the broker's certificate with the CA
it mounts, connecting as its own user, and the catalog's code readers being exactly the services
whose code asks it for decrypted codes."""

import re
from pathlib import Path

from services.common import config as cfg
from tests.unit.deploy.test_manifests import K8S, ROOT, of_kind, rendered
from tools import broker_users
from tools.runner import ALL


def test_the_broker_listens_on_tls_only():
    [mq] = of_kind(rendered("prod"), "RabbitmqCluster").values()
    assert mq["spec"]["tls"] == {
        "secretName": "kameng-mq-tls",
        "caSecretName": "kameng-mq-ca",
        "disableNonTLSListeners": True,
    }
    policy = of_kind(rendered("prod"), "NetworkPolicy")["rabbitmq"]
    ports = {p["port"] for rule in policy["spec"]["ingress"] for p in rule.get("ports", ())}
    assert {5671, 15671} <= ports and not ports & {5672, 15672}


def test_every_service_checks_the_brokers_certificate_as_its_own_user(monkeypatch):
    docs = rendered("prod")
    ca_file = of_kind(docs, "ConfigMap")["kameng-config"]["data"]["KAMENG_AMQP_CA_FILE"]
    deployments = of_kind(docs, "Deployment")
    assert set(deployments) == set(ALL)
    for name, d in deployments.items():
        pod = d["spec"]["template"]["spec"]
        [app] = pod["containers"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        mounts = [
            m for m in app["volumeMounts"] if volumes[m["name"]].get("secret", {}).get("secretName") == "kameng-mq-ca"
        ]
        assert [(m["mountPath"], m.get("readOnly")) for m in mounts] == [(str(Path(ca_file).parent), True)], name
        assert ca_file == f"{mounts[0]['mountPath']}/ca.crt"
        [uri] = [e for e in app["env"] if e["name"] == "KAMENG_AMQP_URI"]
        assert uri["valueFrom"]["secretKeyRef"] == {"name": f"kameng-mq-{name}", "key": "uri"}, name
    documented = (K8S / "overlays" / "prod" / "kustomization.yaml").read_text()
    assert "amqps://kameng-<service>:PASSWORD@kameng-mq.kameng.svc:5671/" in documented
    # and those settings are what a process makes of them: TLS checked against that CA
    monkeypatch.setenv("KAMENG_AMQP_URI", "amqps://kameng-order:pw@kameng-mq.kameng.svc:5671/")
    monkeypatch.setenv("KAMENG_AMQP_CA_FILE", ca_file)
    ssl_options = cfg.nameko_config()["AMQP_SSL"]
    assert ssl_options["ca_certs"] == ca_file and ssl_options["server_hostname"] == "kameng-mq.kameng.svc"


def test_code_readers_are_the_services_that_ask_for_codes():
    readers = of_kind(rendered("prod"), "ConfigMap")["kameng-config"]["data"]["KAMENG_CODE_READERS"].split(",")
    asking = set()
    for name in ALL:
        package = ROOT / ("gateway" if name == "gateway" else f"services/{name}")
        source = "\n".join(p.read_text(encoding="utf-8") for p in package.rglob("*.py"))
        if re.search(r"catalog_rpc\.(get_codes|list_codes|delivery_record)\b", source):
            asking.add(f"kameng-{name}")
    assert set(readers) == asking
    users = {f"kameng-{n}" for n in ALL}
    assert set(readers) <= users and broker_users.OUT.read_text(encoding="utf-8").count("kind: User") == len(users)
