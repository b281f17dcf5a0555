"""The cluster side of attached AKS clusters (mlops:kubernetesClusters[].manage): for the team's own
cluster, the Azure ML extension, the trusted access binding and the attach with its declared
instance types; for one owned elsewhere, what its owner does first, in the stack output and the
preview. Also what the settings refuse of the keys that come with it.

Runs use tests/fixtures/kubernetes/Pulumi.managed.yaml (a managed cluster beside one owned
elsewhere) or configs built here; never the repository's stack files.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any, Final

import pulumi
import pytest
import yaml

from components.kubernetes_compute import in_stack_subscription
from offline.engine import MOCK_SUBSCRIPTION_ID, ProgramRun, file_config, run_program
from offline.plan import Plan
from offline.preview import render_json, render_markdown, render_text
from settings import SettingsError
from settings.kubernetes import STEPS, extension_settings, owner_actions
from settings.schema import Settings
from tests.conftest import load_settings, of_type, only, problem_at, settings_problems
from tests.run_cache import cached_run
from tests.test_reference import schema_errors

FIXTURE: Final = Path(__file__).parent / "fixtures" / "kubernetes" / "Pulumi.managed.yaml"
ELSEWHERE_FIXTURE: Final = Path(__file__).parent / "fixtures" / "kubernetes" / "Pulumi.dev.yaml"
AKS_ID: Final = (
    "/subscriptions/00000000-0000-0000-0000-0000000000a2/resourceGroups/rg-ml-aks"
    "/providers/Microsoft.ContainerService/managedClusters/aks-ml"
)
TLS: Final = {"secret": "azureml-fe-tls", "hostName": "scoring.ml.contoso.test"}
CPU_SMALL: Final = {
    "name": "cpu-small",
    "resources": {
        "requests": {"cpu": "500m", "memory": "2Gi"},
        "limits": {"cpu": 1, "memory": "4Gi"},
    },
}
MANAGED: Final = {
    "name": "aks-team",
    "clusterId": AKS_ID,
    "namespace": "ml-serving",
    "manage": True,
    "extension": {"tls": TLS},
    "instanceTypes": [CPU_SMALL],
}
ELSEWHERE: Final = {
    "name": "aks-platform",
    "clusterId": AKS_ID.replace("rg-ml-aks", "rg-platform").replace("aks-ml", "aks-platform"),
    "namespace": "ml-serving",
}
BASE: Final = {
    "azure-native:location": "westeurope",
    "mlops:prefix": "contoso",
    "mlops:alerts": {"emails": ["ml-platform@contoso.example"]},
    "mlops:budget": {"monthlyAmount": 5000},
    "mlops:network": {"isolation": "disabled"},
}
EXTENSION: Final = "kubernetesconfiguration:Extension"
BINDING: Final = "containerservice:TrustedAccessRoleBinding"
COMPUTE: Final = "machinelearningservices:Compute"
MLWORKLOAD: Final = "Microsoft.MachineLearningServices/workspaces/mlworkload"


def load(**cluster: Any) -> Settings:
    return load_settings(BASE, kubernetesClusters=[{**MANAGED, **cluster}])


def problems(cluster: dict[str, Any]) -> tuple[str, ...]:
    return settings_problems(BASE, kubernetesClusters=[cluster])


def with_type(**changes: Any) -> dict[str, Any]:
    """The managed cluster with its one instance type changed (resources merged a level deep)."""
    declared = copy.deepcopy(CPU_SMALL)
    for key, value in changes.items():
        if key in ("requests", "limits"):
            declared["resources"][key] = {**declared["resources"][key], **value}
        else:
            declared[key] = value
    return {**MANAGED, "instanceTypes": [declared]}


KEY: Final = "mlops:kubernetesClusters[0]"
TYPE: Final = f"{KEY}.instanceTypes[0]"


# ---------------------------------------------------------------- settings


def test_a_cluster_is_owned_elsewhere_unless_manage_says_otherwise() -> None:
    found = load_settings(BASE, kubernetesClusters=[{**ELSEWHERE, "instanceTypes": ["cpu"]}])
    cluster = found.kubernetes_clusters[0]
    assert (cluster.manage, cluster.extension, cluster.instance_type_names) == (
        False,
        None,
        ("cpu",),
    )


def test_a_managed_cluster_takes_its_extension_and_declared_instance_types() -> None:
    cluster = load().kubernetes_clusters[0]
    assert cluster.extension is not None and cluster.extension.tls.secret == "azureml-fe-tls"
    assert [t.name for t in cluster.declared_instance_types] == ["cpu-small"]


def test_the_extension_defaults_to_three_router_replicas_and_no_device_plugin() -> None:
    extension = load().kubernetes_clusters[0].extension
    assert extension is not None
    assert (extension.high_availability, extension.nvidia_device_plugin) == (True, False)


def test_yaml_numbers_are_quantities_as_kubernetes_reads_them() -> None:
    limits = load().kubernetes_clusters[0].declared_instance_types[0].resources.limits
    assert (limits.cpu, limits.memory) == ("1", "4Gi")


def test_a_half_core_written_as_a_number_is_a_cpu_quantity() -> None:
    requests = load(**with_type(requests={"cpu": 0.5})).kubernetes_clusters[0]
    assert requests.declared_instance_types[0].resources.requests.cpu == "0.5"


def test_manage_as_text_is_refused() -> None:
    found = problems({**MANAGED, "manage": "yes"})
    assert problem_at(found, f"{KEY}.manage") == f"{KEY}.manage: must be true or false, got 'yes'"


def test_a_managed_cluster_without_its_extension_is_refused_naming_what_it_takes() -> None:
    found = problems({key: v for key, v in MANAGED.items() if key != "extension"})
    assert "is required with manage: true: {tls: {secret, hostName}}" in problem_at(
        found, f"{KEY}.extension"
    )


def test_an_extension_for_a_cluster_owned_elsewhere_is_refused() -> None:
    found = problems({**ELSEWHERE, "extension": {"tls": TLS}})
    assert "is only valid with manage: true" in problem_at(found, f"{KEY}.extension")


def test_an_extension_without_tls_is_refused() -> None:
    found = problems({**MANAGED, "extension": {}})
    assert problem_at(found, f"{KEY}.extension.tls") == f"{KEY}.extension.tls: is required"


@pytest.mark.parametrize("secret", ["TLS_Secret", "-tls", "a" * 254])
def test_a_tls_secret_must_be_a_kubernetes_object_name(secret: str) -> None:
    found = problems({**MANAGED, "extension": {"tls": {**TLS, "secret": secret}}})
    assert "Kubernetes object name" in problem_at(found, f"{KEY}.extension.tls.secret")


@pytest.mark.parametrize(
    "host", ["*.ml.contoso.test", "https://scoring.contoso.test", "Scoring.contoso.test", "scoring"]
)
def test_a_tls_host_name_must_be_a_plain_lowercase_host_name(host: str) -> None:
    found = problems({**MANAGED, "extension": {"tls": {**TLS, "hostName": host}}})
    assert "a lowercase host name" in problem_at(found, f"{KEY}.extension.tls.hostName")


def test_a_certificate_in_config_is_refused_as_an_unknown_key() -> None:
    tls = {**TLS, "certPem": "-----BEGIN CERTIFICATE-----"}
    found = problems({**MANAGED, "extension": {"tls": tls}})
    assert "unknown key" in problem_at(found, f"{KEY}.extension.tls.certPem")


@pytest.mark.parametrize("key", ["highAvailability", "nvidiaDevicePlugin"])
def test_extension_switches_as_text_are_refused(key: str) -> None:
    found = problems({**MANAGED, "extension": {"tls": TLS, key: "false"}})
    assert "must be true or false" in problem_at(found, f"{KEY}.extension.{key}")


def test_an_insecure_http_switch_is_not_offered() -> None:
    extension = {"tls": TLS, "allowInsecureConnections": True}
    found = problems({**MANAGED, "extension": extension})
    assert "unknown key" in problem_at(found, f"{KEY}.extension.allowInsecureConnections")


def test_a_managed_clusters_instance_type_given_by_name_only_is_refused() -> None:
    found = problems({**MANAGED, "instanceTypes": ["cpu-small"]})
    assert "is a name only: with manage: true the attach declares each instance type" in (
        problem_at(found, f"{KEY}.instanceTypes[0]")
    )


def test_a_declared_instance_type_on_a_cluster_owned_elsewhere_is_refused() -> None:
    found = problems({**ELSEWHERE, "instanceTypes": [CPU_SMALL]})
    assert "only a managed cluster's attach carries" in problem_at(found, f"{KEY}.instanceTypes[0]")


def test_an_instance_type_that_is_neither_name_nor_map_is_refused() -> None:
    found = problems({**MANAGED, "instanceTypes": [4]})
    assert "must be an instance type's name or a map" in problem_at(found, TYPE)


def test_a_declared_instance_type_name_must_be_a_kubernetes_object_name() -> None:
    found = problems(with_type(name="CPU_Small"))
    assert "Kubernetes object name" in problem_at(found, f"{TYPE}.name")


def test_a_declared_instance_type_named_twice_is_refused() -> None:
    found = problems({**MANAGED, "instanceTypes": [CPU_SMALL, CPU_SMALL]})
    assert problem_at(found, f"{KEY}.instanceTypes[1].name").endswith(
        "repeats instanceTypes[0] ('cpu-small')"
    )


def test_a_declared_instance_type_without_resources_is_refused() -> None:
    found = problems({**MANAGED, "instanceTypes": [{"name": "cpu-small"}]})
    assert problem_at(found, f"{TYPE}.resources") == f"{TYPE}.resources: is required"


def test_a_declared_instance_type_without_limits_is_refused() -> None:
    declared = {**CPU_SMALL, "resources": {"requests": CPU_SMALL["resources"]["requests"]}}
    found = problems({**MANAGED, "instanceTypes": [declared]})
    assert problem_at(found, f"{TYPE}.resources.limits") == f"{TYPE}.resources.limits: is required"


@pytest.mark.parametrize("cpu", ["0.0001", "0", "0m", "1.5m", "-1", "two", "1 core", True])
def test_a_cpu_request_must_be_whole_millicores_above_zero(cpu: Any) -> None:
    found = problems(with_type(requests={"cpu": cpu}))
    assert "CPU quantity" in problem_at(found, f"{TYPE}.resources.requests.cpu")


@pytest.mark.parametrize("memory", ["400m", "0", "0.5", "2GB", "Gi", "-1Gi"])
def test_a_memory_limit_must_be_whole_bytes_above_zero(memory: str) -> None:
    found = problems(with_type(limits={"memory": memory}))
    assert "memory quantity" in problem_at(found, f"{TYPE}.resources.limits.memory")


@pytest.mark.parametrize("resource", ["cpu", "memory"])
def test_a_request_above_its_limit_is_refused(resource: str) -> None:
    bigger = {"cpu": "2", "memory": "8Gi"}[resource]
    found = problems(with_type(requests={resource: bigger}))
    assert problem_at(found, f"{TYPE}.resources.requests.{resource}").endswith(
        f"must not exceed limits.{resource} ({CPU_SMALL['resources']['limits'][resource]})"
    )


def test_a_request_equal_to_its_limit_is_valid() -> None:
    cluster = load(**with_type(requests={"cpu": "1000m", "memory": "4096Mi"}))
    assert cluster.kubernetes_clusters[0].declared_instance_types[0].resources.requests.cpu == (
        "1000m"
    )


def test_gpus_requested_rather_than_limited_are_refused() -> None:
    found = problems(with_type(requests={"nvidia.com/gpu": 1}))
    assert "valid keys: cpu, memory" in problem_at(
        found, f"{TYPE}.resources.requests.nvidia.com/gpu"
    )


@pytest.mark.parametrize("gpus", [0, 9, "1", 1.5])
def test_a_gpu_limit_must_be_a_whole_number_of_one_nodes_gpus(gpus: Any) -> None:
    found = problems(with_type(limits={"nvidia.com/gpu": gpus}))
    found_at = problem_at(found, f"{TYPE}.resources.limits.nvidia.com/gpu")
    assert "whole number 1-8" in found_at or "between 1 and 8" in found_at


@pytest.mark.parametrize("key", ["-agentpool", "a" * 64, "kubernetes.azure.com/", "x/y/z"])
def test_a_node_selector_key_must_be_a_kubernetes_label_key(key: str) -> None:
    found = problems(with_type(nodeSelector={key: "gpu"}))
    assert "is not a Kubernetes label key" in problem_at(found, f"{TYPE}.nodeSelector.{key}")


@pytest.mark.parametrize("value", ["gpu pool", "-gpu", "a" * 64])
def test_a_node_selector_value_must_be_a_kubernetes_label_value(value: str) -> None:
    found = problems(with_type(nodeSelector={"agentpool": value}))
    assert "Kubernetes label value" in problem_at(found, f"{TYPE}.nodeSelector.agentpool")


def test_a_node_selector_value_that_is_no_string_is_refused() -> None:
    found = problems(with_type(nodeSelector={"gpu": True}))
    assert "must be a string, got a boolean" in problem_at(found, f"{TYPE}.nodeSelector.gpu")


def test_an_unknown_key_of_an_instance_type_is_refused_listing_its_keys() -> None:
    found = problems(with_type(tolerations=[]))
    assert "valid keys: name, nodeSelector, resources" in problem_at(found, f"{TYPE}.tolerations")


def test_the_schema_takes_a_managed_cluster_as_the_settings_do() -> None:
    document = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    assert schema_errors(document) == []


def test_the_schema_refuses_an_extension_on_a_cluster_owned_elsewhere() -> None:
    document = {
        "config": {**BASE, "mlops:kubernetesClusters": [{**ELSEWHERE, "extension": {"tls": TLS}}]}
    }
    assert schema_errors(document)


def test_the_schema_refuses_instance_type_names_on_a_managed_cluster() -> None:
    document = {
        "config": {**BASE, "mlops:kubernetesClusters": [{**MANAGED, "instanceTypes": ["cpu"]}]}
    }
    assert schema_errors(document)


# ---------------------------------------------------------------- the extension's settings


def settings_of(**extension: Any) -> dict[str, str]:
    cluster = load(extension={"tls": TLS, **extension}).kubernetes_clusters[0]
    return extension_settings(cluster, "northeurope")


def test_the_extension_serves_inference_only() -> None:
    found = settings_of()
    assert (found["enableInference"], found["enableTraining"]) == ("True", "False")


def test_the_router_is_a_load_balancer_on_an_internal_azure_load_balancer() -> None:
    found = settings_of()
    assert found["inferenceRouterServiceType"] == "LoadBalancer"
    assert found["internalLoadBalancerProvider"] == "azure"
    assert found["scoringFe.serviceType.internalLoadBalancer"] == "True"


def test_the_router_serves_https_from_the_secret_for_its_host_name() -> None:
    found = settings_of()
    assert found["allowInsecureConnections"] == "False"
    assert found["sslSecret"] == found["scoringFe.sslSecret"] == "azureml-fe-tls"
    assert found["sslCname"] == "scoring.ml.contoso.test"


def test_one_router_replica_marks_the_cluster_dev_test() -> None:
    found = settings_of(highAvailability=False)
    assert (found["inferenceRouterHA"], found["clusterPurpose"]) == ("False", "DevTest")


def test_three_router_replicas_mark_the_cluster_for_production() -> None:
    found = settings_of()
    assert (found["inferenceRouterHA"], found["clusterPurpose"]) == ("True", "FastProd")


def test_the_nvidia_device_plugin_is_installed_when_asked() -> None:
    assert settings_of(nvidiaDevicePlugin=True)["installNvidiaDevicePlugin"] == "True"


def test_the_extension_names_its_cluster_and_the_clusters_region() -> None:
    found = settings_of()
    assert found["clusterId"] == found["cluster_name"] == AKS_ID
    assert found["cluster_name_friendly"] == "aks-ml"
    assert (found["domain"], found["jobSchedulerLocation"]) == ("northeurope", "northeurope")


def test_an_aks_extension_talks_to_azure_ml_without_relay_or_service_bus() -> None:
    found = settings_of()
    assert (found["relayserver.enabled"], found["servicebus.enabled"]) == ("false", "false")


# ---------------------------------------------------------------- the program


@pytest.fixture(scope="module")
def run() -> ProgramRun:
    config, secret_keys = file_config(FIXTURE)
    return cached_run("managed", config=config, secret_keys=secret_keys)


@pytest.fixture(scope="module")
def elsewhere_run() -> ProgramRun:
    config, secret_keys = file_config(ELSEWHERE_FIXTURE)
    return cached_run("dev", config=config, secret_keys=secret_keys)


def attach(run: ProgramRun, name: str) -> Any:
    return next(r for r in of_type(run, COMPUTE) if r.inputs["computeName"] == name)


def test_the_extension_is_the_azure_ml_extension_on_the_managed_cluster(run: ProgramRun) -> None:
    extension = only(run, EXTENSION)
    assert {key: extension.inputs[key] for key in ("clusterRp", "clusterResourceName")} == {
        "clusterRp": "Microsoft.ContainerService",
        "clusterResourceName": "managedClusters",
    }
    assert (extension.inputs["clusterName"], extension.inputs["resourceGroupName"]) == (
        "aks-ml",
        "rg-ml-aks",
    )
    assert (extension.inputs["extensionName"], extension.inputs["extensionType"]) == (
        "azureml",
        "Microsoft.AzureML.Kubernetes",
    )


def test_the_extension_is_cluster_scoped_in_the_azureml_namespace(run: ProgramRun) -> None:
    assert only(run, EXTENSION).inputs["scope"] == {"cluster": {"releaseNamespace": "azureml"}}


def test_the_extension_has_a_system_identity_and_follows_the_stable_train(run: ProgramRun) -> None:
    inputs = only(run, EXTENSION).inputs
    assert inputs["identity"] == {"type": "SystemAssigned"}
    assert (inputs["autoUpgradeMinorVersion"], inputs["releaseTrain"]) == (True, "stable")


def test_the_extension_is_configured_from_config_in_the_clusters_region(run: ProgramRun) -> None:
    found = only(run, EXTENSION).inputs["configurationSettings"]
    assert found["sslSecret"] == "azureml-fe-tls"
    # The mock engine answers a cluster read with the stack's region.
    assert found["domain"] == "westeurope"


def test_the_extension_carries_no_protected_settings(run: ProgramRun) -> None:
    assert "configurationProtectedSettings" not in only(run, EXTENSION).inputs


def test_removing_the_managed_cluster_never_uninstalls_the_extension(run: ProgramRun) -> None:
    assert only(run, EXTENSION).retain_on_delete


def test_the_binding_grants_the_workspace_azure_ml_workloads(run: ProgramRun) -> None:
    binding = only(run, BINDING)
    workspace = only(run, "machinelearningservices:Workspace")
    assert binding.inputs["roles"] == [MLWORKLOAD]
    assert binding.inputs["sourceResourceId"] == workspace.id


def test_the_binding_is_on_the_managed_cluster(run: ProgramRun) -> None:
    inputs = only(run, BINDING).inputs
    assert (inputs["resourceName"], inputs["resourceGroupName"]) == ("aks-ml", "rg-ml-aks")


def test_the_binding_has_a_name_aks_accepts(run: ProgramRun) -> None:
    name = only(run, BINDING).inputs["trustedAccessRoleBindingName"]
    assert re.fullmatch(r"[A-Za-z0-9-]{1,24}", name)


def test_the_binding_goes_with_the_workspace(run: ProgramRun) -> None:
    binding = only(run, BINDING)
    assert not binding.retain_on_delete and not binding.protect


def test_the_attach_waits_for_the_extension_and_the_binding(run: ProgramRun) -> None:
    waits = set(attach(run, "aks-team").depends_on)
    assert waits == {only(run, EXTENSION).urn, only(run, BINDING).urn}


def test_the_attach_declares_the_instance_types_and_the_first_as_default(run: ProgramRun) -> None:
    inner = attach(run, "aks-team").inputs["properties"]["properties"]
    assert inner["defaultInstanceType"] == "cpu-small"
    assert inner["instanceTypes"]["gpu-t4"] == {
        "nodeSelector": {"agentpool": "gput4"},
        "resources": {
            "requests": {"cpu": "3", "memory": "16Gi"},
            "limits": {"cpu": "4", "memory": "24Gi", "nvidia.com/gpu": "1"},
        },
    }


def test_an_instance_type_without_a_node_selector_declares_none(run: ProgramRun) -> None:
    inner = attach(run, "aks-team").inputs["properties"]["properties"]
    assert "nodeSelector" not in inner["instanceTypes"]["cpu-small"]


def test_a_cluster_owned_elsewhere_beside_it_is_attached_only(run: ProgramRun) -> None:
    compute = attach(run, "aks-platform")
    assert compute.inputs["properties"]["properties"] == {"namespace": "ml-serving"}
    assert compute.depends_on == ()


def test_nothing_is_built_on_a_cluster_owned_elsewhere(elsewhere_run: ProgramRun) -> None:
    assert of_type(elsewhere_run, EXTENSION) == of_type(elsewhere_run, BINDING) == []


def test_the_release_pipeline_gets_the_managed_clusters_instance_type_names(
    run: ProgramRun,
) -> None:
    assert run.outputs["kubernetesComputes"]["aks-team"] == {
        "namespace": "ml-serving",
        "instanceTypes": ["cpu-small", "gpu-t4"],
    }


# ---------------------------------------------------------------- one cluster, several entries


def entries_run(*clusters: dict[str, Any]) -> ProgramRun:
    config = {
        **{k: v if isinstance(v, str) else json.dumps(v) for k, v in BASE.items()},
        "mlops:kubernetesClusters": json.dumps(list(clusters)),
    }
    return cached_run("dev", config=config)


def test_two_namespaces_of_one_managed_cluster_share_its_extension_and_binding() -> None:
    second = {**MANAGED, "name": "aks-team-canary", "namespace": "ml-canary"}
    run = entries_run(MANAGED, second)
    side = {only(run, EXTENSION).urn, only(run, BINDING).urn}
    assert set(attach(run, "aks-team").depends_on) == set(attach(run, "aks-team-canary").depends_on)
    assert set(attach(run, "aks-team-canary").depends_on) == side


def test_entries_of_one_cluster_disagreeing_on_manage_are_refused() -> None:
    second = {**ELSEWHERE, "name": "aks-team-canary", "clusterId": AKS_ID, "namespace": "ml-canary"}
    with pytest.raises(SettingsError) as caught:
        entries_run(MANAGED, second)
    (problem,) = caught.value.problems
    assert problem.startswith("mlops:kubernetesClusters[1].manage: is false, but ")
    assert "entries attaching one cluster agree on who manages it" in problem


def test_entries_of_one_managed_cluster_with_two_extensions_are_refused() -> None:
    other = {"tls": {**TLS, "secret": "other-tls"}}
    second = {**MANAGED, "name": "aks-team-canary", "namespace": "ml-canary", "extension": other}
    with pytest.raises(SettingsError) as caught:
        entries_run(MANAGED, second)
    assert caught.value.problems[0].startswith(
        "mlops:kubernetesClusters[1].extension: differs from mlops:kubernetesClusters[0].extension"
    )


# ---------------------------------------------------------------- the stack's subscription


def test_pulumi_up_refuses_a_managed_cluster_in_another_subscription(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pulumi.runtime, "is_dry_run", lambda: False)
    cluster = load().kubernetes_clusters[0]
    with pytest.raises(SettingsError) as caught:
        in_stack_subscription(MOCK_SUBSCRIPTION_ID, 0, cluster)
    assert caught.value.problems[0].startswith(
        f"{KEY}.clusterId: is in subscription 00000000-0000-0000-0000-0000000000a2, but the stack "
        f"deploys into {MOCK_SUBSCRIPTION_ID}: Azure ML attaches no AKS cluster across "
        "subscriptions"
    )


def test_pulumi_up_addresses_a_cluster_in_the_stacks_subscription_in_its_group(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pulumi.runtime, "is_dry_run", lambda: False)
    cluster = load().kubernetes_clusters[0]
    subscription = "00000000-0000-0000-0000-0000000000A2"  # Azure ignores case in GUIDs
    assert in_stack_subscription(subscription, 0, cluster) == "rg-ml-aks"


def test_a_preview_does_not_compare_subscriptions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pulumi.runtime, "is_dry_run", lambda: True)
    cluster = load().kubernetes_clusters[0]
    assert in_stack_subscription(MOCK_SUBSCRIPTION_ID, 0, cluster) == "rg-ml-aks"


def test_the_program_refuses_a_cluster_elsewhere_when_it_runs_as_pulumi_up() -> None:
    config = {
        **{k: v if isinstance(v, str) else json.dumps(v) for k, v in BASE.items()},
        "mlops:alerts": json.dumps({"emails": ["ml-platform@contoso.com"]}),
        "mlops:kubernetesClusters": json.dumps(
            [
                {
                    **MANAGED,
                    "clusterId": AKS_ID.replace(
                        "00000000-0000-0000-0000-0000000000a2",
                        "1" * 8 + "-2222-3333-4444-555555555555",
                    ),
                }
            ]
        ),
    }
    with pytest.raises(SettingsError) as caught:
        run_program("dev", config=config, preview=False)
    assert caught.value.problems[0].startswith(f"{KEY}.clusterId: is in subscription 11111111-")


# ---------------------------------------------------------------- what is done by hand


def test_the_owner_of_a_cluster_elsewhere_does_every_step(run: ProgramRun) -> None:
    found = run.outputs["kubernetesOwnerActions"]["aks-platform"]
    assert len(found) == len(STEPS)
    assert any("az k8s-extension create" in action for action in found)
    assert any(MLWORKLOAD in action for action in found)


def test_the_owner_actions_name_the_cluster_its_namespace_and_instance_types(
    run: ProgramRun,
) -> None:
    found = run.outputs["kubernetesOwnerActions"]["aks-platform"]
    assert "The namespace ml-serving exists on aks-platform" in found[-2]
    assert found[-1].startswith("The InstanceType resources cpu-small ")


def test_no_instance_type_step_is_listed_where_none_is_named() -> None:
    cluster = load_settings(BASE, kubernetesClusters=[ELSEWHERE]).kubernetes_clusters[0]
    assert not [a for a in owner_actions(cluster) if "InstanceType" in a]


def test_a_managed_cluster_leaves_only_what_no_arm_resource_does(run: ProgramRun) -> None:
    found = run.outputs["kubernetesOwnerActions"]["aks-team"]
    assert not [a for a in found if "az k8s-extension" in a or "trustedaccess" in a]
    assert any("in it the Kubernetes secret azureml-fe-tls" in a for a in found)
    assert any("Kubernetes Extension Contributor" in a for a in found)


def test_a_managed_cluster_still_gets_its_instance_types_made_on_it(run: ProgramRun) -> None:
    # The attach declares them, but Learn documents only InstanceType resources on the cluster.
    found = run.outputs["kubernetesOwnerActions"]["aks-team"]
    assert any(a.startswith("The InstanceType resources ") for a in found)


def test_the_owner_actions_are_exported_only_where_clusters_are_attached(
    stack_runs: dict[str, ProgramRun],
) -> None:
    assert not [s for s, r in stack_runs.items() if "kubernetesOwnerActions" in r.outputs]


def test_the_preview_lists_the_owner_actions_per_cluster(run: ProgramRun) -> None:
    text = render_text(Plan(run))
    section = text.split("(kubernetesOwnerActions):\n", 1)[1]
    assert section.startswith("    aks-team:\n      1. aks-ml uses a managed identity")
    assert "    aks-platform:\n" in section


def test_the_markdown_preview_lists_the_owner_actions(run: ProgramRun) -> None:
    markdown = render_markdown(Plan(run))
    assert "- `aks-platform`:\n  1. aks-platform uses a managed identity" in markdown


def test_the_json_preview_carries_the_owner_actions(run: ProgramRun) -> None:
    data = json.loads(render_json(Plan(run)))
    assert data["kubernetesOwnerActions"] == run.outputs["kubernetesOwnerActions"]


def test_the_preview_summarises_the_extension(run: ProgramRun) -> None:
    text = render_text(Plan(run))
    assert "router: LoadBalancer, internal · router replicas: 3" in text
    assert "https: scoring.ml.contoso.test (certificate: secret azureml-fe-tls)" in text
