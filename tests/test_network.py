"""Private networking: inbound private endpoints and their DNS, the managed network's inline
outbound rules, and what stays private, on fixture configs and as invariants of the stack files."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from components.inbound_network import InboundPrivateEndpoints, InboundPrivateEndpointsArgs
from components.managed_network import fqdn_rule_name, outbound_rules
from components.shared_key_vault import SharedKeyVault, SharedKeyVaultArgs
from components.workspace_stack import WorkspaceStack, WorkspaceStackArgs
from offline.diagram import STALE
from offline.engine import (
    MOCK_SUBSCRIPTION_ID,
    MOCK_SUFFIX,
    ROOT,
    ProgramRun,
    evaluate,
)
from offline.network_diagram import DOCUMENT, document, mermaid
from offline.plan import Plan
from offline.preview import render_text
from offline.resource_types import DNS_BY_POLICY
from policy.mlops_policy.stack import DNS_BY_POLICY_TAG as POLICY_MARKER
from settings.names import parse_arm_id
from settings.private_link import (
    DNS_BY_POLICY_TAG,
    INBOUND_ENDPOINTS,
    PRIVATE_DNS_ZONES,
    zones_for,
)
from settings.roles import BUILT_IN_ROLES
from settings.schema import (
    DatastoreSettings,
    NetworkSettings,
    PrivateDnsSettings,
    PrivateDnsZoneIds,
    RegistrySettings,
    StorageSettings,
)
from tests.conftest import of_type, only, stack_run
from tests.run_cache import cached_run
from tests.test_components import RG_ID, VAULT_ID, stack_context

SUBNET_ID = (
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-spoke"
    "/providers/Microsoft.Network/virtualNetworks/vnet-spoke/subnets/snet-endpoints"
)
VNET_ID = SUBNET_ID.rsplit("/subnets/", 1)[0]
HUB = "/subscriptions/00000000-0000-0000-0000-0000000000dd/resourceGroups/rg-hub-dns"
ZONE_IDS = {
    key: f"{HUB}/providers/Microsoft.Network/privateDnsZones/{zone}"
    for key, zone in PRIVATE_DNS_ZONES.items()
}
WORKSPACE_ID = f"{RG_ID}/providers/Microsoft.MachineLearningServices/workspaces/mlw"
STORAGE_ID = f"{RG_ID}/providers/Microsoft.Storage/storageAccounts/stworkspace"
REGISTRY_ID = f"{RG_ID}/providers/Microsoft.ContainerRegistry/registries/crexample"
LAKE_ID = (
    "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg-data"
    "/providers/Microsoft.Storage/storageAccounts/stlake"
)
PRINCIPAL = "11111111-1111-1111-1111-111111111111"
# What a workspace stack's inbound endpoints reach (the rest of the table is the shared stack's).
WORKSPACE_TARGETS = ("workspace", "storage", "keyVault", "registry")


def dns(mode: str) -> PrivateDnsSettings:
    given = {"zoneIds": ZONE_IDS} if mode == "existing" else {}
    return PrivateDnsSettings.model_validate({"mode": mode, **given})


# ---------------------------------------------------------------- InboundPrivateEndpoints


@functools.cache
def inbound(
    mode: str, *, vault: str | None = VAULT_ID, registry: str | None = REGISTRY_ID
) -> ProgramRun:
    """The component evaluated alone, once per arguments: the tests read different parts of it."""
    return evaluate(
        lambda: InboundPrivateEndpoints(
            "inbound",
            stack_context(),
            InboundPrivateEndpointsArgs(
                subnet=parse_arm_id(SUBNET_ID, "Microsoft.Network/virtualNetworks/subnets"),
                dns=dns(mode),
                targets={
                    "workspace": [("", WORKSPACE_ID)],
                    "storage": [("", STORAGE_ID)],
                    "keyVault": [("", vault)] if vault else [],
                    "registry": [("", registry)] if registry else [],
                },
                workspace_principal_id=PRINCIPAL,
            ),
        )
    )


def endpoints(run: ProgramRun) -> dict[str, Mapping[str, Any]]:
    """Each private endpoint's inputs, by the sub-resource it connects to."""
    found = {}
    for endpoint in of_type(run, "network:PrivateEndpoint"):
        (connection,) = endpoint.inputs["privateLinkServiceConnections"]
        (group,) = connection["groupIds"]
        found[group] = endpoint.inputs
    return found


