"""The team's own network instead of a managed network (mlops:network.isolation: customerManaged):
the settings that declare it and what they refuse, what the program builds (the workspace without
a managed network, everything private, compute in the team's subnet with no public IP), the
policies that prove such a stack private, its journeys, and moves between the two modes.

Runs use tests/fixtures/customer_managed/Pulumi.prod.yaml or configs built here; never the
repository's stack files, whose plans this mode leaves as they were.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

import pytest

from components.workspace_stack import CUSTOMER_MANAGED_NETWORK_TAG
from offline.diff import diff_plans
from offline.engine import ProgramRun, Resource, file_config
from offline.journeys import evaluate
from offline.network_diagram import mermaid
from offline.plan import Plan
from offline.policies import check
from policy.mlops_policy.properties import CUSTOMER_MANAGED_NETWORK_TAG as POLICY_MARKER
from settings import schema
from settings.profiles import PROFILES
from settings.schema import Settings
from tests.conftest import (
    load_settings,
    of_type,
    only,
    problem_at,
    settings_problems,
)
from tests.run_cache import cached_run

FIXTURE: Final = Path(__file__).parent / "fixtures" / "customer_managed" / "Pulumi.prod.yaml"
SPOKE: Final = (
    "/subscriptions/00000000-0000-0000-0000-0000000000ee/resourceGroups/rg-spoke"
    "/providers/Microsoft.Network/virtualNetworks/vnet-spoke"
)
ENDPOINT_SUBNET: Final = f"{SPOKE}/subnets/snet-endpoints"
COMPUTE_SUBNET: Final = f"{SPOKE}/subnets/snet-compute"
ELSEWHERE: Final = (
    "/subscriptions/00000000-0000-0000-0000-0000000000ee/resourceGroups/rg-compute"
    "/providers/Microsoft.Network/virtualNetworks/vnet-compute/subnets/snet-compute"
)
FIREWALL: Final = (
    "/subscriptions/00000000-0000-0000-0000-0000000000dd/resourceGroups/rg-hub"
    "/providers/Microsoft.Network/azureFirewalls/afw-hub"
)
NETWORK: Final = {
    "isolation": "customerManaged",
    "computeSubnetId": COMPUTE_SUBNET,
    "egressFirewallId": FIREWALL,
    "inbound": "private",
    "subnetId": ENDPOINT_SUBNET,
    "privateDns": {"mode": "create"},
}
AKS_ID: Final = (
    "/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/rg-platform-aks"
    "/providers/Microsoft.ContainerService/managedClusters/aks-platform"
)
CLUSTER: Final = {"name": "aks-serving", "clusterId": AKS_ID, "namespace": "ml-serving"}
BASE: Final = {
    "azure-native:location": "westeurope",
    "mlops:prefix": "contoso",
    "mlops:alerts": {"emails": ["ml-platform@contoso.example"]},
    "mlops:budget": {"monthlyAmount": 5000},
    "mlops:network": NETWORK,
}
WORKSPACE: Final = "machinelearningservices:Workspace"
COMPUTE: Final = "machinelearningservices:Compute"
APPROVER: Final = "Azure AI Enterprise Network Connection Approver"


def load(stack: str = "qa", **keys: Any) -> Settings:
    return load_settings(BASE, stack, **keys)


def problems(stack: str = "qa", **keys: Any) -> tuple[str, ...]:
    return settings_problems(BASE, stack, **keys)


def network(**changes: Any) -> dict[str, Any]:
    """The base network with ``changes`` (a None value removes the key)."""
    found = {**NETWORK, **changes}
    return {key: value for key, value in found.items() if value is not None}


# ---------------------------------------------------------------- settings


def test_the_mode_has_no_managed_network_and_isolates_the_dependencies() -> None:
    found = load().network
    assert (found.customer_managed, found.managed, found.isolated) == (True, False, True)
    assert found.isolation == "Disabled"
    assert found.compute_subnet is not None and found.compute_subnet.id == COMPUTE_SUBNET


def test_the_mode_needs_the_compute_subnet() -> None:
    found = problems(network=network(computeSubnetId=None))
    assert problem_at(found, "mlops:network.computeSubnetId").startswith(
        "mlops:network.computeSubnetId: is required with isolation: customerManaged"
    )


@pytest.mark.parametrize("isolation", ["disabled", "allowInternetOutbound"])
def test_a_compute_subnet_is_refused_in_any_other_mode(isolation: str) -> None:
    found = problems("dev", network={"isolation": isolation, "computeSubnetId": COMPUTE_SUBNET})
    assert problem_at(found, "mlops:network.computeSubnetId").startswith(
        "mlops:network.computeSubnetId: is only valid with isolation: customerManaged"
    )


def test_the_compute_subnet_must_name_a_subnet() -> None:
    found = problems(network=network(computeSubnetId=SPOKE))
    assert "names a Microsoft.Network/virtualNetworks" in problem_at(
        found, "mlops:network.computeSubnetId"
    )


def test_the_mode_needs_private_inbound_and_says_so_once() -> None:
    found = problems(network=network(inbound=None, subnetId=None, privateDns=None))
    assert problem_at(found, "mlops:network.inbound").startswith(
        "mlops:network.inbound: must be private with isolation: customerManaged"
    )


def test_the_compute_subnet_must_be_in_the_subscription_of_the_endpoints() -> None:
    other = COMPUTE_SUBNET.replace("0000000000ee", "0000000000ab")
    found = problems(network=network(computeSubnetId=other))
    assert "both must be in the subscription the stack deploys to" in problem_at(
        found, "mlops:network.computeSubnetId"
    )


def test_created_zones_need_the_compute_in_the_endpoints_network() -> None:
    found = problems(network=network(computeSubnetId=ELSEWHERE))
    assert "must be in subnetId's virtual network with privateDns.mode create" in problem_at(
        found, "mlops:network.computeSubnetId"
    )


def test_zones_of_the_teams_own_may_serve_compute_in_another_network() -> None:
    dns = {"mode": "policy"}
    assert load(network=network(computeSubnetId=ELSEWHERE, privateDns=dns)).network.customer_managed


def test_fqdn_rules_are_refused_there_is_no_managed_firewall() -> None:
    found = problems(network=network(outboundFqdns=["pypi.org"]))
    message = problem_at(found, "mlops:network.outboundFqdns")
    assert "without a managed network (disabled, customerManaged)" in message
    assert "egress is the team's network's to filter" in message


def test_client_ranges_are_refused_its_storage_is_private() -> None:
    found = problems(network=network(clientIpRanges=["203.0.113.0/24"]))
    assert "is only valid with inbound: public" in problem_at(found, "mlops:network.clientIpRanges")


def test_a_managed_online_endpoint_is_refused_naming_the_key_and_the_page() -> None:
    found = problems(endpoints=[{"name": "churn-score", "kind": "online"}])
    message = problem_at(found, "mlops:endpoints[0].kind")
    assert "a managed online endpoint) is not valid with mlops:network.isolation" in message
    assert schema.ONLINE_ENDPOINT_ISOLATION in message


def test_kubernetes_and_batch_endpoints_are_accepted() -> None:
    found = load(
        kubernetesClusters=[CLUSTER],
        endpoints=[
            {"name": "churn-aks", "kind": "online", "kubernetesCluster": "aks-serving"},
            {
                "name": "sales-prep",
                "kind": "batch",
                "cluster": {"vmSize": "Standard_DS3_v2", "maxNodes": 2},
            },
        ],
    )
    assert [e.serving for e in found.endpoints] == ["kubernetesOnline", "batch"]


@pytest.mark.parametrize("stack", ["qa", "prod"])
def test_qa_and_prod_accept_it_instead_of_their_managed_network(stack: str) -> None:
    assert load(stack).network.customer_managed


def test_prod_names_the_firewall_that_filters_its_egress() -> None:
    found = problems("prod", network=network(egressFirewallId=None))
    assert problem_at(found, "mlops:network.egressFirewallId").startswith(
        "mlops:network.egressFirewallId: is required with customerManaged in prod: compute may "
        "reach only approved destinations"
    )


def test_qa_may_leave_the_firewall_unnamed() -> None:
    assert load("qa", network=network(egressFirewallId=None)).network.customer_managed


def test_the_firewall_is_an_azure_firewall_or_a_network_virtual_appliance() -> None:
    subnet_as_firewall = network(egressFirewallId=COMPUTE_SUBNET)
    found = problems("prod", network=subnet_as_firewall)
    assert problem_at(found, "mlops:network.egressFirewallId").startswith(
        "mlops:network.egressFirewallId: must be /subscriptions/<guid>/resourceGroups/<group>/"
        "providers/Microsoft.Network/azureFirewalls/<name> or "
    )


def test_a_firewall_is_refused_with_a_managed_network() -> None:
    managed = {"isolation": "allowOnlyApprovedOutbound", "egressFirewallId": FIREWALL}
    found = problems("dev", network=managed)
    assert problem_at(found, "mlops:network.egressFirewallId").startswith(
        "mlops:network.egressFirewallId: is only valid with isolation: customerManaged"
    )


def test_the_workspace_carries_the_firewall_for_reviewers_and_the_policy_pack(
    run: ProgramRun,
) -> None:
    assert workspace(run).inputs["tags"]["egressFirewall"].endswith("/azureFirewalls/afw-hub")


def test_an_environment_whose_profile_refuses_it_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    strict = replace(PROFILES["prod"], customer_managed_network=False)
    monkeypatch.setitem(schema.PROFILES, "prod", strict)  # type: ignore[arg-type]
    found = problems("prod")
    assert problem_at(found, "mlops:network.isolation") == (
        "mlops:network.isolation: customerManaged is not valid in prod: its profile requires a "
        "managed network"
    )


def test_the_profile_table_declares_where_the_mode_is_accepted() -> None:
    accepted = {env for env, profile in PROFILES.items() if profile.customer_managed_network}
    assert accepted == {env for env, profile in PROFILES.items() if profile.has_workspace}


def test_batch_endpoints_need_the_queue_and_table_zones() -> None:
    zones = {"mode": "existing", "zoneIds": {}}
    batch = {
        "name": "sales-prep",
        "kind": "batch",
        "cluster": {"vmSize": "Standard_DS3_v2", "maxNodes": 2},
    }
    with_batch = problems(network=network(privateDns=zones), endpoints=[batch])
    without = problems(network=network(privateDns=zones))
    assert problem_at(with_batch, "mlops:network.privateDns.zoneIds.queue")
    assert problem_at(with_batch, "mlops:network.privateDns.zoneIds.table")
    assert not [p for p in without if ".zoneIds.queue" in p or ".zoneIds.table" in p]


def test_the_shared_stack_refuses_the_mode_and_its_subnet() -> None:
    shared_network = {
        "isolation": "customerManaged",
        "computeSubnetId": COMPUTE_SUBNET,
        "inbound": "private",
        "subnetId": ENDPOINT_SUBNET,
        "privateDns": {"mode": "create"},
    }
    found = settings_problems({**BASE, "mlops:network": shared_network}, "shared")
    for key in ("isolation", "computeSubnetId"):
        assert "is not valid in shared" in problem_at(found, f"mlops:network.{key}")


# ---------------------------------------------------------------- the program


@pytest.fixture(scope="module")
def run() -> ProgramRun:
    config, secret_keys = file_config(FIXTURE)
    return cached_run("prod", config=config, secret_keys=secret_keys)


def workspace(run: ProgramRun) -> Resource:
    return only(run, WORKSPACE)


def test_the_workspace_has_no_managed_network(run: ProgramRun) -> None:
    inputs = workspace(run).inputs
    assert inputs["managedNetwork"]["isolationMode"] == "Disabled"
    assert "outboundRules" not in inputs["managedNetwork"]
    assert "provisionNetworkNow" not in inputs


def test_the_workspace_refuses_public_network_access(run: ProgramRun) -> None:
    assert workspace(run).inputs["publicNetworkAccess"] == "Disabled"


def test_the_workspace_is_marked_for_the_policy_pack(run: ProgramRun) -> None:
    assert workspace(run).inputs["tags"][CUSTOMER_MANAGED_NETWORK_TAG] == "true"
    assert POLICY_MARKER == CUSTOMER_MANAGED_NETWORK_TAG


def test_serverless_jobs_run_in_the_compute_subnet_without_public_ip(run: ProgramRun) -> None:
    assert workspace(run).inputs["serverlessComputeSettings"] == {
        "serverlessComputeCustomSubnet": COMPUTE_SUBNET,
        "serverlessComputeNoPublicIP": True,
    }


def test_images_are_built_on_the_image_builder(run: ProgramRun) -> None:
    assert workspace(run).inputs["imageBuildCompute"] == "image-builder"


def test_storage_key_vault_and_registry_refuse_public_traffic(run: ProgramRun) -> None:
    storage = only(run, "storage:StorageAccount").inputs
    vault = only(run, "keyvault:Vault").inputs["properties"]
    registry = only(run, "containerregistry:Registry").inputs
    assert storage["publicNetworkAccess"] == "Disabled"
    assert storage["networkRuleSet"]["defaultAction"] == "Deny"
    assert (vault["publicNetworkAccess"], vault["networkAcls"]["defaultAction"]) == (
        "Disabled",
        "Deny",
    )
    assert registry["publicNetworkAccess"] == "Disabled"


def aml_computes(run: ProgramRun) -> dict[str, Resource]:
    return {
        c.inputs["computeName"]: c
        for c in of_type(run, COMPUTE)
        if c.inputs["properties"]["computeType"] == "AmlCompute"
    }


def test_every_cluster_runs_in_the_compute_subnet_without_public_ip(run: ProgramRun) -> None:
    clusters = aml_computes(run)
    assert sorted(clusters) == ["image-builder", "sales-prep-batch"]
    for cluster in clusters.values():
        inner = cluster.inputs["properties"]["properties"]
        assert inner["subnet"] == {"id": COMPUTE_SUBNET}
        assert inner["enableNodePublicIp"] is False


def test_a_cluster_moved_to_another_subnet_is_replaced(run: ProgramRun) -> None:
    for cluster in aml_computes(run).values():
        assert "properties.properties.subnet" in cluster.replace_on_changes


def test_a_kubernetes_cluster_is_attached(run: ProgramRun) -> None:
    kinds = [c.inputs["properties"]["computeType"] for c in of_type(run, COMPUTE)]
    assert kinds.count("Kubernetes") == 1


def endpoint_groups(run: ProgramRun, target: Resource) -> list[str]:
    """The sub-resources of the private endpoints to ``target``, in registration order."""
    return [
        group
        for endpoint in of_type(run, "network:PrivateEndpoint")
        for connection in endpoint.inputs["privateLinkServiceConnections"]
        if connection["privateLinkServiceId"] == target.outputs["id"]
        for group in connection["groupIds"]
    ]


def test_the_storage_gets_blob_file_queue_and_table_endpoints(run: ProgramRun) -> None:
    storage = only(run, "storage:StorageAccount")
    assert endpoint_groups(run, storage) == ["blob", "file", "queue", "table"]


def test_workspace_vault_and_registry_get_their_endpoints_in_the_subnet(run: ProgramRun) -> None:
    assert endpoint_groups(run, workspace(run)) == ["amlworkspace"]
    assert endpoint_groups(run, only(run, "keyvault:Vault")) == ["vault"]
    assert endpoint_groups(run, only(run, "containerregistry:Registry")) == ["registry"]
    subnets = {e.inputs["subnet"]["id"] for e in of_type(run, "network:PrivateEndpoint")}
    assert subnets == {ENDPOINT_SUBNET}


def test_no_managed_network_approver_role_is_granted(run: ProgramRun) -> None:
    descriptions = [r.inputs["description"] for r in of_type(run, "authorization:RoleAssignment")]
    assert not [d for d in descriptions if d.startswith(APPROVER)]
    assert run.outputs["pendingApprovals"] == []


def test_dev_compute_instances_join_the_subnet_too() -> None:
    instance = {
        "name": "ds-alice",
        "vmSize": "Standard_DS3_v2",
        "assignedUserObjectId": "00000000-0000-0000-0000-00000000a11c",
    }
    config = {
        **{k: v if isinstance(v, str) else json.dumps(v) for k, v in BASE.items()},
        "mlops:environment": "dev",
        "mlops:computeInstances": json.dumps([instance]),
    }
    found = cached_run("dev", config=config)
    (made,) = [
        c
        for c in of_type(found, COMPUTE)
        if c.inputs["properties"]["computeType"] == "ComputeInstance"
    ]
    inner = made.inputs["properties"]["properties"]
    assert (inner["subnet"], inner["enableNodePublicIp"]) == ({"id": COMPUTE_SUBNET}, False)


# ---------------------------------------------------------------- policies and journeys


def test_the_stack_passes_every_policy(run: ProgramRun) -> None:
    assert check(run).violations == ()


def test_the_stack_breaks_no_journey(run: ProgramRun) -> None:
    report = evaluate(run)
    assert report.broken == ()
    image_build = next(r for r in report.results if r.journey.key == "imageBuild")
    assert image_build.hops is not None


def altered(run: ProgramRun, name: str, change: Callable[[dict[str, Any]], None]) -> ProgramRun:
    """The run with the resource ``name``'s inputs and outputs changed alike."""

    def changed(resource: Resource) -> Resource:
        if resource.name != name:
            return resource
        inputs, outputs = (
            json.loads(json.dumps(resource.inputs)),
            json.loads(json.dumps(resource.outputs)),
        )
        change(inputs)
        change(outputs)
        return replace(resource, inputs=inputs, outputs=outputs)

    return replace(run, resources=tuple(changed(r) for r in run.resources))


