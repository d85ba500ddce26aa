"""The deployment files agree with the configuration and with each other (Docker and
Kubernetes do not run here; these files must still be right)."""
import json
import os
import re
import shutil
import subprocess
from urllib.parse import parse_qs, urlsplit

import kubernetes_validate
import pytest
import yaml

from services.common.events import retry_queue
from tests.conftest import ROOT
from tools.backup import pg_parts
from tools.run_local import SERVICES
from tools.topology import DEAD_LETTER_POLICY, DEAD_LETTER_QUEUE, event_queues, retry_delays, rpc_queues

DEPLOY = os.path.join(ROOT, "deploy")
# The Kubernetes version the manifests are written for and checked against (docs/operations.md).
KUBERNETES_VERSION = "1.30.0"


def read(*path):
    with open(os.path.join(DEPLOY, *path), encoding="utf-8") as source:
        return source.read()


def config_variables():
    return set(re.findall(r"\$\{([A-Z_]+)", read("config.yaml")))


def k8s_objects():
    objects = []
    for name in sorted(os.listdir(os.path.join(DEPLOY, "k8s"))):
        objects += [o for o in yaml.safe_load_all(read("k8s", name)) if o]
    return objects


def test_compose_sets_every_variable_and_runs_each_service():
    compose = yaml.safe_load(read("docker-compose.yml"))
    environment = compose["x-env"]
    assert config_variables() <= set(environment), config_variables() - set(environment)
    services = compose["services"]
    for name, path in SERVICES.items():
        assert services[name]["command"][-1] == path
        assert set(environment) <= set(services[name]["environment"])  # its own values may differ
        assert services[name]["image"] == compose["x-image"]["image"]
    assert services["topology"]["command"][:3] == ["python", "-m", "tools.topology"]


def test_kubernetes_has_a_deployment_per_service_with_every_variable():
    objects = k8s_objects()
    config_map = next(o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "smopk-config")
    deployments = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Deployment"
                   and o["metadata"]["name"] != "wal-archive"}
    assert set(deployments) == set(SERVICES)
    image = yaml.safe_load(read("docker-compose.yml"))["x-image"]["image"]
    for name, path in SERVICES.items():
        spec = deployments[name]["spec"]
        [container] = spec["template"]["spec"]["containers"]
        assert spec["replicas"] == 2
        assert container["command"][-1] == path and container["image"] == image
        assert container["readinessProbe"] and container["livenessProbe"]
        names = set(config_map["data"]) | {e["name"] for e in container["env"]}
        assert config_variables() <= names, (name, config_variables() - names)
        # secrets are referenced, never written here; a plain value only overrides a setting
        assert all("value" not in e or e["name"] in config_map["data"] for e in container["env"])
    assert {o["kind"] for o in objects} >= {"Service", "Ingress", "Job"}


@pytest.mark.parametrize("manifest", sorted(os.listdir(os.path.join(DEPLOY, "k8s"))))
def test_every_manifest_is_valid_for_the_named_kubernetes_version(manifest):
    """kubernetes-validate: each object against the API schemas of KUBERNETES_VERSION, strictly
    (a misspelt or misplaced field is refused, not ignored as kubectl apply would)."""
    objects = [o for o in yaml.safe_load_all(read("k8s", manifest)) if o]
    assert objects
    for resource in objects:
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)


