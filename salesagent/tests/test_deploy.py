"""The deployment files under deploy/: Kubernetes manifests validated offline against the Kubernetes
JSON schemas (KEDA's kinds against ours), rendered by our renderer and, where kubectl exists, by
kustomize too; the manifests agree with settings, compose and the scrape config; every query of the
Grafana dashboard and the alert rules names a metric we export."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from salesagent.manifests import json_patch, render
from testing.processes import BASE_DIR

DEPLOY = BASE_DIR / "deploy"
BASE = DEPLOY / "kubernetes" / "base"
PRODUCTION = DEPLOY / "kubernetes" / "overlays" / "production"
SCHEMAS = DEPLOY / "kubernetes" / "schemas"
# The oldest Kubernetes we support (autoscaling/v2 and policy/v1 are GA since 1.23) and the newest
# the pinned kubernetes-validate knows.
KUBERNETES_VERSIONS = ("1.29.0", kubernetes_validate.latest_version())
CRD_SCHEMAS = {
    ("keda.sh/v1alpha1", "ScaledObject"): SCHEMAS / "keda.sh-v1alpha1-scaledobject.json",
    ("keda.sh/v1alpha1", "TriggerAuthentication"): SCHEMAS / "keda.sh-v1alpha1-triggerauthentication.json",
}
KUBECTL = shutil.which("kubectl")
# Render with our renderer everywhere, and with kustomize itself where kubectl is installed.
RENDERERS = ["python", *(["kubectl"] if KUBECTL else [])]


def rendered(directory: Path, renderer: str) -> list[dict[str, Any]]:
    if renderer == "python":
        return render(directory)
    output = subprocess.run(
        [str(KUBECTL), "kustomize", str(directory)], capture_output=True, text=True, check=True
    ).stdout
    return [doc for doc in yaml.safe_load_all(output) if doc]


def validate(resource: dict[str, Any], version: str) -> None:
    """Strict schema validation: unknown fields are errors, so a typo cannot pass."""
    schema_file = CRD_SCHEMAS.get((resource["apiVersion"], resource["kind"]))
    if schema_file is not None:
        jsonschema.validate(resource, json.loads(schema_file.read_text()))
    else:
        kubernetes_validate.validate(resource, version, strict=True)


def by_kind_and_name(resources: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["kind"], r["metadata"]["name"]): r for r in resources}


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("directory", [BASE, PRODUCTION], ids=["base", "production"])
def test_every_rendered_manifest_validates(directory, version, renderer):
    resources = rendered(directory, renderer)

    kinds = {resource["kind"] for resource in resources}
    assert {
        "ConfigMap",
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "ScaledObject",
        "Job",
    } <= kinds
    for resource in resources:
        validate(resource, version)


def test_validation_catches_a_typo_and_a_number_where_keda_wants_a_string():
    resources = by_kind_and_name(render(BASE))
    deployment = resources[("Deployment", "salesagent-web")]
    json_patch(deployment, {"op": "add", "path": "/spec/replicass", "value": 2})
    scaled = resources[("ScaledObject", "salesagent-worker")]
    json_patch(scaled, {"op": "replace", "path": "/spec/triggers/0/metadata/listLength", "value": 20})

    with pytest.raises(kubernetes_validate.ValidationError):
        validate(deployment, KUBERNETES_VERSIONS[0])
    with pytest.raises(jsonschema.ValidationError):
        validate(scaled, KUBERNETES_VERSIONS[0])


def test_our_renderer_matches_kustomize_where_kubectl_is_installed():
    # Without kubectl there is nothing to compare with; the overlay's expected effects are then
    # checked by the next test alone.
    for renderer in RENDERERS:
        production = by_kind_and_name(rendered(PRODUCTION, renderer))
        assert production == by_kind_and_name(render(PRODUCTION))


def test_the_production_overlay_sets_namespace_image_scale_and_addresses():
    resources = by_kind_and_name(render(PRODUCTION))

    assert {r["metadata"].get("namespace") for k, r in resources.items() if k[0] != "Namespace"} == {
        "salesagent"
    }
    web = resources[("Deployment", "salesagent-web")]
    assert (
        web["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example.com/salesagent:1.0.0"
    )
    assert resources[("HorizontalPodAutoscaler", "salesagent-web")]["spec"]["minReplicas"] == 3
    trigger = resources[("ScaledObject", "salesagent-worker")]["spec"]["triggers"][0]
    assert trigger["metadata"]["address"] == "redis.example.internal:6379"
    assert trigger["authenticationRef"] == {"name": "salesagent-redis"}
    assert ("TriggerAuthentication", "salesagent-redis") in resources


def test_workloads_have_probes_resources_and_the_shared_configuration():
    resources = by_kind_and_name(render(BASE))
    web = resources[("Deployment", "salesagent-web")]["spec"]["template"]
    worker = resources[("Deployment", "salesagent-worker")]["spec"]["template"]
    web_container = web["spec"]["containers"][0]
    worker_container = worker["spec"]["containers"][0]

    # Probes on the real health endpoints, and the worker's broker ping
    assert web_container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web_container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert worker_container["livenessProbe"]["exec"]["command"] == [
        "python",
        "-m",
        "salesagent.worker_health",
    ]
    # Requests and limits everywhere (the HPA's utilisation is relative to the CPU request)
    for kind, name in [
        ("Deployment", "salesagent-web"),
        ("Deployment", "salesagent-worker"),
        ("Job", "salesagent-migrate"),
    ]:
        for container in resources[(kind, name)]["spec"]["template"]["spec"]["containers"]:
            assert {"requests", "limits"} <= set(container["resources"])
    # gunicorn runs with the config that sets up multiprocess metrics, and is scraped where it listens
    assert web_container["command"][:3] == ["gunicorn", "-c", "gunicorn.conf.py"]
    assert web["metadata"]["annotations"]["prometheus.io/port"] == str(
        web_container["ports"][0]["containerPort"]
    )
    assert worker["metadata"]["annotations"]["prometheus.io/port"] == str(
        worker_container["ports"][0]["containerPort"]
    )
    # The HPA scales the web Deployment; KEDA the worker, from the Celery queue, with a fallback
    assert (
        resources[("HorizontalPodAutoscaler", "salesagent-web")]["spec"]["scaleTargetRef"]["name"]
        == "salesagent-web"
    )
    scaled = resources[("ScaledObject", "salesagent-worker")]["spec"]
    assert scaled["scaleTargetRef"]["name"] == "salesagent-worker"
    assert scaled["triggers"][0]["metadata"]["listName"] == "celery"
    assert scaled["fallback"]["replicas"] >= 1


def _settings_read_from_env() -> set[str]:
    source = (BASE_DIR / "salesagent" / "settings.py").read_text()
    names = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z0-9_]+)"', source))
    names |= set(re.findall(r'_secret\(\s*"([A-Z0-9_]+)"', source))
    return names


def test_configmap_secret_and_compose_use_setting_names_the_app_reads():
    # Names read by settings.py, or by gunicorn.conf.py, KEDA or the migrate command (not Django settings)
    known = _settings_read_from_env() | {"WEB_CONCURRENCY", "GUNICORN_THREADS", "REDIS_PASSWORD", "LOAD_DEMO"}
    configmap = by_kind_and_name(render(BASE))[("ConfigMap", "salesagent-config")]["data"]
    secret = yaml.safe_load((BASE / "secret.example.yaml").read_text())["stringData"]
    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    compose_env = set(compose["x-app"]["environment"])

    assert set(configmap) <= known, set(configmap) - known
    assert set(secret) <= known, set(secret) - known
    assert compose_env <= known | {"PROMETHEUS_MULTIPROC_DIR"}, compose_env - known
    # The settings that differ per deployment are named the same in compose and Kubernetes
    assert {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "SECRET_KEY"} <= compose_env & set(secret)
    assert {"ALLOWED_HOSTS", "AGENT_BRAIN", "LOAD_DEMO", "METRICS_ALLOWED_NETWORKS"} <= compose_env & set(
        configmap
    )


def test_the_scrape_config_finds_the_pods_our_manifests_annotate():
    config = yaml.safe_load((DEPLOY / "prometheus" / "scrape.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    resources = by_kind_and_name(render(BASE))

    for component in ("web", "worker"):
        job = jobs[f"salesagent-{component}"]
        keeps = {
            tuple(rule["source_labels"]): rule["regex"]
            for rule in job["relabel_configs"]
            if rule.get("action") == "keep"
        }
        pod = resources[("Deployment", f"salesagent-{component}")]["spec"]["template"]["metadata"]
        assert (
            keeps[("__meta_kubernetes_pod_annotation_prometheus_io_scrape",)]
            == pod["annotations"]["prometheus.io/scrape"]
        )
        assert (
            keeps[("__meta_kubernetes_pod_label_app_kubernetes_io_component",)]
            == pod["labels"]["app.kubernetes.io/component"]
        )
    # The TargetDown alert watches exactly these jobs
    alerts = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    target_down = next(
        r for g in alerts["groups"] for r in g["rules"] if r["alert"] == "SalesAgentTargetDown"
    )
    assert all(re.fullmatch("salesagent-.*", job) for job in jobs)
    assert 'job=~"salesagent-.*"' in target_down["expr"]


# Dashboard and alert queries name only metrics we export

PROMQL_WORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "and",
    "or",
    "unless",
    "offset",
}


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects (label matchers, ranges, groupings and functions removed)."""
    stripped = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    stripped = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", stripped)
    stripped = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", stripped)
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", stripped):
        following = stripped[match.end() :].lstrip()
        if following.startswith("(") or match.group() in PROMQL_WORDS:
            continue
        names.add(match.group())
    return names