def zone_groups(run: ProgramRun) -> dict[str, list[str]]:
    """Each zone group's zone IDs, by its endpoint's name."""
    return {
        group.inputs["privateEndpointName"]: [
            config["privateDnsZoneId"] for config in group.inputs["privateDnsZoneConfigs"]
        ]
        for group in of_type(run, "network:PrivateDnsZoneGroup")
    }


@pytest.mark.parametrize("mode", ["create", "existing", "policy"])
def test_each_target_gets_a_private_endpoint_in_the_subnet(mode: str) -> None:
    run = inbound(mode)
    found = endpoints(run)
    assert sorted(found) == ["amlworkspace", "blob", "file", "registry", "vault"]
    targets = {
        group: inputs["privateLinkServiceConnections"][0]["privateLinkServiceId"]
        for group, inputs in found.items()
    }
    assert targets == {
        "amlworkspace": WORKSPACE_ID,
        "blob": STORAGE_ID,
        "file": STORAGE_ID,
        "registry": REGISTRY_ID,
        "vault": VAULT_ID,
    }
    for inputs in found.values():
        assert inputs["subnet"] == {"id": SUBNET_ID}
        assert inputs["location"] == "westeurope"
        assert inputs["resourceGroupName"] == "rg"
    component = only(run, "mlops:network:InboundPrivateEndpoints")
    assert all(r.parent == component.urn for r in run.resources if r.custom)


def test_private_endpoint_names_are_unique_per_environment_and_sub_resource() -> None:
    names = sorted(e["privateEndpointName"] for e in endpoints(inbound("create")).values())
    assert names[0] == f"pe-contoso-dev-{MOCK_SUFFIX}-amlworkspace"
    assert len(set(names)) == 5
    assert all(len(name) <= 80 for name in names)


def test_adopted_vault_and_registry_get_no_endpoint() -> None:
    found = endpoints(inbound("create", vault=None, registry=None))
    assert sorted(found) == ["amlworkspace", "blob", "file"]


def test_existing_mode_puts_the_records_in_the_given_zones() -> None:
    run = inbound("existing")
    assert of_type(run, "privatedns:PrivateZone") == []
    by_group = {
        group: zone_groups(run)[inputs["privateEndpointName"]]
        for group, inputs in endpoints(run).items()
    }
    assert by_group == {
        "amlworkspace": [ZONE_IDS["api"], ZONE_IDS["notebooks"]],
        "blob": [ZONE_IDS["blob"]],
        "file": [ZONE_IDS["file"]],
        "vault": [ZONE_IDS["vault"]],
        "registry": [ZONE_IDS["registry"]],
    }


def test_create_mode_creates_the_zones_and_links_them_to_the_subnets_network() -> None:
    run = inbound("create")
    zones = {z.inputs["privateZoneName"]: z for z in of_type(run, "privatedns:PrivateZone")}
    # Every zone but the batch storage's queue and table (the team's network alone needs them).
    needed = zones_for(set(WORKSPACE_TARGETS))
    assert sorted(zones) == sorted(PRIVATE_DNS_ZONES[key] for key in needed)
    assert all(z.inputs["location"] == "global" for z in zones.values())
    links = of_type(run, "privatedns:VirtualNetworkLink")
    assert sorted(link.inputs["privateZoneName"] for link in links) == sorted(zones)
    for link in links:
        assert link.inputs["virtualNetwork"] == {"id": VNET_ID}
        assert link.inputs["registrationEnabled"] is False
    created = {z.id for z in zones.values()}
    assert {zone for ids in zone_groups(run).values() for zone in ids} == created


def test_create_mode_creates_only_the_zones_its_endpoints_need() -> None:
    run = inbound("create", vault=None, registry=None)
    assert sorted(z.inputs["privateZoneName"] for z in of_type(run, "privatedns:PrivateZone")) == [
        "privatelink.api.azureml.ms",
        "privatelink.blob.core.windows.net",
        "privatelink.file.core.windows.net",
        "privatelink.notebooks.azure.net",
    ]


