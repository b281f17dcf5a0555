"""Model promotion: the shared stack's Azure ML registry, and how dev, qa and prod use it.

Every stack here is built from a config of its own: a shared stack with a replica region, a dev
stack (managed network, a data-scientist group, the release pipeline, an online endpoint) and a
qa stack without a managed network, both using the registry by ID from another subscription.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

import pytest

from components.access import DEPLOYING, MATRIX, SHARING
from components.managed_network import outbound_rules
from offline.engine import MOCK_SUBSCRIPTION_ID, ProgramRun, Resource
from offline.plan import Plan
from offline.policies import check
from offline.preview import render_text
from settings.profiles import PROFILES
from settings.roles import BUILT_IN_ROLES, MODEL_REGISTRY_ROLES
from settings.schema import Settings
from tests.conftest import (
    load_settings,
    of_type,
    only,
    pulumi_config,
    required_network,
    settings_problems,
)
from tests.run_cache import cached_run

REGISTRY_TYPE: Final = "machinelearningservices:Registry"
SHARED_SUB: Final = "00000000-0000-0000-0000-0000000000cc"
REGISTRY_ID: Final = (
    f"/subscriptions/{SHARED_SUB}/resourceGroups/rg-acme-mlops-shared"
    "/providers/Microsoft.MachineLearningServices/registries/mlr-acme-shared-abc123"
)
SCIENTISTS: Final = "00000000-0000-0000-0000-00000000d5a1"
PIPELINE: Final = "00000000-0000-0000-0000-0000000000c1"
ROLE_NAMES: Final = {guid: name for name, guid in BUILT_IN_ROLES.items()}
ALERTS: Final = {"emails": ["ml-platform@acme.example"]}

SHARED: Final[Mapping[str, Any]] = {
    "azure-native:location": "westeurope",
    "mlops:environment": "shared",
    "mlops:prefix": "acme",
    "mlops:alerts": ALERTS,
    "mlops:modelRegistry": {"mode": "create", "regions": ["northeurope"]},
}
EXISTING: Final = {"mode": "existing", "existingId": REGISTRY_ID}


def environment(name: str, isolation: str) -> dict[str, Any]:
    return {
        "azure-native:location": "westeurope",
        "mlops:environment": name,
        "mlops:prefix": "acme",
        "mlops:alerts": ALERTS,
        # The network qa and prod require (private inbound), with the isolation the test asks for.
        "mlops:network": {
            **json.loads(required_network(name).get("mlops:network", "{}")),
            "isolation": isolation,
        },
        "mlops:access": [
            {"principalId": SCIENTISTS, "principalType": "Group", "role": "AzureML Data Scientist"}
        ],
        "mlops:releasePipeline": {"principalId": PIPELINE},
        "mlops:endpoints": [{"name": "score", "kind": "online"}],
        "mlops:modelRegistry": EXISTING,
    }


def settings_of(values: Mapping[str, Any], stack: str) -> Settings:
    return load_settings(values, stack)


def problems_of(values: Mapping[str, Any], stack: str) -> str:
    return "\n".join(settings_problems(values, stack))


@pytest.fixture(scope="module")
def shared() -> ProgramRun:
    return cached_run("shared", config=pulumi_config(SHARED))


@pytest.fixture(scope="module")
def dev() -> ProgramRun:
    return cached_run("dev", config=pulumi_config(environment("dev", "allowInternetOutbound")))


@pytest.fixture(scope="module")
def qa() -> ProgramRun:
    return cached_run("qa", config=pulumi_config(environment("qa", "allowInternetOutbound")))


def registry_roles(run: ProgramRun) -> set[tuple[str, str]]:
    """(role name, principal) of every role assignment on the shared registry."""
    return {
        (ROLE_NAMES[r.inputs["roleDefinitionId"].rsplit("/", 1)[1]], r.inputs["principalId"])
        for r in of_type(run, "authorization:RoleAssignment")
        if r.inputs["scope"] == REGISTRY_ID
    }


def identity(resource: Resource) -> str:
    return resource.outputs["identity"]["principalId"]


# -- the shared stack ----------------------------------------------------------------------------


def test_the_shared_preview_shows_the_registry_and_its_regions(shared: ProgramRun) -> None:
    text = render_text(Plan(shared))
    assert "azure-native:machinelearningservices:Registry" in text
    assert "regions: westeurope (Standard_ZRS), northeurope (Standard_ZRS)" in text


def test_the_shared_stack_builds_the_registry_and_no_workspace(shared: ProgramRun) -> None:
    types = {r.type.rsplit(":", 1)[-1] for r in shared.resources if r.custom}
    assert "Registry" in types
    assert not types & {"Workspace", "Compute", "StorageAccount", "Vault", "OnlineEndpoint"}


def test_the_registry_lists_the_primary_region_first_with_storage_and_acr_each(
    shared: ProgramRun,
) -> None:
    regions = only(shared, REGISTRY_TYPE).inputs["regionDetails"]
    assert [r["location"] for r in regions] == ["westeurope", "northeurope"]
    for region in regions:
        (storage,) = region["storageAccountDetails"]
        assert storage["systemCreatedStorageAccount"]["allowBlobPublicAccess"] is False
        (acr,) = region["acrDetails"]
        assert acr["systemCreatedAcrAccount"]["acrAccountSku"] == "Premium"


def test_the_registry_has_a_system_assigned_identity(shared: ProgramRun) -> None:
    assert only(shared, REGISTRY_TYPE).inputs["identity"] == {"type": "SystemAssigned"}


def test_the_registry_is_protected_and_locked(shared: ProgramRun) -> None:
    registry = only(shared, REGISTRY_TYPE)
    assert registry.protect
    lock = only(shared, "authorization:ManagementLockByScope")
    assert lock.inputs["scope"] == registry.id


def test_the_registry_refuses_public_traffic_by_default(shared: ProgramRun) -> None:
    registry = only(shared, REGISTRY_TYPE)
    assert registry.inputs["publicNetworkAccess"] == "Disabled"
    assert "allowPublicNetworkAccess" not in registry.inputs["tags"]


def test_a_registry_config_opens_is_public_and_tagged() -> None:
    opened = {**SHARED, "mlops:modelRegistry": {"mode": "create", "publicNetworkAccess": True}}
    registry = only(cached_run("shared", config=pulumi_config(opened)), REGISTRY_TYPE)
    assert registry.inputs["publicNetworkAccess"] == "Enabled"
    assert registry.inputs["tags"]["allowPublicNetworkAccess"] == "true"


def test_the_shared_stack_exports_the_registry_id_name_and_discovery_url(
    shared: ProgramRun,
) -> None:
    registry = only(shared, REGISTRY_TYPE)
    assert shared.outputs["modelRegistryId"] == registry.id
    assert shared.outputs["modelRegistryName"] == registry.inputs["registryName"]
    assert shared.outputs["modelRegistryDiscoveryUrl"].startswith("https://")


def test_the_shared_stack_tells_someone_when_it_overspends(shared: ProgramRun) -> None:
    budget = only(shared, "consumption:Budget")
    assert budget.inputs["amount"] == 500
    assert only(shared, "monitor:ActionGroup").inputs["emailReceivers"]


# -- dev, qa and prod use it ---------------------------------------------------------------------


def test_the_workspace_identity_is_a_registry_user(dev: ProgramRun) -> None:
    workspace = only(dev, "machinelearningservices:Workspace")
    assert ("AzureML Registry User", identity(workspace)) in registry_roles(dev)


def test_data_scientists_and_the_pipeline_share_models_from_dev(dev: ProgramRun) -> None:
    roles = registry_roles(dev)
    assert ("AzureML Registry User", SCIENTISTS) in roles
    assert ("AzureML Registry User", PIPELINE) in roles


def test_outside_dev_the_pipeline_only_reads_the_registry_and_people_get_nothing(
    qa: ProgramRun,
) -> None:
    roles = registry_roles(qa)
    assert ("Reader", PIPELINE) in roles
    assert ("AzureML Registry User", PIPELINE) not in roles
    assert not {role for role in roles if role[1] == SCIENTISTS}


@pytest.mark.parametrize("stack", ["dev", "qa"])
def test_online_endpoints_read_the_registry_models_they_serve(
    stack: str, dev: ProgramRun, qa: ProgramRun
) -> None:
    run = {"dev": dev, "qa": qa}[stack]
    endpoint = only(run, "machinelearningservices:OnlineEndpoint")
    assert ("Reader", identity(endpoint)) in registry_roles(run)


def test_registry_roles_are_defined_in_the_registry_subscription(dev: ProgramRun) -> None:
    on_registry = [
        r for r in of_type(dev, "authorization:RoleAssignment") if r.inputs["scope"] == REGISTRY_ID
    ]
    assert on_registry
    for assignment in on_registry:
        assert assignment.inputs["roleDefinitionId"].startswith(f"/subscriptions/{SHARED_SUB}/")
    assert SHARED_SUB != MOCK_SUBSCRIPTION_ID


def test_a_managed_network_reaches_the_registry_through_an_amlregistry_rule(
    dev: ProgramRun,
) -> None:
    rules = only(dev, "machinelearningservices:Workspace").inputs["managedNetwork"]
    rule = rules["outboundRules"]["model-registry"]
    assert rule["type"] == "PrivateEndpoint"
    assert rule["destination"]["serviceResourceId"] == REGISTRY_ID
    assert rule["destination"]["subresourceTarget"] == "amlregistry"


def test_without_a_managed_network_there_is_no_registry_rule() -> None:
    run = cached_run("dev", config=pulumi_config(environment("dev", "disabled")))
    managed = only(run, "machinelearningservices:Workspace").inputs["managedNetwork"]
    assert "model-registry" not in (managed.get("outboundRules") or {})


def test_an_environment_exports_the_registry_name_its_pipeline_deploys_from(
    qa: ProgramRun,
) -> None:
    assert qa.outputs["modelRegistryName"] == "mlr-acme-shared-abc123"


def test_the_matrix_grants_on_the_registry_only_the_roles_bootstrap_lets_stacks_assign() -> None:
    granted = {row.role for row in MATRIX if row.scope == "modelRegistry"}
    assert granted == set(MODEL_REGISTRY_ROLES)


# -- mlops:modelRegistry: each mode and its refusals ---------------------------------------------


def test_mode_none_is_the_default_and_uses_no_registry() -> None:
    values = {k: v for k, v in environment("dev", "disabled").items() if "modelRegistry" not in k}
    assert settings_of(values, "dev").model_registry.existing is None


def test_mode_existing_adopts_the_registry_by_id() -> None:
    found = settings_of(environment("dev", "disabled"), "dev").model_registry.existing
    assert (found.name, found.subscription_id) == ("mlr-acme-shared-abc123", SHARED_SUB)


def test_mode_create_is_valid_in_shared() -> None:
    assert settings_of(SHARED, "shared").model_registry.regions == ("northeurope",)


@pytest.mark.parametrize("stack", ["dev", "qa", "prod"])
def test_create_is_refused_outside_shared(stack: str) -> None:
    values = {**environment(stack, "disabled"), "mlops:modelRegistry": {"mode": "create"}}
    values["mlops:budget"] = {"monthlyAmount": 100}
    assert "mlops:modelRegistry.mode: create is only valid in the shared stack" in problems_of(
        values, stack
    )


def test_existing_without_an_id_is_refused() -> None:
    values = {
        **environment("qa", "allowInternetOutbound"),
        "mlops:modelRegistry": {"mode": "existing"},
    }
    assert "mlops:modelRegistry.existingId: is required with mode: existing" in problems_of(
        values, "qa"
    )


def test_an_id_of_another_resource_type_is_refused() -> None:
    container_registry = REGISTRY_ID.replace(
        "MachineLearningServices/registries", "ContainerRegistry/registries"
    )
    values = {
        **environment("qa", "allowInternetOutbound"),
        "mlops:modelRegistry": {"mode": "existing", "existingId": container_registry},
    }
    assert (
        "mlops:modelRegistry.existingId: must be the ID of a "
        "Microsoft.MachineLearningServices/registries, but it names a "
        "Microsoft.ContainerRegistry/registries"
    ) in problems_of(values, "qa")


def test_an_id_with_an_invalid_registry_name_is_refused() -> None:
    values = {
        **environment("qa", "allowInternetOutbound"),
        "mlops:modelRegistry": {"mode": "existing", "existingId": REGISTRY_ID + "-" * 30},
    }
    assert "is not a valid Microsoft.MachineLearningServices/registries name" in problems_of(
        values, "qa"
    )


def test_an_id_naming_a_33_character_registry_is_refused_with_azure_s_limit() -> None:
    name = "mlr-" + "a" * 29
    registry_id = REGISTRY_ID.rsplit("/", 1)[0] + f"/{name}"
    values = {
        **environment("qa", "allowInternetOutbound"),
        "mlops:modelRegistry": {"mode": "existing", "existingId": registry_id},
    }
    assert (
        f"mlops:modelRegistry.existingId: {name!r} is not a valid "
        "Microsoft.MachineLearningServices/registries name: Azure allows 3-32 letters, digits, "
        "'_' and '-', starting with a letter or digit"
    ) in problems_of(values, "qa")
    # 32 characters are within Azure's limit.
    values["mlops:modelRegistry"]["existingId"] = registry_id[:-1]
    assert settings_of(values, "qa").model_registry.existing.name == name[:-1]


@pytest.mark.parametrize("mode", ["none", "existing"])
def test_the_shared_stack_must_create_the_registry(mode: str) -> None:
    registry = EXISTING if mode == "existing" else {"mode": "none"}
    values = {**SHARED, "mlops:modelRegistry": registry}
    assert "mlops:modelRegistry.mode: must be create in shared" in problems_of(values, "shared")


@pytest.mark.parametrize(
    ("key", "value"), [("regions", ["northeurope"]), ("publicNetworkAccess", True)]
)
def test_create_only_keys_are_refused_with_existing(key: str, value: Any) -> None:
    values = {
        **environment("qa", "allowInternetOutbound"),
        "mlops:modelRegistry": {**EXISTING, key: value},
    }
    assert f"mlops:modelRegistry.{key}: is only valid with mode: create" in problems_of(
        values, "qa"
    )


def test_the_primary_region_is_not_a_replica() -> None:
    values = {**SHARED, "mlops:modelRegistry": {"mode": "create", "regions": ["westeurope"]}}
    assert "mlops:modelRegistry.regions[0]: is the primary region" in problems_of(values, "shared")


WORKSPACE_SECTIONS: Final[Mapping[str, Any]] = {
    "mlops:storage": {"replication": "LRS"},
    "mlops:endpoints": [{"name": "churn", "kind": "online"}],
    "mlops:access": [{"principalId": SCIENTISTS, "role": "AzureML Data Scientist"}],
}


@pytest.mark.parametrize("key", list(WORKSPACE_SECTIONS))
def test_the_shared_stack_refuses_what_configures_a_workspace(key: str) -> None:
    values = {**SHARED, key: WORKSPACE_SECTIONS[key]}
    assert (
        f"{key}: is only valid with mlops:environment: dev, qa or prod (the shared stack has no "
        "workspace" in problems_of(values, "shared")
    )


def test_the_shared_stack_stays_protected() -> None:
    values = {**SHARED, "mlops:protect": False}
    assert "mlops:protect: must not be false in shared" in problems_of(values, "shared")


def test_models_are_shared_from_dev_and_deployed_in_qa_and_prod() -> None:
    assert (SHARING, DEPLOYING) == (("dev",), ("qa", "prod"))
    assert all(set(row.environments) <= set(PROFILES) for row in MATRIX)


# -- the shared Key Vault and container registry, which dev, qa and prod adopt --------------------

SHARED_DEPENDENCIES: Final = {
    **SHARED,
    "mlops:keyVault": {"mode": "create"},
    "mlops:containerRegistry": {"mode": "create"},
}


@pytest.fixture(scope="module")
def shared_dependencies() -> ProgramRun:
    return cached_run("shared", config=pulumi_config(SHARED_DEPENDENCIES))


def test_the_shared_stack_creates_and_exports_the_vault_and_registry_others_adopt(
    shared_dependencies: ProgramRun,
) -> None:
    vault = only(shared_dependencies, "keyvault:Vault")
    images = only(shared_dependencies, "containerregistry:Registry")
    outputs = shared_dependencies.outputs
    assert (outputs["keyVaultId"], outputs["containerRegistryId"]) == (vault.id, images.id)
    # What it exports is what dev, qa and prod accept as existingId.
    adopting = {
        **environment("qa", "allowInternetOutbound"),
        "mlops:keyVault": {"existingId": vault.id},
        "mlops:containerRegistry": {"mode": "existing", "existingId": images.id},
    }
    adopted = settings_of(adopting, "qa")
    assert (adopted.key_vault.existing.id, adopted.container_registry.existing.id) == (
        vault.id,
        images.id,
    )


def test_the_shared_vault_and_registry_are_protected_and_locked(
    shared_dependencies: ProgramRun,
) -> None:
    vault = only(shared_dependencies, "keyvault:Vault")
    images = only(shared_dependencies, "containerregistry:Registry")
    assert vault.protect and images.protect
    locked = {
        lock.inputs["scope"]
        for lock in of_type(shared_dependencies, "authorization:ManagementLockByScope")
    }
    assert {vault.id, images.id} <= locked


def test_the_shared_vault_refuses_public_traffic_and_uses_entra_id_only(
    shared_dependencies: ProgramRun,
) -> None:
    properties = only(shared_dependencies, "keyvault:Vault").inputs["properties"]
    assert properties["publicNetworkAccess"] == "Disabled"
    assert properties["networkAcls"] == {"defaultAction": "Deny", "bypass": "AzureServices"}
    assert (properties["enableRbacAuthorization"], properties["enablePurgeProtection"]) == (
        True,
        True,
    )


def test_the_shared_registry_is_private_premium_zone_redundant_and_keyless(
    shared_dependencies: ProgramRun,
) -> None:
    images = only(shared_dependencies, "containerregistry:Registry").inputs
    assert images["publicNetworkAccess"] == "Disabled"
    assert (images["sku"]["name"], images["zoneRedundancy"]) == ("Premium", "Enabled")
    assert (images["adminUserEnabled"], images["anonymousPullEnabled"]) == (False, False)


def test_the_shared_vault_and_registry_satisfy_the_policy_pack(
    shared_dependencies: ProgramRun,
) -> None:
    assert check(shared_dependencies).violations == ()


def test_without_them_the_shared_stack_creates_neither_and_exports_none(
    shared: ProgramRun,
) -> None:
    assert of_type(shared, "keyvault:Vault") == of_type(shared, "containerregistry:Registry") == []
    assert (shared.outputs["keyVaultId"], shared.outputs["containerRegistryId"]) == (None, None)


def test_a_prefix_too_long_for_the_shared_vault_name_is_refused_naming_the_prefix() -> None:
    found = problems_of({**SHARED, "mlops:prefix": "abcdefghij"}, "shared")
    assert "mlops:prefix: 'abcdefghij' with stack 'shared' is too long" in found


@pytest.mark.parametrize("stack", ["dev", "qa", "prod"])
def test_a_vault_of_mode_create_is_refused_outside_shared(stack: str) -> None:
    values = {**environment(stack, "disabled"), "mlops:keyVault": {"mode": "create"}}
    values["mlops:budget"] = {"monthlyAmount": 100}
    assert "mlops:keyVault.mode: create is only valid in the shared stack" in problems_of(
        values, stack
    )


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        (
            "mlops:keyVault",
            {
                "existingId": "/subscriptions/00000000-0000-0000-0000-0000000000cc/resourceGroups/"
                "rg/providers/Microsoft.KeyVault/vaults/kv-other"
            },
            "mlops:keyVault.existingId: is not valid in shared",
        ),
        (
            "mlops:containerRegistry",
            {
                "mode": "existing",
                "existingId": "/subscriptions/00000000-0000-0000-0000-0000000000cc"
                "/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/crother",
            },
            "mlops:containerRegistry.mode: must be create (or none) in shared",
        ),
        (
            "mlops:containerRegistry",
            {"mode": "create", "sku": "Basic"},
            "mlops:containerRegistry.sku: must be Premium in shared",
        ),
    ],
    ids=["vault-existingId", "registry-existing", "registry-basic"],
)
def test_the_shared_stack_creates_private_dependencies_and_adopts_none(
    key: str, value: Any, problem: str
) -> None:
    assert problem in problems_of({**SHARED, key: value}, "shared")


def test_a_vault_is_either_created_or_adopted() -> None:
    vault_id = (
        "/subscriptions/00000000-0000-0000-0000-0000000000cc/resourceGroups/rg/providers/"
        "Microsoft.KeyVault/vaults/kv-other"
    )
    values = {**SHARED, "mlops:keyVault": {"mode": "create", "existingId": vault_id}}
    assert (
        "mlops:keyVault.existingId: adopts a vault by ID, so it is not valid with mode: create"
        in (problems_of(values, "shared"))
    )


# -- sharing models out of a private workspace storage (registry network isolation) ---------------


def test_dev_storage_admits_the_registry_as_a_resource_instance(dev: ProgramRun) -> None:
    storage = only(dev, "storage:StorageAccount").inputs
    firewall = storage["networkRuleSet"]
    # Resource instance rules apply to the public endpoint, which denies everything else.
    assert (storage["publicNetworkAccess"], firewall["defaultAction"]) == ("Enabled", "Deny")
    assert [rule["resourceId"] for rule in firewall["resourceAccessRules"]] == [REGISTRY_ID]
    assert all(rule["tenantId"] for rule in firewall["resourceAccessRules"])


def test_dev_compute_reaches_its_storage_through_private_endpoints_it_adds(
    dev: ProgramRun,
) -> None:
    storage = only(dev, "storage:StorageAccount")
    rules = only(dev, "machinelearningservices:Workspace").inputs["managedNetwork"]["outboundRules"]
    for subresource in ("blob", "file"):
        rule = rules[f"workspace-storage-{subresource}"]["destination"]
        assert (rule["serviceResourceId"], rule["subresourceTarget"]) == (storage.id, subresource)


def test_with_approved_outbound_only_azure_s_required_rules_reach_the_storage() -> None:
    network = settings_of(environment("dev", "allowOnlyApprovedOutbound"), "dev").network
    rules = outbound_rules(
        network, (), "storage-id", batch_endpoints=False, workspace_storage_public=True
    )
    assert not {name for name in rules if name.startswith("workspace-storage-")}


@pytest.fixture(scope="module")
def private_qa() -> ProgramRun:
    return cached_run("qa", config=pulumi_config(environment("qa", "allowInternetOutbound")))


def test_qa_deploys_registry_models_without_opening_its_storage(private_qa: ProgramRun) -> None:
    storage = only(private_qa, "storage:StorageAccount").inputs
    assert storage["publicNetworkAccess"] == "Disabled"
    assert "resourceAccessRules" not in storage["networkRuleSet"]
    rules = only(private_qa, "machinelearningservices:Workspace").inputs["managedNetwork"]
    assert rules["outboundRules"]["model-registry"]["destination"]["serviceResourceId"] == (
        REGISTRY_ID
    )
