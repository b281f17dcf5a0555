"""The settings loader: valid stack files load; every invalid input names its key."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest
from pydantic import ValidationError

import settings
from offline.engine import evaluate, stack_config
from settings.catalogs import AML_VM_SIZES_SOURCE
from settings.datastores import KINDS
from settings.schema import Settings
from tests.conftest import (
    FIXTURE_STACKS,
    STACKS,
    load_settings,
    problem_at,
    required_network,
    settings_problems,
)

GUID = "00000000-0000-0000-0000-00000000abcd"
ACCOUNT = (
    "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg-data"
    "/providers/Microsoft.Storage/storageAccounts/stdata"
)
BASE = {
    "azure-native:location": "westeurope",
    "mlops:prefix": "contoso",
    "mlops:alerts": json.dumps({"emails": ["ml-platform@contoso.example"]}),
}
SUBNET = (
    "/subscriptions/00000000-0000-0000-0000-0000000000cc/resourceGroups/rg-spoke"
    "/providers/Microsoft.Network/virtualNetworks/vnet-spoke/subnets/snet-endpoints"
)
ZONES = (
    "/subscriptions/00000000-0000-0000-0000-0000000000dd/resourceGroups/rg-dns"
    "/providers/Microsoft.Network/privateDnsZones"
)
ZONE_IDS = {
    "api": f"{ZONES}/privatelink.api.azureml.ms",
    "notebooks": f"{ZONES}/privatelink.notebooks.azure.net",
    "blob": f"{ZONES}/privatelink.blob.core.windows.net",
    "file": f"{ZONES}/privatelink.file.core.windows.net",
    "vault": f"{ZONES}/privatelink.vaultcore.azure.net",
    "registry": f"{ZONES}/privatelink.azurecr.io",
}
PRIVATE = {"inbound": "private", "subnetId": SUBNET, "privateDns": {"mode": "create"}}
BUDGET = {"monthlyAmount": 5000}


def load(stack: str = "dev", **keys: Any) -> Settings:
    return load_settings(BASE, stack, **keys)


def problems(stack: str = "dev", **keys: Any) -> tuple[str, ...]:
    return settings_problems(BASE, stack, **keys)


@pytest.mark.parametrize("stack", STACKS)
def test_every_fixture_stack_file_loads(stack: str) -> None:
    config, secrets = stack_config(stack, FIXTURE_STACKS)
    loaded = settings.load(config, project="mlops", stack=stack, secret_keys=secrets)
    assert loaded.environment == stack


def test_minimal_config_gets_secure_defaults() -> None:
    loaded = load()
    assert loaded.environment == "dev"
    assert loaded.storage.replication == "ZRS"
    assert loaded.network.isolation == "AllowInternetOutbound"
    assert loaded.container_registry.mode == "none"
    assert loaded.key_vault.existing is None
    assert loaded.profile.protect is False


def test_prod_is_protected_unless_config_says_otherwise() -> None:
    assert load("prod", budget=BUDGET).profile.protect is True
    assert load("prod", budget=BUDGET, protect="false").profile.protect is False


def test_qa_and_prod_refuse_public_inbound_before_the_policy_pack_would() -> None:
    for stack in ("qa", "prod"):
        found = problems(stack, budget=BUDGET, network={"isolation": "allowOnlyApprovedOutbound"})
        assert [p for p in found if p.startswith("mlops:network.inbound: must be private in")]


def test_prod_refuses_a_managed_network_with_internet_outbound() -> None:
    found = problems(
        "prod", budget=BUDGET, network={**PRIVATE, "isolation": "allowInternetOutbound"}
    )
    assert found == (
        "mlops:network.isolation: must be allowOnlyApprovedOutbound (or customerManaged, the "
        "team's network filtering egress) in prod: compute reaches only approved "
        "destinations, so data cannot be exfiltrated",
    )


def test_environment_defaults_to_the_stack_name() -> None:
    assert load("qa").environment == "qa"


def test_settings_are_immutable() -> None:
    loaded = load()
    with pytest.raises(ValidationError, match="frozen"):
        loaded.prefix = "other"  # type: ignore[misc]


def test_tags_add_environment_and_managed_by() -> None:
    assert load(tags={"costCenter": "1"}).all_tags == {
        "costCenter": "1",
        "environment": "dev",
        "managedBy": "pulumi",
    }


def test_existing_vault_is_parsed_from_its_resource_id() -> None:
    vault_id = ACCOUNT.replace(
        "Microsoft.Storage/storageAccounts/stdata", "Microsoft.KeyVault/vaults/kv-shared"
    )
    existing = load(keyVault={"existingId": vault_id}).key_vault.existing
    assert existing is not None
    assert (existing.name, existing.resource_group) == ("kv-shared", "rg-data")


def test_datastore_scope_is_its_container() -> None:
    store = load(datastores=[{"name": "raw", "storageAccountId": ACCOUNT, "container": "sales"}])
    assert store.datastores[0].scope == f"{ACCOUNT}/blobServices/default/containers/sales"
    assert (
        store.datastores[0].storage_account.subscription_id
        == "00000000-0000-0000-0000-0000000000aa"
    )


def test_batch_cluster_name_defaults_from_the_endpoint() -> None:
    loaded = load(
        endpoints=[
            {
                "name": "prep",
                "kind": "batch",
                "cluster": {"vmSize": "Standard_DS3_v2", "maxNodes": 2},
            }
        ]
    )
    cluster = loaded.endpoints[0].cluster
    assert cluster is not None and cluster.name == "prep-batch"


def test_all_problems_are_reported_together() -> None:
    found = problems(
        prefix="Bad_Prefix",
        storage={"replication": "XRS"},
        computeClusters=[{"name": "c", "vmSize": "Standard_DS3_v2", "maxNodes": 0}],
    )
    assert len(found) >= 3


def test_the_error_message_lists_each_problem_on_its_own_line() -> None:
    with pytest.raises(settings.SettingsError) as caught:
        load(prefix="X")
    assert str(caught.value).startswith("Invalid stack configuration:\n  - mlops:prefix: ")


INSTANCE = {"name": "ds-a", "vmSize": "Standard_DS3_v2", "assignedUserObjectId": GUID}
CLUSTER = {"name": "cpu", "vmSize": "Standard_DS3_v2", "maxNodes": 2}

INVALID: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "unknown top-level key",
        {"computeCluster": []},
        "mlops:computeCluster",
        "did you mean 'computeClusters'",
    ),
    (
        "environment not dev qa prod",
        {"environment": "staging"},
        "mlops:environment",
        "must be one of dev, qa, prod",
    ),
    ("prefix with capitals", {"prefix": "Contoso"}, "mlops:prefix", "2-10 lowercase"),
    ("prefix too long", {"prefix": "contosoltd12"}, "mlops:prefix", "2-10 lowercase"),
    ("tags as list", {"tags": ["a"]}, "mlops:tags", "must be a map"),
    (
        "reserved tag",
        {"tags": {"environment": "x"}},
        "mlops:tags.environment",
        "set by the program",
    ),
    (
        "vault id of a storage account",
        {"keyVault": {"existingId": ACCOUNT}},
        "mlops:keyVault.existingId",
        "Microsoft.KeyVault/vaults",
    ),
    (
        "vault typo",
        {"keyVault": {"existingID": "x"}},
        "mlops:keyVault.existingID",
        "did you mean 'existingId'",
    ),
    (
        "a key in the program's spelling, not the stack file's",
        {"computeClusters": [{"name": "cpu", "vm_size": "Standard_DS3_v2", "maxNodes": 2}]},
        "mlops:computeClusters[0].vm_size",
        "unknown key (did you mean 'vmSize'?)",
    ),
    (
        "registry mode",
        {"containerRegistry": {"mode": "borrowed"}},
        "mlops:containerRegistry.mode",
        "none, create, shared, existing",
    ),
    (
        "existing registry without id",
        {"containerRegistry": {"mode": "existing"}},
        "mlops:containerRegistry.existingId",
        "is required",
    ),
    (
        "registry sku without create",
        {"containerRegistry": {"mode": "none", "sku": "Basic"}},
        "mlops:containerRegistry.sku",
        "only valid with mode: create",
    ),
    ("replication", {"storage": {"replication": "XRS"}}, "mlops:storage.replication", "LRS, ZRS"),
    (
        "isolation",
        {"network": {"isolation": "private"}},
        "mlops:network.isolation",
        "allowOnlyApprovedOutbound",
    ),
    (
        "public network access retired for inbound",
        {"network": {"publicNetworkAccess": False}},
        "mlops:network.publicNetworkAccess",
        "was replaced by inbound: write `inbound: public` for true, or `inbound: private`",
    ),
    ("inbound choice", {"network": {"inbound": "vpn"}}, "mlops:network.inbound", "public, private"),
    (
        "private inbound without a subnet",
        {"network": {"inbound": "private", "privateDns": {"mode": "policy"}}},
        "mlops:network.subnetId",
        "is required with inbound: private (the resource ID of the subnet",
    ),
    (
        "private inbound without a DNS mode",
        {"network": {"inbound": "private", "subnetId": SUBNET}},
        "mlops:network.privateDns",
        "is required with inbound: private ({mode: create | existing | policy})",
    ),
    (
        "private inbound without a managed network",
        {"network": {**PRIVATE, "isolation": "disabled"}},
        "mlops:network.inbound",
        "private needs a managed network",
    ),
    (
        "subnet with public inbound",
        {"network": {"subnetId": SUBNET}},
        "mlops:network.subnetId",
        "is only valid with inbound: private",
    ),
    (
        "DNS mode with public inbound",
        {"network": {"privateDns": {"mode": "policy"}}},
        "mlops:network.privateDns",
        "is only valid with inbound: private",
    ),
    (
        "subnet ID of a virtual network",
        {"network": {**PRIVATE, "subnetId": SUBNET.rsplit("/subnets/", 1)[0]}},
        "mlops:network.subnetId",
        "must be the ID of a Microsoft.Network/virtualNetworks/subnets, but it names a "
        "Microsoft.Network/virtualNetworks",
    ),
    (
        "DNS mode missing",
        {"network": {**PRIVATE, "privateDns": {}}},
        "mlops:network.privateDns.mode",
        "is required (one of create, existing, policy)",
    ),
    (
        "DNS mode choice",
        {"network": {**PRIVATE, "privateDns": {"mode": "hub"}}},
        "mlops:network.privateDns.mode",
        "create, existing, policy",
    ),
    (
        "existing zones without their IDs",
        {"network": {**PRIVATE, "privateDns": {"mode": "existing"}}},
        "mlops:network.privateDns.zoneIds",
        "is required with mode: existing",
    ),
    (
        "zone IDs with created zones",
        {"network": {**PRIVATE, "privateDns": {"mode": "create", "zoneIds": ZONE_IDS}}},
        "mlops:network.privateDns.zoneIds",
        "is only valid with mode: existing",
    ),
    (
        "zone ID of another zone",
        {
            "network": {
                **PRIVATE,
                "privateDns": {
                    "mode": "existing",
                    "zoneIds": {**ZONE_IDS, "api": ZONE_IDS["blob"]},
                },
            }
        },
        "mlops:network.privateDns.zoneIds.api",
        "must be the ID of the zone privatelink.api.azureml.ms, but it names "
        "privatelink.blob.core.windows.net",
    ),
    (
        "zone of a created vault missing",
        {
            "network": {
                **PRIVATE,
                "privateDns": {
                    "mode": "existing",
                    "zoneIds": {k: v for k, v in ZONE_IDS.items() if k != "vault"},
                },
            }
        },
        "mlops:network.privateDns.zoneIds.vault",
        "is required: the stack's private endpoints keep records in "
        "privatelink.vaultcore.azure.net",
    ),
    (
        "FQDN rules without approved outbound",
        {"network": {"outboundFqdns": ["pypi.org"]}},
        "mlops:network.outboundFqdns",
        "is only valid with isolation: allowOnlyApprovedOutbound",
    ),
    (
        "FQDN as a URL",
        {
            "network": {
                "isolation": "allowOnlyApprovedOutbound",
                "outboundFqdns": ["https://pypi.org"],
            }
        },
        "mlops:network.outboundFqdns[0]",
        "must be a lowercase host name such as pypi.org, or a wildcard such as *.anaconda.org",
    ),
    (
        "FQDN twice",
        {
            "network": {
                "isolation": "allowOnlyApprovedOutbound",
                "outboundFqdns": ["pypi.org", "pypi.org"],
            }
        },
        "mlops:network.outboundFqdns[1]",
        "repeats outboundFqdns[0]",
    ),
    (
        "non-Premium registry with private inbound",
        {"network": PRIVATE, "containerRegistry": {"mode": "create", "sku": "Standard"}},
        "mlops:containerRegistry.sku",
        "must be Premium with mlops:network.inbound private",
    ),
    (
        "bad principal guid",
        {"access": [{"principalId": "alice", "role": "Reader"}]},
        "mlops:access[0].principalId",
        "must be a GUID",
    ),
    (
        "owner refused",
        {"access": [{"principalId": GUID, "role": "Owner"}]},
        "mlops:access[0].role",
        "must be one of",
    ),
    (
        "data role on workspace",
        {
            "access": [
                {"principalId": GUID, "role": "Storage Blob Data Reader", "scope": "workspace"}
            ]
        },
        "mlops:access[0].scope",
        "must be one of storage",
    ),
    (
        "registry grant without registry",
        {"access": [{"principalId": GUID, "role": "AcrPull"}]},
        "mlops:access[0].scope",
        "there is no registry",
    ),
    (
        "datastore name with hyphen",
        {"datastores": [{"name": "raw-sales", "storageAccountId": ACCOUNT, "container": "c01"}]},
        "mlops:datastores[0].name",
        "underscores",
    ),
    (
        "datastore container uppercase",
        {"datastores": [{"name": "raw", "storageAccountId": ACCOUNT, "container": "Sales"}]},
        "mlops:datastores[0].container",
        "lowercase",
    ),
    (
        "datastore account malformed",
        {"datastores": [{"name": "raw", "storageAccountId": "stdata", "container": "c01"}]},
        "mlops:datastores[0].storageAccountId",
        "not a resource ID",
    ),
    (
        "datastore duplicate",
        {"datastores": [{"name": "raw", "storageAccountId": ACCOUNT, "container": "c01"}] * 2},
        "mlops:datastores[1].name",
        "duplicate",
    ),
    (
        "datastore kind",
        {
            "datastores": [
                {"name": "raw", "storageAccountId": ACCOUNT, "container": "c01", "kind": "s3"}
            ]
        },
        "mlops:datastores[0].kind",
        ", ".join(KINDS),
    ),
    (
        "instance name too long",
        {"computeInstances": [{**INSTANCE, "name": "a-very-long-instance-nm"}]},
        "mlops:computeInstances[0].name",
        "3-17 characters",
    ),
    (
        "instance idle too short",
        {"computeInstances": [{**INSTANCE, "idleShutdownMinutes": 5}]},
        "mlops:computeInstances[0].idleShutdownMinutes",
        "between 15 and 4320",
    ),
    (
        "instance user not guid",
        {"computeInstances": [{**INSTANCE, "assignedUserObjectId": "bob"}]},
        "mlops:computeInstances[0].assignedUserObjectId",
        "GUID",
    ),
    (
        "instance vm size",
        {"computeInstances": [{**INSTANCE, "vmSize": "big"}]},
        "mlops:computeInstances[0].vmSize",
        "must be a VM size Azure ML supports",
    ),
    (
        "schedule cron",
        {"computeInstances": [{**INSTANCE, "schedules": [{"action": "stop", "cron": "daily"}]}]},
        "mlops:computeInstances[0].schedules[0].cron",
        "five-field cron",
    ),
    (
        "cluster min over max",
        {"computeClusters": [{**CLUSTER, "minNodes": 3}]},
        "mlops:computeClusters[0].minNodes",
        "must not exceed maxNodes",
    ),
    (
        "cluster max zero",
        {"computeClusters": [CLUSTER, {**CLUSTER, "name": "gpu", "maxNodes": 0}]},
        "mlops:computeClusters[1].maxNodes",
        "between 1 and 1000",
    ),
    (
        "cluster max as text",
        {"computeClusters": [{**CLUSTER, "maxNodes": "4"}]},
        "mlops:computeClusters[0].maxNodes",
        "whole number",
    ),
    (
        "cluster idle too long",
        {"computeClusters": [{**CLUSTER, "idleSecondsBeforeScaleDown": 10}]},
        "mlops:computeClusters[0].idleSecondsBeforeScaleDown",
        "between 60",
    ),
    (
        "cluster name too short",
        {"computeClusters": [{**CLUSTER, "name": "c"}]},
        "mlops:computeClusters[0].name",
        "3-24",
    ),
    (
        "cluster list as map",
        {"computeClusters": CLUSTER},
        "mlops:computeClusters",
        "must be a list",
    ),
    (
        "endpoint kind",
        {"endpoints": [{"name": "score", "kind": "realtime"}]},
        "mlops:endpoints[0].kind",
        "online, batch",
    ),
    (
        "online endpoint with cluster",
        {"endpoints": [{"name": "score", "kind": "online", "cluster": CLUSTER}]},
        "mlops:endpoints[0].cluster",
        "only valid with kind: batch",
    ),
    (
        "batch endpoint without cluster",
        {"endpoints": [{"name": "prep", "kind": "batch"}]},
        "mlops:endpoints[0].cluster",
        "is required with kind: batch",
    ),
    (
        "batch endpoint key auth",
        {
            "endpoints": [
                {
                    "name": "prep",
                    "kind": "batch",
                    "authMode": "key",
                    "cluster": {"vmSize": "Standard_DS3_v2", "maxNodes": 1},
                }
            ]
        },
        "mlops:endpoints[0].authMode",
        "must be aadToken",
    ),
    (
        "endpoint name too long",
        {"endpoints": [{"name": "a" * 26, "kind": "online"}]},
        "mlops:endpoints[0].name",
        "3-25 characters",
    ),
    (
        "endpoint empty name",
        {"endpoints": [{"name": "", "kind": "online"}]},
        "mlops:endpoints[0].name",
        "must not be empty",
    ),
    (
        "secret in plain config",
        {"tags": {"conn": "DefaultEndpointsProtocol=https;AccountKey=abc"}},
        "mlops:tags.conn",
        "looks like a credential",
    ),
    ("protect not boolean", {"protect": "yes"}, "mlops:protect", "true or false"),
]


@pytest.mark.parametrize(
    ("keys", "path", "fragment"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID]
)
def test_invalid_input_names_its_key(keys: dict[str, Any], path: str, fragment: str) -> None:
    found = problems(**keys)
    matching = [p for p in found if p.startswith(f"{path}:")]
    assert matching, found
    assert any(fragment in p for p in matching), matching


def test_an_entry_refused_for_a_python_spelled_key_is_not_judged_by_other_rules() -> None:
    instance = {"name": "ds-a", "vmSize": "Standard_DS3_v2", "assigned_user_object_id": GUID}
    grant = {"principalId": GUID, "principalType": "Group", "role": "Reader"}
    found = problems(computeInstances=[instance], access=[grant])
    assert not [p for p in found if "one object ID is one kind of principal" in p], found


def test_an_unknown_nested_key_with_a_colon_lists_the_section_s_keys() -> None:
    found = problems(network={"isolation:mode": "disabled"})
    assert found == (
        "mlops:network.isolation:mode: unknown key (did you mean 'isolation'?); valid keys: "
        "clientIpRanges, computeSubnetId, egressFirewallId, inbound, isolation, outboundFqdns, "
        "privateDns, subnetId",
    )


@pytest.mark.parametrize("stack", ["qa", "prod"])
@pytest.mark.parametrize("key", ["computeInstances", "computeClusters"])
def test_compute_is_refused_outside_dev_with_the_reason(stack: str, key: str) -> None:
    value = [INSTANCE] if key == "computeInstances" else [CLUSTER]
    found = problems(stack, **{key: value})
    assert any(
        p.startswith(f"mlops:{key}: is only valid with mlops:environment: dev (")
        and "belong in dev" in p
        for p in found
    )


def test_missing_location_and_prefix_are_required() -> None:
    with pytest.raises(settings.SettingsError) as caught:
        settings.load({}, project="mlops", stack="dev")
    assert any(p.startswith("azure-native:location: is required") for p in caught.value.problems)
    assert any(p.startswith("mlops:prefix: is required") for p in caught.value.problems)


def test_secret_config_values_are_not_flagged_as_plain_credentials() -> None:
    hook = "https://hooks.slack.com/services/T0/B0/AccountKey=abc"
    config = {**BASE, "mlops:alerts": json.dumps({"webhooks": [hook]})}
    loaded = settings.load(config, project="mlops", stack="dev", secret_keys=["mlops:alerts"])
    assert loaded.alerts.webhooks == (hook,)


def test_premium_registry_is_required_with_approved_outbound_only() -> None:
    found = problems(
        network={"isolation": "allowOnlyApprovedOutbound"},
        containerRegistry={"mode": "create", "sku": "Standard"},
    )
    assert any(p.startswith("mlops:containerRegistry.sku: must be Premium") for p in found)


def test_batch_cluster_may_not_reuse_a_training_cluster_name() -> None:
    found = problems(
        computeClusters=[{**CLUSTER, "name": "prep-batch"}],
        endpoints=[
            {
                "name": "prep",
                "kind": "batch",
                "cluster": {"vmSize": "Standard_DS3_v2", "maxNodes": 1},
            }
        ],
    )
    assert any(p.startswith("mlops:endpoints[0].cluster.name:") for p in found)


CLUSTER_SIZE = "mlops:computeClusters[0].vmSize"


def cluster_vm_size_problem(size: str) -> str:
    """The one problem a training cluster of ``size`` is refused with (one, not two)."""
    return problem_at(problems(computeClusters=[{**CLUSTER, "vmSize": size}]), CLUSTER_SIZE)


@pytest.mark.parametrize(
    ("size", "retired_on", "replacement"),
    [
        ("Standard_NC6", "6 September 2023", "Standard_NC4as_T4_v3"),
        ("Standard_NC12", "6 September 2023", "Standard_NC16as_T4_v3"),
        ("Standard_NC6s_v2", "6 September 2023", "Standard_NC24ads_A100_v4"),
        ("Standard_ND6s", "6 September 2023", "Standard_NC4as_T4_v3"),
        ("Standard_NV6", "6 September 2023", "Standard_NV12ads_A10_v5"),
        ("Standard_NC6s_v3", "30 September 2025", "Standard_NC40ads_H100_v5"),
    ],
)
def test_a_retired_vm_size_is_refused_with_its_replacement(
    size: str, retired_on: str, replacement: str
) -> None:
    assert cluster_vm_size_problem(size).startswith(
        f"{CLUSTER_SIZE}: {size} was retired by Azure on {retired_on} and can no longer be "
        f"provisioned; choose a current size such as {replacement} (https://learn.microsoft.com/"
    )


def test_a_retired_vm_size_in_other_case_is_refused_as_retired() -> None:
    assert "Standard_NC6 was retired by Azure" in cluster_vm_size_problem("standard_nc6")


@pytest.mark.parametrize(
    ("size", "suggestion"),
    [
        ("Standard_DS3_v9", "Standard_DS3_v2"),  # no such size
        ("standard_ds3_v2", "Standard_DS3_v2"),  # Azure's spelling, in another case
        ("DS3_v2", "Standard_DS3_v2"),  # without its tier
    ],
)
def test_a_vm_size_azure_ml_does_not_support_is_refused_with_the_closest_one(
    size: str, suggestion: str
) -> None:
    assert cluster_vm_size_problem(size) == (
        f"{CLUSTER_SIZE}: must be a VM size Azure ML supports ({AML_VM_SIZES_SOURCE}), "
        f"got {size!r} (did you mean {suggestion!r}?)"
    )


@pytest.mark.parametrize("size", ["Standard_DS11-1_v2", "Standard_NC24ads_A100_v4"])
def test_a_supported_vm_size_loads_constrained_vcpus_and_successors_included(size: str) -> None:
    assert load(computeClusters=[{**CLUSTER, "vmSize": size}]).compute_clusters[0].vm_size == size


def test_settings_errors_reach_the_pulumi_cli_without_a_traceback() -> None:
    # The Pulumi language host prints a RunError's message alone, with no stack trace.
    assert issubclass(settings.SettingsError, pulumi.RunError)


def test_a_misspelt_namespace_is_not_silently_ignored() -> None:
    config = {**BASE, "mlop:storage": json.dumps({"replication": "GZRS"})}
    with pytest.raises(settings.SettingsError) as caught:
        settings.load(config, project="mlops", stack="dev")
    assert caught.value.problems == (
        "mlop:storage: unknown namespace 'mlop' (did you mean 'mlops:storage'?)",
    )


def test_other_providers_namespaces_are_left_alone() -> None:
    config = {**BASE, "azure-native:subscriptionId": GUID, "pulumi:tags": "{}"}
    assert settings.load(config, project="mlops", stack="dev").prefix == "contoso"


def test_a_stack_name_too_long_for_the_resource_group_is_refused() -> None:
    with pytest.raises(settings.SettingsError) as caught:
        settings.load({**BASE, "mlops:environment": "dev"}, project="mlops", stack="d" * 71)
    assert caught.value.problems[0].startswith("stack name: ")


def test_from_pulumi_reads_config_as_the_cli_passes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # The Pulumi CLI's Python language host hands config and secret keys over in these
    # environment variables.
    config = {
        **BASE,
        **required_network("qa"),
        "mlops:alerts": json.dumps({"webhooks": ["https://hooks.slack.com/services/T/B/x"]}),
    }
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(config))
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", json.dumps(["mlops:alerts"]))
    loaded: list[Settings] = []
    evaluate(lambda: loaded.append(settings.from_pulumi()), stack="qa")
    assert loaded[0].environment == "qa"
    assert loaded[0].alerts.webhooks == ("https://hooks.slack.com/services/T/B/x",)


def test_private_inbound_settings_name_the_subnet_its_network_and_the_dns_mode() -> None:
    network = load("qa", network=PRIVATE).network
    assert network.private_inbound
    assert network.public_network_access == "Disabled"
    assert network.subnet is not None and network.subnet.name == "snet-endpoints"
    assert network.subnet.parent is not None
    assert network.subnet.parent.id == SUBNET.rsplit("/subnets/", 1)[0]
    assert network.subnet.parent.name == "vnet-spoke"
    assert network.private_dns is not None and network.private_dns.mode == "create"


def test_public_inbound_is_the_default() -> None:
    network = load().network
    assert not network.private_inbound
    assert network.public_network_access == "Enabled"
    assert network.subnet is None


def test_existing_zones_need_no_vault_or_registry_zone_for_adopted_or_absent_ones() -> None:
    vault_id = ACCOUNT.replace(
        "Microsoft.Storage/storageAccounts/stdata", "Microsoft.KeyVault/vaults/kv-shared"
    )
    needed = {k: v for k, v in ZONE_IDS.items() if k not in ("vault", "registry")}
    loaded = load(
        "qa",
        keyVault={"existingId": vault_id},
        network={**PRIVATE, "privateDns": {"mode": "existing", "zoneIds": needed}},
    )
    dns = loaded.network.private_dns
    assert dns is not None and dns.zone_ids is not None and dns.zone_ids.vault is None


def test_fqdn_rules_load_with_approved_outbound_only() -> None:
    network = load(
        network={"isolation": "allowOnlyApprovedOutbound", "outboundFqdns": ["*.anaconda.org"]}
    ).network
    assert network.outbound_fqdns == ("*.anaconda.org",)
    assert network.approved_outbound_only


def test_an_empty_fqdn_list_needs_no_approved_outbound() -> None:
    assert load(network={"outboundFqdns": []}).network.outbound_fqdns == ()


def test_a_batch_endpoint_with_a_null_cluster_is_refused() -> None:
    found = problems(endpoints=[{"name": "prep", "kind": "batch", "cluster": None}])
    assert "mlops:endpoints[0].cluster: is required with kind: batch" in "\n".join(found)


def test_adls_datastores_are_reached_on_blob_and_dfs() -> None:
    stores = load(
        datastores=[
            {"name": "lake", "storageAccountId": ACCOUNT, "container": "c01", "kind": "adlsGen2"},
            {"name": "blobs", "storageAccountId": ACCOUNT, "container": "c02"},
        ]
    ).datastores
    assert [s.subresources for s in stores] == [("blob", "dfs"), ("blob",)]