def test_policy_mode_leaves_dns_to_azure_policy_and_marks_every_endpoint() -> None:
    run = inbound("policy")
    assert of_type(run, "network:PrivateDnsZoneGroup") == []
    assert of_type(run, "privatedns:PrivateZone") == []
    for inputs in endpoints(run).values():
        assert inputs["tags"][DNS_BY_POLICY_TAG] == "true"


@pytest.mark.parametrize("mode", ["create", "existing"])
def test_endpoints_with_zone_groups_carry_no_policy_marker(mode: str) -> None:
    for inputs in endpoints(inbound(mode)).values():
        assert DNS_BY_POLICY_TAG not in inputs["tags"]


def test_workspace_identity_reads_the_blob_and_file_endpoints_for_the_studio() -> None:
    run = inbound("existing")
    by_id = {e.id: group for group, e in _endpoint_resources(run).items()}
    roles = of_type(run, "authorization:RoleAssignment")
    assert sorted(by_id[r.inputs["scope"]] for r in roles) == ["blob", "file"]
    for role in roles:
        assert role.inputs["principalId"] == PRINCIPAL
        assert role.inputs["principalType"] == "ServicePrincipal"
        assert role.inputs["roleDefinitionId"].endswith(BUILT_IN_ROLES["Reader"])


def _endpoint_resources(run: ProgramRun) -> dict[str, Any]:
    return {
        e.inputs["privateLinkServiceConnections"][0]["groupIds"][0]: e
        for e in of_type(run, "network:PrivateEndpoint")
    }


def test_the_private_link_table_has_a_zone_id_key_per_zone() -> None:
    assert list(PrivateDnsZoneIds.model_fields) == list(PRIVATE_DNS_ZONES)
    assert {zone for e in INBOUND_ENDPOINTS for zone in e.zones} == set(PRIVATE_DNS_ZONES)


def test_program_policy_and_preview_share_the_dns_by_policy_marker() -> None:
    assert POLICY_MARKER == DNS_BY_POLICY_TAG
    assert f"tags.{DNS_BY_POLICY_TAG}" == DNS_BY_POLICY


# ---------------------------------------------------------------- the managed network's rules

BLOB = DatastoreSettings.model_validate(
    {"name": "raw", "storageAccountId": LAKE_ID, "container": "raw"}
)
ADLS = DatastoreSettings.model_validate(
    {"name": "lake", "storageAccountId": LAKE_ID, "container": "lake", "kind": "adlsGen2"}
)
APPROVED = NetworkSettings.model_validate(
    {
        "isolation": "allowOnlyApprovedOutbound",
        "outboundFqdns": ["pypi.org", "*.anaconda.org"],
    }
)


def rules_of(run: ProgramRun) -> dict[str, Any]:
    return only(run, "machinelearningservices:Workspace").inputs["managedNetwork"]["outboundRules"]


def workspace(
    network: NetworkSettings = APPROVED,
    datastores: tuple[DatastoreSettings, ...] = (BLOB, ADLS),
    *,
    registry: RegistrySettings | None = None,
    batch_endpoints: bool = False,
    zone_redundant_registry: bool = False,
) -> Callable[[], object]:
    return lambda: WorkspaceStack(
        "ml",
        stack_context(),
        WorkspaceStackArgs(
            key_vault_id=VAULT_ID,
            key_vault_subscription_id=MOCK_SUBSCRIPTION_ID,
            storage=StorageSettings(replication="ZRS"),
            network=network,
            container_registry=registry or RegistrySettings(mode="create", sku="Premium"),
            people=(),
            log_retention_days=30,
            blob_soft_delete_days=7,
            blob_versioning=False,
            zone_redundant_registry=zone_redundant_registry,
            datastores=datastores,
            batch_endpoints=batch_endpoints,
        ),
    )