@pytest.fixture
def exported(client) -> set[str]:
    """Every sample name /metrics can serve (counters with _total, histograms with their series)."""
    client.get("/healthz")  # django-prometheus creates its request metrics on the first request
    text = client.get("/metrics").content.decode()
    names = {"up"}
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", text, re.MULTILINE):
        names.add(name)
        if kind == "histogram":
            names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
    return names


def dashboard_expressions() -> list[str]:
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "salesagent.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def test_metric_name_extraction_reads_promql():
    expr = 'histogram_quantile(0.95, sum by (le, brain) (rate(turn_seconds_bucket{brain=~"l"}[5m])))'
    assert metric_names(expr) == {"turn_seconds_bucket"}
    assert metric_names("sum(rate(a_total[5m])) / sum(rate(b_total[5m])) > 0.1") == {"a_total", "b_total"}


@pytest.mark.django_db
def test_every_dashboard_panel_queries_metrics_we_export(exported):
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "salesagent.json").read_text())
    panels = [panel for panel in dashboard["panels"] if panel["type"] != "row"]

    assert len(panels) >= 15
    for panel in panels:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            names = metric_names(target["expr"])
            assert names, target["expr"]
            assert names <= exported, (panel["title"], names - exported)
    assert [v["name"] for v in dashboard["templating"]["list"]] == ["datasource"]
    provider = yaml.safe_load(
        (DEPLOY / "grafana" / "provisioning" / "dashboards" / "salesagent.yml").read_text()
    )
    assert provider["providers"][0]["type"] == "file"


@pytest.mark.django_db
def test_every_alert_rule_queries_metrics_we_export(exported):
    alerts = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    rules = [rule for group in alerts["groups"] for rule in group["rules"]]

    assert {rule["alert"] for rule in rules} >= {
        "SalesAgentModelDegraded",
        "SalesAgentTurnLatencyHigh",
        "SalesAgentHigh5xxRate",
        "SalesAgentReindexFailures",
        "SalesAgentQueueBacklog",
    }
    for rule in rules:
        names = metric_names(rule["expr"])
        assert names <= exported, (rule["alert"], names - exported)