def violated(run: ProgramRun) -> dict[str, list[str]]:
    """The policies a run violates, each with its messages."""
    found: dict[str, list[str]] = {}
    for violation in check(run).violations:
        found.setdefault(violation.policy, []).append(violation.message)
    return found


def test_without_the_marker_the_workspace_must_have_a_managed_network(run: ProgramRun) -> None:
    def untag(props: dict[str, Any]) -> None:
        del props["tags"][CUSTOMER_MANAGED_NETWORK_TAG]

    found = violated(altered(run, "ml-workspace", untag))
    assert sorted(found) == ["workspace-network-isolation", "workspace-prod-managed-network"]


def test_public_storage_fails_the_customer_managed_policy(run: ProgramRun) -> None:
    def publish(props: dict[str, Any]) -> None:
        props["publicNetworkAccess"] = "Enabled"

    found = violated(altered(run, "ml-storage", publish))
    (message,) = found["customer-managed-network"]
    assert "has publicNetworkAccess 'Enabled'; set it to 'Disabled'" in message


def test_a_cluster_outside_the_subnet_fails_the_customer_managed_policy(run: ProgramRun) -> None:
    def unplace(props: dict[str, Any]) -> None:
        inner = props["properties"]["properties"]
        del inner["subnet"]
        inner["enableNodePublicIp"] = True

    found = violated(altered(run, "image-build-cluster", unplace))
    (message,) = found["customer-managed-network"]
    assert (
        "put it in the team's subnet (mlops:network.computeSubnetId) with no public IP" in message
    )