@pytest.mark.parametrize("isolation", ["allowInternetOutbound", "allowOnlyApprovedOutbound"])
def test_each_datastore_account_gets_blob_and_adls_also_dfs_in_both_modes(isolation: str) -> None:
    network = NetworkSettings.model_validate({"isolation": isolation, "outboundFqdns": []})
    rules = rules_of(evaluate(workspace(network)))
    assert rules == {
        "stlake-blob": {
            "type": "PrivateEndpoint",
            "category": "UserDefined",
            "destination": {
                "serviceResourceId": LAKE_ID,
                "subresourceTarget": "blob",
                "sparkEnabled": False,
            },
        },
        "stlake-dfs": {
            "type": "PrivateEndpoint",
            "category": "UserDefined",
            "destination": {
                "serviceResourceId": LAKE_ID,
                "subresourceTarget": "dfs",
                "sparkEnabled": False,
            },
        },
    }


def test_fqdn_rules_come_from_config() -> None:
    rules = rules_of(evaluate(workspace(datastores=())))
    assert rules == {
        "fqdn-pypi_org": {"type": "FQDN", "category": "UserDefined", "destination": "pypi.org"},
        "wildcard-anaconda_org": {
            "type": "FQDN",
            "category": "UserDefined",
            "destination": "*.anaconda.org",
        },
    }


@pytest.mark.parametrize(
    ("fqdn", "name"),
    [
        ("pypi.org", "fqdn-pypi_org"),
        ("*.anaconda.org", "wildcard-anaconda_org"),
        ("a-b.example.org", "fqdn-a-b_example_org"),
        ("a.b-example.org", "fqdn-a_b-example_org"),
    ],
)
def test_fqdn_rule_names_are_readable_and_distinct(fqdn: str, name: str) -> None:
    assert fqdn_rule_name(fqdn) == name


def test_long_fqdn_rule_names_fit_azures_limit_and_stay_distinct() -> None:
    hosts = [f"{'x' * 40}.example{n}.org" for n in range(3)]
    names = [fqdn_rule_name(host) for host in hosts]
    assert all(3 <= len(name) <= 33 for name in names)
    assert len(set(names)) == 3


def test_batch_endpoints_reach_the_workspace_storage_queues_and_tables() -> None:
    run = evaluate(workspace(datastores=(), batch_endpoints=True))
    storage_id = only(run, "storage:StorageAccount").id
    rules = rules_of(run)
    assert {
        name: (rule["destination"]["serviceResourceId"], rule["destination"]["subresourceTarget"])
        for name, rule in rules.items()
        if rule["type"] == "PrivateEndpoint"
    } == {
        "workspace-storage-queue": (storage_id, "queue"),
        "workspace-storage-table": (storage_id, "table"),
    }


def test_without_a_managed_network_there_are_no_rules_and_nothing_to_provision() -> None:
    network = NetworkSettings.model_validate({"isolation": "disabled"})
    run = evaluate(workspace(network, batch_endpoints=True))
    ws = only(run, "machinelearningservices:Workspace").inputs
    assert ws["managedNetwork"] == {"isolationMode": "Disabled", "enableNetworkMonitor": False}
    assert "provisionNetworkNow" not in ws
    assert outbound_rules(network, (BLOB,), STORAGE_ID, batch_endpoints=True) == {}


def test_a_managed_network_is_provisioned_with_the_workspace() -> None:
    ws = only(evaluate(workspace()), "machinelearningservices:Workspace").inputs
    assert ws["provisionNetworkNow"] is True


# ---------------------------------------------------------------- what refuses public traffic


def storage_and_registry(run: ProgramRun) -> tuple[Any, Any]:
    return (
        only(run, "storage:StorageAccount").inputs["publicNetworkAccess"],
        only(run, "containerregistry:Registry").inputs["publicNetworkAccess"],
    )


@pytest.mark.parametrize("isolation", ["allowInternetOutbound", "allowOnlyApprovedOutbound"])
def test_a_managed_network_makes_storage_and_a_premium_registry_private(isolation: str) -> None:
    # Azure ML creates its private endpoints only to dependencies that refuse public traffic.
    network = NetworkSettings.model_validate({"isolation": isolation})
    assert storage_and_registry(evaluate(workspace(network))) == ("Disabled", "Disabled")


