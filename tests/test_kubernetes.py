"""Kubernetes online endpoints on attached AKS clusters (mlops:kubernetesClusters): the settings
that declare them and what they refuse, the program's Kubernetes compute and endpoint, their
monitoring and what the stack exports for the release pipeline (their policies: tests/policy_pack).

Runs use tests/fixtures/kubernetes/Pulumi.dev.yaml (one endpoint on an attached cluster beside a
managed one) or configs built here; never the repository's stack files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from offline.diagram import mermaid
from offline.engine import ProgramRun, Resource, file_config
from offline.plan import Plan
from offline.preview import render_text
from settings.schema import Settings
from tests.conftest import (
    load_settings,
    of_type,
    only,
    problem_at,
    required_network,
    settings_problems,
)
from tests.run_cache import cached_run

FIXTURE = Path(__file__).parent / "fixtures" / "kubernetes" / "Pulumi.dev.yaml"
AKS_ID = (
    "/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/rg-platform-aks"
    "/providers/Microsoft.ContainerService/managedClusters/aks-platform"
)
CLUSTER = {"name": "aks-serving", "clusterId": AKS_ID, "namespace": "ml-serving"}
ON_CLUSTER = {"name": "churn-aks", "kind": "online", "kubernetesCluster": "aks-serving"}
BASE = {
    "azure-native:location": "westeurope",
    "mlops:prefix": "contoso",
    "mlops:alerts": {"emails": ["ml-platform@contoso.example"]},
    "mlops:budget": {"monthlyAmount": 5000},
    # Azure ML supports no Kubernetes compute in a managed network.
    "mlops:network": {"isolation": "disabled"},
}
REGISTRY_ID = (
    "/subscriptions/00000000-0000-0000-0000-0000000000ee/resourceGroups/rg-shared"
    "/providers/Microsoft.MachineLearningServices/registries/mlr-shared"
)
COMPUTE = "machinelearningservices:Compute"
ENDPOINT = "machinelearningservices:OnlineEndpoint"


def load(stack: str = "dev", **keys: Any) -> Settings:
    return load_settings(BASE, stack, **keys)


def problems(stack: str = "dev", **keys: Any) -> tuple[str, ...]:
    return settings_problems(BASE, stack, **keys)


# ---------------------------------------------------------------- settings


def test_a_workspace_without_a_managed_network_may_attach_a_cluster() -> None:
    found = load(kubernetesClusters=[CLUSTER], endpoints=[ON_CLUSTER])
    assert [c.cluster.name for c in found.kubernetes_clusters] == ["aks-platform"]
    assert found.endpoints[0].serving == "kubernetesOnline"


@pytest.mark.parametrize("isolation", ["allowInternetOutbound", "allowOnlyApprovedOutbound"])
def test_a_workspace_with_a_managed_network_may_not_attach_a_cluster(isolation: str) -> None:
    found = problems(kubernetesClusters=[CLUSTER], network={"isolation": isolation})
    assert problem_at(found, "mlops:kubernetesClusters").startswith(
        "mlops:kubernetesClusters: needs a workspace without a managed network, but "
        f"mlops:network.isolation is {isolation}"
    )


@pytest.mark.parametrize("stack", ["qa", "prod"])
def test_qa_and_prod_which_require_a_managed_network_may_not_attach_a_cluster(stack: str) -> None:
    network = json.loads(required_network(stack)["mlops:network"])
    found = problems(stack, kubernetesClusters=[CLUSTER], network=network)
    assert problem_at(found, "mlops:kubernetesClusters")


def test_an_endpoint_on_a_cluster_defaults_to_azure_ml_tokens() -> None:
    found = load(kubernetesClusters=[CLUSTER], endpoints=[ON_CLUSTER])
    assert found.endpoints[0].auth_mode == "AMLToken"


def test_a_managed_endpoint_keeps_entra_id_tokens() -> None:
    found = load(endpoints=[{"name": "churn-score", "kind": "online"}])
    assert (found.endpoints[0].auth_mode, found.endpoints[0].serving) == (
        "AADToken",
        "managedOnline",
    )


def test_entra_id_tokens_on_a_cluster_are_refused_naming_what_it_takes() -> None:
    found = problems(
        kubernetesClusters=[CLUSTER], endpoints=[{**ON_CLUSTER, "authMode": "aadToken"}]
    )
    message = problem_at(found, "mlops:endpoints[0].authMode")
    assert "amlToken" in message and "managed online endpoints only" in message


def test_azure_ml_tokens_on_a_managed_endpoint_are_refused() -> None:
    found = problems(endpoints=[{"name": "churn-score", "kind": "online", "authMode": "amlToken"}])
    assert "only valid with kubernetesCluster" in problem_at(found, "mlops:endpoints[0].authMode")


def test_key_auth_on_a_cluster_remains_the_explicit_opt_out() -> None:
    found = load(kubernetesClusters=[CLUSTER], endpoints=[{**ON_CLUSTER, "authMode": "key"}])
    assert found.endpoints[0].auth_mode == "Key"


def test_a_batch_endpoint_on_a_cluster_is_refused() -> None:
    batch = {
        "name": "sales-prep",
        "kind": "batch",
        "kubernetesCluster": "aks-serving",
        "cluster": {"vmSize": "Standard_DS3_v2", "maxNodes": 2},
    }
    found = problems(kubernetesClusters=[CLUSTER], endpoints=[batch])
    assert found == (
        "mlops:endpoints[0].kubernetesCluster: is only valid with kind: online (batch "
        "deployments run on the endpoint's cluster)",
    )


def test_an_unknown_cluster_is_refused_with_the_closest_name() -> None:
    found = problems(
        kubernetesClusters=[CLUSTER], endpoints=[{**ON_CLUSTER, "kubernetesCluster": "aks-serve"}]
    )
    assert problem_at(found, "mlops:endpoints[0].kubernetesCluster") == (
        "mlops:endpoints[0].kubernetesCluster: 'aks-serve' is not the name of an entry of "
        "mlops:kubernetesClusters (listed: aks-serving) (did you mean 'aks-serving'?)"
    )


def test_a_cluster_named_without_any_listed_is_refused() -> None:
    found = problems(endpoints=[ON_CLUSTER])
    assert "none is listed" in problem_at(found, "mlops:endpoints[0].kubernetesCluster")


def test_deployments_to_watch_on_a_cluster_are_refused() -> None:
    found = problems(kubernetesClusters=[CLUSTER], endpoints=[{**ON_CLUSTER, "deployments": ["b"]}])
    assert "no Azure Monitor metrics" in problem_at(found, "mlops:endpoints[0].deployments")


def test_a_cluster_id_must_name_an_aks_cluster() -> None:
    storage = AKS_ID.replace(
        "ContainerService/managedClusters/aks-platform", "Storage/storageAccounts/stdata"
    )
    found = problems(kubernetesClusters=[{**CLUSTER, "clusterId": storage}])
    assert "Microsoft.ContainerService/managedClusters" in problem_at(
        found, "mlops:kubernetesClusters[0].clusterId"
    )


def test_a_namespace_must_be_a_kubernetes_dns_label() -> None:
    found = problems(kubernetesClusters=[{**CLUSTER, "namespace": "ML_Serving"}])
    assert "Kubernetes namespace" in problem_at(found, "mlops:kubernetesClusters[0].namespace")


def test_a_name_must_be_an_azure_compute_name() -> None:
    found = problems(kubernetesClusters=[{**CLUSTER, "name": "aks-2"}])
    assert "hyphen followed by digits" in problem_at(found, "mlops:kubernetesClusters[0].name")


def test_two_entries_with_one_name_are_refused() -> None:
    second = {**CLUSTER, "namespace": "ml-canary"}
    found = problems(kubernetesClusters=[CLUSTER, second])
    assert "duplicate Kubernetes cluster" in problem_at(found, "mlops:kubernetesClusters[1].name")


def test_a_namespace_attached_twice_is_refused() -> None:
    found = problems(kubernetesClusters=[CLUSTER, {**CLUSTER, "name": "aks-again"}])
    assert "attach each namespace once" in problem_at(
        found, "mlops:kubernetesClusters[1].namespace"
    )


def test_a_compute_name_already_taken_is_refused() -> None:
    found = problems(
        kubernetesClusters=[{**CLUSTER, "name": "train"}],
        computeClusters=[{"name": "train", "vmSize": "Standard_DS3_v2", "maxNodes": 2}],
    )
    assert "already a compute name" in problem_at(found, "mlops:kubernetesClusters[0].name")


def test_an_instance_type_listed_twice_is_refused() -> None:
    found = problems(kubernetesClusters=[{**CLUSTER, "instanceTypes": ["cpu", "cpu"]}])
    assert "repeats" in problem_at(found, "mlops:kubernetesClusters[0].instanceTypes[1]")


# ---------------------------------------------------------------- the program


@pytest.fixture(scope="module")
def run() -> ProgramRun:
    config, secret_keys = file_config(FIXTURE)
    return cached_run("dev", config=config, secret_keys=secret_keys)


def test_the_kubernetes_endpoint_reads_registry_models_like_a_managed_one() -> None:
    config, secret_keys = file_config(FIXTURE)
    registry = json.dumps({"mode": "existing", "existingId": REGISTRY_ID})
    run = cached_run(
        "dev", config={**config, "mlops:modelRegistry": registry}, secret_keys=secret_keys
    )
    on_registry = {
        r.inputs["principalId"]
        for r in of_type(run, "authorization:RoleAssignment")
        if r.inputs["scope"] == REGISTRY_ID
    }
    for name in ("churn-aks", "churn-score"):
        assert endpoint(run, name).outputs["identity"]["principalId"] in on_registry


def endpoint(run: ProgramRun, name: str) -> Resource:
    return next(r for r in of_type(run, ENDPOINT) if r.name == f"endpoints-{name}")


def test_the_cluster_is_attached_as_a_kubernetes_compute_in_its_namespace(run: ProgramRun) -> None:
    compute = only(run, COMPUTE)
    assert compute.inputs["computeName"] == "aks-serving"
    assert compute.inputs["properties"] == {
        "computeType": "Kubernetes",
        "description": compute.inputs["properties"]["description"],
        "resourceId": AKS_ID,
        "properties": {"namespace": "ml-serving"},
    }
    assert "identity" not in compute.inputs


def test_removing_a_cluster_never_deletes_the_attachment(run: ProgramRun) -> None:
    assert only(run, COMPUTE).retain_on_delete


def test_the_endpoint_serves_on_the_attached_compute(run: ProgramRun) -> None:
    properties = endpoint(run, "churn-aks").inputs["properties"]
    assert properties["compute"] == only(run, COMPUTE).id
    assert properties["authMode"] == "AMLToken"


def test_the_kubernetes_endpoint_sets_no_public_network_access(run: ProgramRun) -> None:
    assert "publicNetworkAccess" not in endpoint(run, "churn-aks").inputs["properties"]


def test_both_online_endpoints_have_a_system_assigned_identity(run: ProgramRun) -> None:
    for name in ("churn-aks", "churn-score"):
        assert endpoint(run, name).inputs["identity"] == {"type": "SystemAssigned"}


def test_the_managed_endpoint_runs_on_azure_ml_compute(run: ProgramRun) -> None:
    properties = endpoint(run, "churn-score").inputs["properties"]
    assert "compute" not in properties and properties["authMode"] == "AADToken"


def test_no_metric_alert_watches_the_kubernetes_endpoint(run: ProgramRun) -> None:
    kubernetes, managed = endpoint(run, "churn-aks").id, endpoint(run, "churn-score").id
    scopes = [s for rule in of_type(run, "monitor:MetricAlert") for s in rule.inputs["scopes"]]
    assert not [s for s in scopes if s.startswith(kubernetes)]
    assert [s for s in scopes if s.startswith(managed)]


def test_the_release_pipeline_learns_where_each_endpoint_serves(run: ProgramRun) -> None:
    assert run.outputs["endpointServing"] == {
        "churn-aks": {"serving": "kubernetesOnline", "compute": "aks-serving"},
        "churn-score": {"serving": "managedOnline", "compute": None},
    }
    assert run.outputs["kubernetesComputes"] == {
        "aks-serving": {"namespace": "ml-serving", "instanceTypes": ["cpu-small"]}
    }


def test_the_stack_exports_its_application_insights(run: ProgramRun) -> None:
    insights = only(run, "applicationinsights:Component")
    assert run.outputs["applicationInsightsId"] == insights.id


def test_the_preview_shows_the_attached_cluster_and_its_endpoint(run: ProgramRun) -> None:
    text = render_text(Plan(run))
    assert "kubernetes-aks-serving (aks-serving)" in text
    assert "compute: → kubernetes-aks-serving" in text


def test_the_diagram_draws_the_attached_cluster_in_its_owners_group(run: ProgramRun) -> None:
    diagram = mermaid(Plan(run))
    assert 'r_kubernetes_aks_serving["Attached Kubernetes cluster<br/>aks-serving"]' in diagram
    assert "r_kubernetes_aks_serving -->|namespace ml-serving| ext_aks_platform" in diagram
    assert "Subscription 00000000-0000-0000-0000-0000000000a1, resource group rg-platform-aks" in (
        diagram
    )
    assert "r_endpoints_churn_aks -->|properties| r_kubernetes_aks_serving" in diagram