def test_a_marked_workspace_with_a_managed_network_fails(run: ProgramRun) -> None:
    def manage(props: dict[str, Any]) -> None:
        props["managedNetwork"] = {"isolationMode": "AllowInternetOutbound"}

    found = violated(altered(run, "ml-workspace", manage))
    assert any("never both" in m for m in found["customer-managed-network"])
    assert "workspace-prod-managed-network" in found


# ---------------------------------------------------------------- the diagram


def test_the_network_diagram_draws_the_compute_in_the_teams_subnet(run: ProgramRun) -> None:
    drawn = mermaid(Plan(run))
    assert "Compute, no public IP" in drawn
    assert "Subnet snet-compute of virtual network vnet-spoke" in drawn


# ---------------------------------------------------------------- moving between modes


def managed_config() -> dict[str, str]:
    """The fixture as a prod stack on an approved-outbound managed network would have it:
    without the team's subnet and the attached cluster a managed network cannot carry."""
    config, _ = file_config(FIXTURE)
    managed = json.loads(config["mlops:network"])
    managed["isolation"] = "allowOnlyApprovedOutbound"
    del managed["computeSubnetId"], managed["egressFirewallId"]
    endpoints = [e for e in json.loads(config["mlops:endpoints"]) if e["kind"] == "batch"]
    config = {k: v for k, v in config.items() if k != "mlops:kubernetesClusters"}
    return {
        **config,
        "mlops:network": json.dumps(managed),
        "mlops:endpoints": json.dumps(endpoints),
    }


@functools.cache
def plans() -> tuple[Plan, Plan]:
    """(managed network, the team's network): the fixture in each mode."""
    config, secret_keys = file_config(FIXTURE)
    managed = Plan(cached_run("prod", config=managed_config()))
    return managed, Plan(cached_run("prod", config=config, secret_keys=secret_keys))


def workspace_refusals(before: Plan, after: Plan) -> list[str]:
    change = next(
        c for c in diff_plans(before, after).changes if c.resource.type.endswith(WORKSPACE)
    )
    return [r.reason for r in change.refusals if r.by == "Azure"]


def test_leaving_a_managed_network_is_refused_naming_the_key_and_what_to_do() -> None:
    managed, team = plans()
    (reason,) = workspace_refusals(managed, team)
    assert reason.startswith("managedNetwork.isolationMode: ")
    assert "Azure never turns it off or loosens it (mlops:network.isolation)" in reason
    assert "create a new stack" in reason


def test_adding_a_managed_network_to_the_teams_workspace_is_refused_with_what_to_do() -> None:
    managed, team = plans()
    (reason,) = workspace_refusals(team, managed)
    assert "Azure adds a managed network only to a workspace with no compute left" in reason
    assert "mlops:network.isolation" in reason