def test_without_a_managed_network_storage_and_registry_stay_public() -> None:
    network = NetworkSettings.model_validate({"isolation": "disabled"})
    assert storage_and_registry(evaluate(workspace(network))) == ("Enabled", "Enabled")


def test_a_standard_registry_stays_public_it_has_no_private_endpoints() -> None:
    network = NetworkSettings.model_validate({"isolation": "allowInternetOutbound"})
    run = evaluate(workspace(network, registry=RegistrySettings(mode="create", sku="Standard")))
    assert storage_and_registry(run) == ("Disabled", "Enabled")


def test_private_inbound_closes_the_workspace_to_the_internet() -> None:
    network = NetworkSettings.model_validate(
        {"inbound": "private", "subnetId": SUBNET_ID, "privateDns": {"mode": "policy"}}
    )
    ws = only(evaluate(workspace(network)), "machinelearningservices:Workspace").inputs
    assert ws["publicNetworkAccess"] == "Disabled"


@pytest.mark.parametrize(("deny", "access"), [(True, "Disabled"), (False, "Enabled")])
def test_vault_refuses_public_traffic_with_a_managed_network(deny: bool, access: str) -> None:
    run = evaluate(lambda: SharedKeyVault("kv", stack_context(), SharedKeyVaultArgs(deny)))
    assert only(run, "keyvault:Vault").inputs["properties"]["publicNetworkAccess"] == access


@pytest.mark.parametrize(("zone_redundant", "expected"), [(True, "Enabled"), (False, "Disabled")])
def test_zone_redundancy_of_a_premium_registry_follows_the_profile(
    zone_redundant: bool, expected: str | None
) -> None:
    run = evaluate(workspace(zone_redundant_registry=zone_redundant))
    registry = only(run, "containerregistry:Registry")
    assert registry.inputs["zoneRedundancy"] == expected
    # Azure chooses zone redundancy at creation only: an existing registry is never replaced.
    assert registry.ignore_changes == ("zoneRedundancy",)


def test_a_standard_registry_is_never_asked_for_zone_redundancy() -> None:
    run = evaluate(
        workspace(
            registry=RegistrySettings(mode="create", sku="Standard"), zone_redundant_registry=True
        )
    )
    assert only(run, "containerregistry:Registry").inputs["zoneRedundancy"] == "Disabled"


# ---------------------------------------------------------------- whole program, fixture configs


def fixture_config(
    network: Mapping[str, Any], environment: str = "qa", **extra: Any
) -> dict[str, str]:
    config = {
        "azure-native:location": "westeurope",
        "mlops:prefix": "fixture",
        "mlops:environment": environment,
        "mlops:alerts": json.dumps({"emails": ["ml-platform@fixture.example"]}),
        "mlops:containerRegistry": json.dumps({"mode": "create", "sku": "Premium"}),
        "mlops:network": json.dumps(network),
        "mlops:datastores": json.dumps(
            [{"name": "lake", "storageAccountId": LAKE_ID, "container": "lake", "kind": "adlsGen2"}]
        ),
    }
    config.update({f"mlops:{key}": json.dumps(value) for key, value in extra.items()})
    return config


@pytest.fixture(scope="module")
def mode_runs() -> dict[str, ProgramRun]:
    private = {"inbound": "private", "subnetId": SUBNET_ID}
    networks = {
        "public": {"inbound": "public"},
        "create": {**private, "privateDns": {"mode": "create"}},
        "existing": {**private, "privateDns": {"mode": "existing", "zoneIds": ZONE_IDS}},
        "policy": {**private, "privateDns": {"mode": "policy"}},
    }
    # qa requires private inbound: public inbound is seen in dev.
    return {
        mode: cached_run("qa", config=fixture_config(network, "dev" if mode == "public" else "qa"))
        for mode, network in networks.items()
    }


def test_public_inbound_creates_no_private_endpoint(mode_runs: dict[str, ProgramRun]) -> None:
    run = mode_runs["public"]
    assert of_type(run, "network:PrivateEndpoint") == []
    assert only(run, "machinelearningservices:Workspace").inputs["publicNetworkAccess"] == "Enabled"