def test_the_validator_refuses_what_kubernetes_would():
    [deployment] = [o for o in yaml.safe_load_all(read("k8s", "members.yaml")) if o and o["kind"] == "Deployment"]
    deployment["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
    deployment["spec"]["replicas"] = 2
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessprobe"] = {}  # misspelt
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_the_cluster_shape_three_broker_nodes_and_two_replicas_of_each_service():
    objects = k8s_objects()
    [broker] = [o for o in objects if o["kind"] == "StatefulSet" and o["metadata"]["name"] == "rabbitmq"]
    assert broker["spec"]["replicas"] == 3
    deployments = {o["metadata"]["name"]: o["spec"]["replicas"] for o in objects if o["kind"] == "Deployment"}
    assert all(deployments[name] == 2 for name in SERVICES)
    services = yaml.safe_load(read("docker-compose.yml"))["services"]
    # compose: two of each service, the two web ones behind the proxy, which alone publishes ports
    assert all(services[name]["deploy"]["replicas"] == 2 and "ports" not in services[name] for name in SERVICES)
    assert services["proxy"]["ports"] == ["8000:8000", "127.0.0.1:8001:8001"]
    proxy = yaml.safe_load(read("docker-compose.yml"))["configs"]["proxy"]["content"]
    assert "server registrations:8000" in proxy and "server backoffice:8001" in proxy
    assert proxy.count("proxy_set_header X-Forwarded-For $$remote_addr;") == 2
    assert "non_idempotent" not in proxy  # a POST is never sent to a second replica by nginx
    assert yaml.safe_load(read("docker-compose.yml"))["x-env"]["CLIENT_ADDRESS_HEADER"] == "X-Forwarded-For"
    assert {"rabbitmq-1", "rabbitmq-2", "rabbitmq-3"} <= set(services)


def test_secrets_are_never_values_in_the_repository():
    for key in ("TICKET_SIGNING_KEY", "SMTP_PASSWORD", "METRICS_TOKEN", "AMQP_URI"):
        assert key not in yaml.safe_load(read("k8s", "configmap.yaml"))["data"]
    compose = read("docker-compose.yml")
    assert "${TICKET_SIGNING_KEY:?" in compose and "guest" not in compose
    assert "AMQP_URI: pyamqp://${RABBITMQ_USER:?" in compose and ":${RABBITMQ_PASSWORD:?" in compose


def test_the_broker_management_port_is_not_published():
    services = yaml.safe_load(read("docker-compose.yml"))["services"]
    for node in ("rabbitmq-1", "rabbitmq-2", "rabbitmq-3"):
        assert "ports" not in services[node]
    assert "ports" not in services["registrations"] and "ports" not in services["backoffice"]


def test_rabbitmq_definitions_hold_every_event_queue_and_the_dead_letter_policy():
    definitions = json.loads(read("rabbitmq-definitions.json"))
    queues = {q["name"]: q for q in definitions["queues"]}
    retries = {retry_queue(delay)[1].name: retry_queue(delay)[1] for delay in retry_delays()}
    assert set(queues) == ({name for name, _, _ in event_queues()} | {DEAD_LETTER_QUEUE}
                           | {name for name, _ in rpc_queues()} | set(retries))
    assert all(q["durable"] and q["arguments"]["x-queue-type"] == "quorum" for q in queues.values())
    assert all(queues[name]["arguments"] == queue.queue_arguments for name, queue in retries.items())
    [policy] = definitions["policies"]
    assert policy["definition"] == DEAD_LETTER_POLICY and policy["pattern"] == "^evt-"


def test_backups_are_scheduled_with_retention_on_a_volume_of_their_own():
    compose = yaml.safe_load(read("docker-compose.yml"))
    services = compose["services"]
    assert "python -m tools.backup backup && python -m tools.backup prune" in services["backup"]["command"][-1]
    assert services["backup"]["volumes"] == ["backups:/backups"] == services["wal-archive"]["volumes"]
    assert "pg_receivewal -D /backups/wal" in services["wal-archive"]["command"][-1]
    assert compose["x-env"]["BACKUP_WAL_ARCHIVE"] == "/backups/wal" and "backups" in compose["volumes"]
    objects = k8s_objects()
    [job] = [o for o in objects if o["kind"] == "CronJob"]
    pod = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["command"][-1] == "python -m tools.backup backup && python -m tools.backup prune"
    assert job["spec"]["concurrencyPolicy"] == "Forbid"
    [claim] = [o for o in objects if o["kind"] == "PersistentVolumeClaim"]
    assert pod["volumes"][0]["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert {"name": "backups", "mountPath": "/backups"} in container["volumeMounts"]
    config_map = next(o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "smopk-config")
    names = {e["name"] for e in container["env"]} | set(config_map["data"])
    assert {f"{s.upper()}_DATABASE_URL" for s in SERVICES} <= names  # every database
    password = {"secretKeyRef": {"name": "smopk-secrets", "key": "DATABASE_PASSWORD"}}
    assert {"name": "PGPASSWORD", "valueFrom": password} in container["env"]


def test_the_image_contains_what_the_commands_run():
    dockerfile = read("Dockerfile")
    for needed in ("COPY services services", "COPY tools tools", "COPY deploy/config.yaml", "libharfbuzz-subset0",
                   "requirements.txt", "postgresql-client-15"):
        assert needed in dockerfile


# --- the database: a primary and its synchronous standby (issue 28) --------------------------------

DATABASE_HOSTS = ["postgres:5432", "postgres-standby:5432"]
STANDBY_NAME = "postgres_standby"


def database_urls():
    """(where, variable, URL) of every *_DATABASE_URL compose and Kubernetes give a container."""
    compose = yaml.safe_load(read("docker-compose.yml"))
    found = [("compose x-env", k, v) for k, v in compose["x-env"].items() if k.endswith("_DATABASE_URL")]
    for name, service in compose["services"].items():
        environment = service.get("environment") or {}
        found += [(f"compose {name}", k, v) for k, v in environment.items() if k.endswith("_DATABASE_URL")]
    for o in k8s_objects():
        if o["kind"] == "ConfigMap":
            found += [(o["metadata"]["name"], k, v) for k, v in o["data"].items() if k.endswith("_DATABASE_URL")]
        pod = o["spec"]["jobTemplate"]["spec"]["template"]["spec"] if o["kind"] == "CronJob" else \
            o.get("spec", {}).get("template", {}).get("spec", {})
        for container in pod.get("containers", []):
            for e in container.get("env", []):
                if e["name"].endswith("_DATABASE_URL"):  # a URL from a secret cannot be checked: refused
                    found.append((o["metadata"]["name"], e["name"], e.get("value", "from a secret")))
    return found


def test_every_database_url_names_both_servers_and_asks_for_the_one_that_takes_writes():
    urls = database_urls()
    assert {name for where, name, _ in urls if where == "compose x-env"} == \
        {f"{s.upper()}_DATABASE_URL" for s in SERVICES}
    assert {name for where, name, _ in urls if where == "smopk-config"} == \
        {f"{s.upper()}_DATABASE_URL" for s in SERVICES}
    for where, name, url in urls:
        query = parse_qs(urlsplit(url).query)
        assert query.get("host") == DATABASE_HOSTS, (where, name, url)
        assert query.get("target_session_attrs") == ["read-write"], (where, name, url)
        assert urlsplit(url).hostname is None, (where, name, url)  # not a third, single host
        # the backup reads the same URL: libpq's lists of both, from whichever takes writes
        parts = pg_parts(url)
        assert (parts["host"], parts["port"], parts["target_session_attrs"]) == \
            ("postgres,postgres-standby", "5432,5432", "read-write")
        assert parts["database"] == name.removesuffix("_DATABASE_URL").lower()
    # Kubernetes: the URLs carry no password; every service's pod has libpq's from the secret
    password = {"secretKeyRef": {"name": "smopk-secrets", "key": "DATABASE_PASSWORD"}}
    for o in k8s_objects():
        if o["kind"] == "Deployment" and o["metadata"]["name"] in SERVICES:
            [container] = o["spec"]["template"]["spec"]["containers"]
            assert {"name": "PGPASSWORD", "valueFrom": password} in container["env"], o["metadata"]["name"]


def test_the_wal_stream_follows_the_primary_too():
    services = yaml.safe_load(read("docker-compose.yml"))["services"]
    environment = services["wal-archive"]["environment"]
    assert (environment["PGHOST"], environment["PGTARGETSESSIONATTRS"]) == ("postgres,postgres-standby", "read-write")
    [archive] = [o for o in k8s_objects() if o["kind"] == "Deployment" and o["metadata"]["name"] == "wal-archive"]
    [container] = archive["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert (env["PGHOST"], env["PGTARGETSESSIONATTRS"]) == ("postgres,postgres-standby", "read-write")
    assert "pg_receivewal -D /backups/wal --slot=smopk_backups" in container["command"][-1]


def test_compose_runs_a_synchronous_standby_made_by_pg_basebackup():
    services = yaml.safe_load(read("docker-compose.yml"))["services"]
    primary, standby = services["postgres"], services["postgres-standby"]
    assert primary["image"] == standby["image"] == "postgres:15"
    # the primary names the standby's application_name; postgres-replication.sh writes it into
    # postgresql.conf on first start (not the command line: ALTER SYSTEM can then go asynchronous)
    assert primary["environment"]["SYNCHRONOUS_STANDBY_NAMES"] == STANDBY_NAME
    assert "./postgres-replication.sh:/docker-entrypoint-initdb.d/replication.sh:ro" in primary["volumes"]
    script = read("postgres-replication.sh")
    assert "synchronous_standby_names = '${SYNCHRONOUS_STANDBY_NAMES:-}'" in script
    assert "synchronous_commit = on" in script and "wal_log_hints = on" in script
    # the standby: its first start copies the primary, named and slotted as the primary expects
    assert standby["entrypoint"] == ["sh", "/usr/local/bin/postgres-standby.sh"]
    assert "./postgres-standby.sh:/usr/local/bin/postgres-standby.sh:ro" in standby["volumes"]
    assert standby["command"] == ["docker-entrypoint.sh", "postgres"]
    assert standby["environment"]["STANDBY_NAME"] == STANDBY_NAME
    assert standby["environment"]["PRIMARY_HOST"] == "postgres"
    assert standby["volumes"][-1].split(":")[0] != primary["volumes"][-1].split(":")[0]  # a disk of its own
    assert standby["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    standby_script = read("postgres-standby.sh")
    assert '-R -C -S "$STANDBY_NAME"' in standby_script and "application_name=$STANDBY_NAME" in standby_script
    assert "synchronous_standby_names = ''" in standby_script  # promoted, it does not wait for itself
    # nothing writes before both run (a commit on the primary waits for the standby)
    for name in list(SERVICES) + ["backup"]:
        assert services[name]["depends_on"]["postgres-standby"] == {"condition": "service_healthy"}


def test_kubernetes_runs_the_same_primary_and_standby():
    objects = k8s_objects()
    scripts = next(o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "postgres-scripts")
    assert scripts["data"] == {"init.sql": read("postgres-init.sql"), "replication.sh": read("postgres-replication.sh"),
                               "postgres-standby.sh": read("postgres-standby.sh")}
    sets = {o["metadata"]["name"]: o for o in objects if o["kind"] == "StatefulSet"}
    services = {o["metadata"]["name"] for o in objects if o["kind"] == "Service"}
    assert {"postgres", "postgres-standby"} <= services
    [primary] = sets["postgres"]["spec"]["template"]["spec"]["containers"]
    [standby] = sets["postgres-standby"]["spec"]["template"]["spec"]["containers"]
    assert primary["image"] == standby["image"] == "postgres:15"
    assert sets["postgres"]["spec"]["replicas"] == sets["postgres-standby"]["spec"]["replicas"] == 1
    env = {e["name"]: e.get("value") for e in primary["env"]}
    assert env["SYNCHRONOUS_STANDBY_NAMES"] == STANDBY_NAME
    assert {"name": "scripts", "mountPath": "/docker-entrypoint-initdb.d/replication.sh",
            "subPath": "replication.sh"} in primary["volumeMounts"]
    env = {e["name"]: e.get("value") for e in standby["env"]}
    assert (env["STANDBY_NAME"], env["PRIMARY_HOST"]) == (STANDBY_NAME, "postgres")
    assert standby["command"] == ["sh", "/scripts/postgres-standby.sh", "docker-entrypoint.sh", "postgres"]
    for name in ("postgres", "postgres-standby"):  # never both on one machine
        [term] = sets[name]["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"][
            "requiredDuringSchedulingIgnoredDuringExecution"]
        assert term["topologyKey"] == "kubernetes.io/hostname"
        assert term["labelSelector"]["matchLabels"] == {"database": "smopk"}
        assert sets[name]["spec"]["template"]["metadata"]["labels"]["database"] == "smopk"


def test_docker_compose_accepts_the_file():
    """`docker compose config` when Docker's compose plugin is installed (it is not on every
    machine that runs the tests: then skipped)."""
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0:
        pytest.skip("docker compose is not installed here")
    env = dict(os.environ, TICKET_SIGNING_KEY="k", RABBITMQ_USER="u", RABBITMQ_PASSWORD="p",
               RABBITMQ_ERLANG_COOKIE="c")
    done = subprocess.run([docker, "compose", "-f", os.path.join(DEPLOY, "docker-compose.yml"), "config", "--quiet"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