@pytest.mark.parametrize("mode", ["create", "existing", "policy"])
def test_private_inbound_reaches_every_created_resource_through_an_endpoint(
    mode_runs: dict[str, ProgramRun], mode: str
) -> None:
    run = mode_runs[mode]
    targets = {
        e.inputs["privateLinkServiceConnections"][0]["privateLinkServiceId"]
        for e in of_type(run, "network:PrivateEndpoint")
    }
    created = {
        only(run, suffix).id
        for suffix in (
            "machinelearningservices:Workspace",
            "storage:StorageAccount",
            "keyvault:Vault",
            "containerregistry:Registry",
        )
    }
    assert targets == created
    workspace = only(run, "machinelearningservices:Workspace")
    assert workspace.inputs["publicNetworkAccess"] == "Disabled"


@pytest.mark.parametrize(("mode", "groups"), [("create", 5), ("existing", 5), ("policy", 0)])
def test_dns_zone_groups_follow_the_mode(
    mode_runs: dict[str, ProgramRun], mode: str, groups: int
) -> None:
    assert len(of_type(mode_runs[mode], "network:PrivateDnsZoneGroup")) == groups


@pytest.mark.parametrize(
    ("mode", "drawn"),
    [
        ("public", "internet -->|public network access| r_ml_workspace"),
        ("create", "-.->|answers for| ext_Microsoft_Network_virtualNetworks_vnet_spoke"),
        ("existing", "-.->|DNS records| ext_Microsoft_Network_privateDnsZones_privatelink_api"),
        ("policy", "pe_inbound_amlworkspace -.->|DNS records| azure_policy"),
    ],
)
def test_network_diagram_draws_each_mode(
    mode_runs: dict[str, ProgramRun], mode: str, drawn: str
) -> None:
    assert drawn in mermaid(Plan(mode_runs[mode]))


def test_network_diagram_draws_private_endpoints_in_their_subnet(
    mode_runs: dict[str, ProgramRun],
) -> None:
    diagram = mermaid(Plan(mode_runs["existing"]))
    subnet = diagram.split('subgraph subnet_vnet_spoke_snet_endpoints["Subnet snet-endpoints')[1]
    inside = subnet.split("  end", 1)[0]
    assert 'pe_inbound_amlworkspace["Private endpoint<br/>amlworkspace"]' in inside
    assert "pe_inbound_amlworkspace -->|private link amlworkspace| r_ml_workspace" in diagram


def kubernetes_diagram() -> str:
    """The network of a qa stack on the team's network serving on its own AKS cluster."""
    return mermaid(Plan(stack_run("qa", ROOT / "tests" / "fixtures" / "kubernetes_serving")))


AKS_NODE = "ext_Microsoft_ContainerService_managedClusters_aks_qa"


def test_network_diagram_draws_a_kubernetes_endpoint_behind_its_clusters_router() -> None:
    diagram = kubernetes_diagram()
    assert f'{AKS_NODE}["AKS cluster<br/>aks-qa"]' in diagram
    assert f"{AKS_NODE} -->|inference router azureml-fe| r_endpoints_churn_score" in diagram
    assert "internet -->|public network access| r_endpoints_churn_score" not in diagram


def test_network_diagram_draws_the_clusters_nodes_through_the_stacks_private_endpoints() -> None:
    diagram = kubernetes_diagram()
    for group, what in (
        ("amlworkspace", "workspace API"),
        ("registry", "image"),
        ("blob", "model"),
    ):
        assert f"{AKS_NODE} -->|nodes: {what}| pe_inbound_{group}" in diagram


# ---------------------------------------------------------------- the stack files


@pytest.mark.parametrize("stack", ["qa", "prod"])
def test_qa_and_prod_are_reached_only_through_private_endpoints(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    assert (
        only(run, "machinelearningservices:Workspace").inputs["publicNetworkAccess"] == "Disabled"
    )
    assert only(run, "storage:StorageAccount").inputs["publicNetworkAccess"] == "Disabled"
    assert only(run, "keyvault:Vault").inputs["properties"]["publicNetworkAccess"] == "Disabled"
    assert only(run, "containerregistry:Registry").inputs["publicNetworkAccess"] == "Disabled"
    online = only(run, "machinelearningservices:OnlineEndpoint")
    assert online.inputs["properties"]["publicNetworkAccess"] == "Disabled"
    groups = {e.inputs["privateEndpointName"] for e in of_type(run, "network:PrivateEndpoint")}
    assert len(groups) == len([e for e in INBOUND_ENDPOINTS if e.target in WORKSPACE_TARGETS])


@pytest.mark.parametrize("stack", ["qa", "prod"])
def test_every_private_endpoint_of_the_stacks_has_dns(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    with_records = set(zone_groups(run))
    for endpoint in of_type(run, "network:PrivateEndpoint"):
        name = endpoint.inputs["privateEndpointName"]
        marked = endpoint.inputs["tags"].get(DNS_BY_POLICY_TAG) == "true"
        assert (name in with_records) != marked, name


def test_dev_is_public_yet_its_dependencies_refuse_public_traffic(
    stack_runs: dict[str, ProgramRun],
) -> None:
    run = stack_runs["dev"]
    assert only(run, "machinelearningservices:Workspace").inputs["publicNetworkAccess"] == "Enabled"
    assert of_type(run, "network:PrivateEndpoint") == []
    # The storage's public endpoint admits the model registry alone (sharing models from dev).
    storage = only(run, "storage:StorageAccount").inputs
    assert storage["networkRuleSet"]["defaultAction"] == "Deny"
    assert [r["resourceId"] for r in storage["networkRuleSet"]["resourceAccessRules"]] == [
        json.loads(run.config["mlops:modelRegistry"])["existingId"]
    ]
    assert only(run, "keyvault:Vault").inputs["properties"]["publicNetworkAccess"] == "Disabled"


@pytest.mark.parametrize("stack", ["dev", "qa", "prod"])
def test_fqdn_rules_of_the_stack_files_are_inline(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    network = json.loads(run.config["mlops:network"])
    rules = rules_of(run)
    fqdns = sorted(r["destination"] for r in rules.values() if r["type"] == "FQDN")
    assert fqdns == sorted(network.get("outboundFqdns", []))


def test_prod_premium_registry_is_zone_redundant(stack_runs: dict[str, ProgramRun]) -> None:
    registry = only(stack_runs["prod"], "containerregistry:Registry").inputs
    assert (registry["sku"]["name"], registry["zoneRedundancy"]) == ("Premium", "Enabled")


@pytest.mark.parametrize("stack", ["qa", "prod"])
def test_preview_shows_endpoints_zone_groups_and_inline_outbound_rules(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    text = render_text(Plan(stack_runs[stack]))
    assert "azure-native:network:PrivateEndpoint" in text
    assert "azure-native:network:PrivateDnsZoneGroup" in text
    assert "to: → ml-workspace · sub-resource: amlworkspace" in text
    assert "zones: privatelink.api.azureml.ms (rg-hub-dns" in text
    assert (
        "outbound rule: stdataplatformexample-dfs: PrivateEndpoint dfs of stdataplatformexample"
        in (text)
    )


def test_prod_preview_shows_the_fqdn_rules(stack_runs: dict[str, ProgramRun]) -> None:
    assert "outbound rule: fqdn-pypi_org: FQDN pypi.org" in render_text(Plan(stack_runs["prod"]))


def test_committed_network_document_is_up_to_date(
    real_stack_runs: dict[str, ProgramRun],
) -> None:
    """Slow (1-3 s): it reads every repository stack's run, which the first test that asks for
    them in a worker evaluates (or waits for), and draws the document from them."""
    committed = (ROOT / DOCUMENT).read_text(encoding="utf-8")
    assert committed == document(real_stack_runs), f"{DOCUMENT} {STALE}"


def test_engine_places_zone_groups_under_their_endpoint() -> None:
    run = inbound("existing")
    group = of_type(run, "network:PrivateDnsZoneGroup")[0]
    endpoint = next(
        e
        for e in of_type(run, "network:PrivateEndpoint")
        if e.urn in group.property_dependencies["privateEndpointName"]
    )
    assert endpoint.id.startswith(f"{RG_ID}/providers/Microsoft.Network/privateEndpoints/pe-")
    assert group.id == f"{endpoint.id}/privateDnsZoneGroups/default"
