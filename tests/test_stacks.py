"""Each fixture stack file, run through the real __main__.py, has the topology its environment
needs; a stack named other than its environment is that environment, with names of its own."""

from __future__ import annotations

import json
import re
from typing import Final

import pytest

import settings
from offline.engine import (
    MOCK_SUBSCRIPTION_ID,
    MOCK_SUFFIX,
    PROJECT,
    ROOT,
    ProgramRun,
    stack_config,
)
from offline.policies import check
from offline.resource_types import get_path
from settings.names import SUFFIX_LENGTH, Names
from settings.roles import BUILT_IN_ROLES
from tests.conftest import FIXTURE_STACKS, STACKS, WORKSPACE_STACKS, of_type, only
from tests.run_cache import cached_run

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
COMPUTE = "machinelearningservices:Compute"


def computes_of_kind(run: ProgramRun, kind: str) -> list[str]:
    return sorted(
        r.name for r in of_type(run, COMPUTE) if r.inputs["properties"]["computeType"] == kind
    )


def test_the_fixture_stacks_are_one_per_environment_and_the_shared_one() -> None:
    assert STACKS == ["dev", "prod", "qa", "shared"]


def test_dev_has_compute_instances_and_training_clusters(stack_runs: dict[str, ProgramRun]) -> None:
    run = stack_runs["dev"]
    assert computes_of_kind(run, "ComputeInstance") == [
        "dev-compute-instance-ds-alice",
        "dev-compute-instance-ds-bob",
    ]
    assert computes_of_kind(run, "AmlCompute") == [
        "dev-compute-cluster-cpu-cluster",
        "dev-compute-cluster-gpu-cluster",
        "image-build-cluster",
    ]


def test_dev_gpu_cluster_is_low_priority(stack_runs: dict[str, ProgramRun]) -> None:
    gpu = stack_runs["dev"].named("dev-compute-cluster-gpu-cluster")
    assert gpu.inputs["properties"]["properties"]["vmPriority"] == "LowPriority"


@pytest.mark.parametrize("stack", ["qa", "prod"])
def test_qa_and_prod_have_no_compute_instances(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    assert computes_of_kind(run, "ComputeInstance") == []
    assert not [r for r in run.resources if r.type == "mlops:compute:DevCompute"]


@pytest.mark.parametrize("stack", ["qa", "prod"])
def test_qa_and_prod_clusters_only_serve_batch_endpoints_and_build_images(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    serving = {only(run, t).urn for t in ("mlops:endpoints:Endpoints", "ImageBuildCompute")}
    clusters = of_type(run, COMPUTE)
    assert clusters
    assert all(c.parent in serving for c in clusters)


@pytest.mark.parametrize("stack", ["qa", "prod"])
def test_qa_and_prod_serve_a_preprocessing_batch_and_a_scoring_online_endpoint(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    batch = only(run, "machinelearningservices:BatchEndpoint")
    online = only(run, "machinelearningservices:OnlineEndpoint")
    assert batch.inputs["tags"]["purpose"] == "preprocessing"
    assert online.inputs["tags"]["purpose"] == "scoring"
    assert online.inputs["properties"]["authMode"] == "AADToken"


def test_dev_hosts_a_scoring_endpoint_for_testing(stack_runs: dict[str, ProgramRun]) -> None:
    online = only(stack_runs["dev"], "machinelearningservices:OnlineEndpoint")
    assert online.inputs["endpointName"].startswith("churn-score-")


@pytest.mark.parametrize("stack", WORKSPACE_STACKS)
def test_every_datastore_has_a_container_scoped_role_for_the_workspace(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    workspace = only(run, "machinelearningservices:Workspace")
    principal = workspace.outputs["identity"]["principalId"]
    assignments = {
        (r.inputs["scope"], r.inputs["principalId"]): r
        for r in of_type(run, "authorization:RoleAssignment")
    }
    datastores = of_type(run, "machinelearningservices:Datastore")
    assert len(datastores) == 2
    for store in datastores:
        props = store.inputs["properties"]
        container = props.get("containerName") or props.get("filesystem")
        scope = (
            f"/subscriptions/{props['subscriptionId']}/resourceGroups/{props['resourceGroup']}"
            f"/providers/Microsoft.Storage/storageAccounts/{props['accountName']}"
            f"/blobServices/default/containers/{container}"
        )
        role = assignments[(scope, principal)]
        assert role.inputs["roleDefinitionId"] == (
            f"/subscriptions/{props['subscriptionId']}/providers/Microsoft.Authorization/"
            f"roleDefinitions/{BUILT_IN_ROLES['Storage Blob Data Reader']}"
        )


@pytest.mark.parametrize("stack", WORKSPACE_STACKS)
def test_one_datastore_lives_in_another_subscription(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    subscriptions = {
        d.inputs["properties"]["subscriptionId"]
        for d in of_type(stack_runs[stack], "machinelearningservices:Datastore")
    }
    assert subscriptions - {MOCK_SUBSCRIPTION_ID}
    assert len(subscriptions) == 2


@pytest.mark.parametrize("stack", WORKSPACE_STACKS)
def test_managed_network_reaches_each_datastore_account_through_inline_rules(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    rules = only(run, "machinelearningservices:Workspace").inputs["managedNetwork"]["outboundRules"]
    reached = sorted(
        (
            rule["destination"]["serviceResourceId"].rsplit("/", 1)[1],
            rule["destination"]["subresourceTarget"],
        )
        for name, rule in rules.items()
        if rule["type"] == "PrivateEndpoint"
        and not name.startswith("model-registry")
        and "/providers/Microsoft.Storage/storageAccounts/st"
        in rule["destination"]["serviceResourceId"]
        and not rule["destination"]["serviceResourceId"].startswith(
            f"/subscriptions/{MOCK_SUBSCRIPTION_ID}/"
        )
    )
    # Every account in the stack file: blob, and dfs for ADLS Gen2.
    expected = sorted(
        (store["storageAccountId"].rsplit("/", 1)[1], subresource)
        for store in json.loads(run.config["mlops:datastores"])
        for subresource in (("blob", "dfs") if store.get("kind") == "adlsGen2" else ("blob",))
    )
    assert reached == expected
    assert of_type(run, "ManagedNetworkSettingsRule") == []


def test_prod_isolates_the_workspace_to_approved_outbound_and_geo_zone_redundant_storage(
    stack_runs: dict[str, ProgramRun],
) -> None:
    run = stack_runs["prod"]
    workspace = only(run, "machinelearningservices:Workspace")
    assert workspace.inputs["managedNetwork"]["isolationMode"] == "AllowOnlyApprovedOutbound"
    assert only(run, "storage:StorageAccount").inputs["sku"]["name"] == "Standard_GZRS"


@pytest.mark.parametrize(
    ("stack", "log_days", "blob_days", "versioning"),
    [("dev", 30, 7, False), ("qa", 30, 7, False), ("prod", 90, 30, True)],
)
def test_retention_and_versioning_follow_the_environment_profile(
    stack_runs: dict[str, ProgramRun], stack: str, log_days: int, blob_days: int, versioning: bool
) -> None:
    run = stack_runs[stack]
    assert only(run, "operationalinsights:Workspace").inputs["retentionInDays"] == log_days
    blob = only(run, "storage:BlobServiceProperties").inputs
    assert blob["deleteRetentionPolicy"] == {"enabled": True, "days": blob_days}
    assert blob["containerDeleteRetentionPolicy"] == {"enabled": True, "days": blob_days}
    assert blob["isVersioningEnabled"] is versioning


EXPORTS = {
    "environment",
    "resourceGroupName",
    "workspaceName",
    "workspaceId",
    "studioUrl",
    "keyVaultUri",
    "storageAccountName",
    "containerRegistryLoginServer",
    "datastoreNames",
    "computeInstanceNames",
    "computeClusterNames",
    "imageBuildCompute",
    "pendingApprovals",
    "endpointNames",
    "scoringUris",
    "alertRuleNames",
    "budgetName",
    "modelRegistryName",
    "sharedFrom",
    "endpointServing",
    "kubernetesComputes",
    "applicationInsightsId",
}


@pytest.mark.parametrize("stack", WORKSPACE_STACKS)
def test_stack_exports_what_operators_and_the_release_pipeline_need(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    outputs = stack_runs[stack].outputs
    assert set(outputs) == EXPORTS
    assert outputs["environment"] == stack
    assert outputs["datastoreNames"] == ["raw_sales", "raw_customers"]
    assert outputs["studioUrl"].startswith("https://ml.azure.com/home?wsid=/subscriptions/")
    assert set(outputs["scoringUris"]) == set(outputs["endpointNames"])


def test_dev_exports_its_compute_names(stack_runs: dict[str, ProgramRun]) -> None:
    outputs = stack_runs["dev"].outputs
    assert set(outputs["computeInstanceNames"]) == {"ds-alice", "ds-bob"}
    assert outputs["computeClusterNames"] == ["cpu-cluster", "gpu-cluster"]


@pytest.mark.parametrize("stack", WORKSPACE_STACKS)
def test_every_taggable_resource_carries_environment_and_managed_by(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    taggable = [r for r in run.resources if r.custom and "tags" in r.inputs]
    assert len(taggable) >= 8
    for resource in taggable:
        assert resource.inputs["tags"]["environment"] == stack, resource.name
        assert resource.inputs["tags"]["managedBy"] == "pulumi", resource.name
        assert resource.inputs["tags"]["costCenter"] == "1234", resource.name


@pytest.mark.parametrize("stack", STACKS)
def test_taggable_azure_resources_are_not_left_untagged(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    tagged_types = (
        "resources:ResourceGroup",
        "storage:StorageAccount",
        "keyvault:Vault",
        "operationalinsights:Workspace",
        "applicationinsights:Component",
        "containerregistry:Registry",
        "machinelearningservices:Workspace",
        "machinelearningservices:Compute",
        "machinelearningservices:OnlineEndpoint",
        "machinelearningservices:BatchEndpoint",
        "network:PrivateEndpoint",
        "privatedns:PrivateZone",
        "privatedns:VirtualNetworkLink",
    )
    for resource in stack_runs[stack].resources:
        if resource.type.endswith(tagged_types):
            assert "tags" in resource.inputs, resource.name


@pytest.mark.parametrize("stack", STACKS)
def test_role_assignment_names_are_guids(stack_runs: dict[str, ProgramRun], stack: str) -> None:
    for role in of_type(stack_runs[stack], "authorization:RoleAssignment"):
        assert GUID.fullmatch(role.inputs["roleAssignmentName"]), role.name


def test_role_assignment_names_differ_between_stacks(stack_runs: dict[str, ProgramRun]) -> None:
    names = [
        r.inputs["roleAssignmentName"]
        for run in stack_runs.values()
        for r in of_type(run, "authorization:RoleAssignment")
    ]
    assert len(names) == len(set(names))


def config_principals(run: ProgramRun) -> set[str]:
    """The object IDs the stack file names: access entries, release pipeline, instance users."""
    named = {g["principalId"] for g in json.loads(run.config.get("mlops:access", "[]"))}
    pipeline = json.loads(run.config.get("mlops:releasePipeline", "null"))
    if pipeline:
        named.add(pipeline["principalId"])
    instances = json.loads(run.config.get("mlops:computeInstances", "[]"))
    return named | {i["assignedUserObjectId"] for i in instances}


@pytest.mark.parametrize("stack", WORKSPACE_STACKS)
def test_grants_to_config_named_principals_and_no_other_sit_in_the_access_grants_component(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    # The policy pack exempts a privileged grant only when its parent is this component.
    run = stack_runs[stack]
    access = only(run, "mlops:access:AccessGrants")
    assert access.parent == only(run, "mlops:workspace:WorkspaceStack").urn
    named = config_principals(run)
    assert named
    configured = json.loads(run.config["mlops:access"])
    granted = {
        (r.inputs["principalId"], r.inputs["roleDefinitionId"].rsplit("/", 1)[1])
        for r in of_type(run, "authorization:RoleAssignment")
        if r.parent == access.urn
    }
    assert {(g["principalId"], BUILT_IN_ROLES[g["role"]]) for g in configured} <= granted
    for role in of_type(run, "authorization:RoleAssignment"):
        in_access = role.parent == access.urn
        assert in_access == (role.inputs["principalId"] in named), role.name
        assert role.inputs["description"].startswith("mlops:access ") == in_access, role.name


DATA_BEARING = (
    "resources:ResourceGroup",
    "storage:StorageAccount",
    "keyvault:Vault",
    "containerregistry:Registry",
    "operationalinsights:Workspace",
    "machinelearningservices:Workspace",
    "random:index/randomString:RandomString",
)


def test_prod_protects_every_data_bearing_resource(stack_runs: dict[str, ProgramRun]) -> None:
    run = stack_runs["prod"]
    data = [r for r in run.resources if r.type.endswith(DATA_BEARING)]
    assert len(data) == len(DATA_BEARING)
    assert all(r.protect for r in data), [r.name for r in data if not r.protect]


LOCKED = (
    "storage:StorageAccount",
    "keyvault:Vault",
    "containerregistry:Registry",
    "operationalinsights:Workspace",
)


def test_prod_locks_each_data_bearing_resource_itself(stack_runs: dict[str, ProgramRun]) -> None:
    run = stack_runs["prod"]
    locks = of_type(run, "authorization:ManagementLockByScope")
    assert sorted(lock.inputs["scope"] for lock in locks) == sorted(
        only(run, kind).id for kind in LOCKED
    )
    for lock in locks:
        assert lock.inputs["level"] == "CanNotDelete"
        assert lock.inputs["lockName"] == "mlops-do-not-delete"
        assert lock.protect


@pytest.mark.parametrize("stack", STACKS)
def test_no_stack_locks_its_resource_group(stack_runs: dict[str, ProgramRun], stack: str) -> None:
    # A resource group lock stops compute clusters scaling in and blocks removing role grants.
    run = stack_runs[stack]
    group = only(run, "resources:ResourceGroup")
    assert of_type(run, "ManagementLockAtResourceGroupLevel") == []
    assert all(lock.inputs["scope"] != group.id for lock in of_type(run, "ManagementLockByScope"))


@pytest.mark.parametrize("stack", ["dev", "qa"])
def test_unprotected_stacks_can_be_torn_down(stack_runs: dict[str, ProgramRun], stack: str) -> None:
    run = stack_runs[stack]
    assert not [r.name for r in run.resources if r.protect]
    assert [r.name for r in run.resources if "ManagementLock" in r.type] == []


@pytest.mark.parametrize("stack", STACKS)
def test_every_resource_is_parented_to_a_component_or_the_stack(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    components = {r.urn for r in run.resources if not r.custom}
    for resource in run.resources:
        if resource.custom and resource.type != "random:index/randomString:RandomString":
            assert resource.parent in components, resource.name


@pytest.mark.parametrize("stack", STACKS)
def test_children_are_named_after_their_component(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    by_urn = run.by_urn()
    for resource in run.resources:
        parent = by_urn.get(resource.parent)
        if parent is not None:
            assert resource.name.startswith(f"{parent.name}-"), resource.name


@pytest.mark.parametrize("stack", WORKSPACE_STACKS)
def test_workspace_waits_for_every_dependency_it_links(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    workspace = only(run, "machinelearningservices:Workspace")
    linked = {
        only(run, suffix).urn
        for suffix in (
            "storage:StorageAccount",
            "keyvault:Vault",
            "applicationinsights:Component",
            "containerregistry:Registry",
        )
    }
    assert linked <= set(workspace.dependencies)


@pytest.mark.parametrize("stack", WORKSPACE_STACKS)
def test_datastore_roles_wait_for_the_workspace_identity(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    workspace = only(run, "machinelearningservices:Workspace")
    datastore_roles = [
        r
        for r in of_type(run, "authorization:RoleAssignment")
        if r.name.startswith("datastores-") and "/containers/" in r.inputs["scope"]
    ]
    assert len(datastore_roles) == 2
    assert all(workspace.urn in r.dependencies for r in datastore_roles)


@pytest.mark.parametrize("stack", STACKS)
def test_nothing_is_retained_on_delete(stack_runs: dict[str, ProgramRun], stack: str) -> None:
    # Protection, not retainOnDelete, guards data: a deliberate destroy leaves no orphans. Only
    # the attachment of another team's AKS cluster is never deleted by the program (see
    # components/kubernetes_compute.py): it goes with the workspace, or is detached by hand.
    assert not [
        r.name
        for r in stack_runs[stack].resources
        if r.retain_on_delete and get_path(r.inputs, "properties.computeType") != "Kubernetes"
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_name_suffix_is_lowercase_alphanumeric_with_at_least_one_letter(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    suffix = only(stack_runs[stack], "random:index/randomString:RandomString").inputs
    assert suffix["length"] == 6
    assert suffix["special"] is False
    assert suffix["upper"] is False
    assert suffix["minLower"] == 1


# ------------------------------------------------ a stack named other than its environment

RENAMED: Final = ROOT / "tests" / "fixtures" / "renamed"
# Resources whose names Azure wants unique (globally, or per resource group or region).
UNIQUE_NAMED: Final = (
    "resources:ResourceGroup",
    "storage:StorageAccount",
    "keyvault:Vault",
    "operationalinsights:Workspace",
    "applicationinsights:Component",
    "machinelearningservices:Workspace",
    "monitor:ActionGroup",
    "consumption:Budget",
)


@pytest.fixture(scope="module")
def staging() -> ProgramRun:
    """A qa stack named staging (tests/fixtures/renamed/Pulumi.staging.yaml)."""
    return cached_run("staging", root=RENAMED)


def test_a_stack_named_other_than_its_environment_is_tagged_as_its_environment(
    staging: ProgramRun,
) -> None:
    taggable = [r for r in staging.resources if r.custom and "tags" in r.inputs]
    assert taggable
    assert {r.inputs["tags"]["environment"] for r in taggable} == {"qa"}
    assert staging.outputs["environment"] == "qa"


def test_a_stack_named_other_than_its_environment_gets_names_of_its_own(
    staging: ProgramRun, stack_runs: dict[str, ProgramRun]
) -> None:
    # Both runs have the same mock suffix: only the stack's label tells the names apart.
    qa = stack_runs["qa"]
    for kind in UNIQUE_NAMED:
        name = only(staging, kind).physical_name or ""
        assert "staging" in name, name
        assert name != only(qa, kind).physical_name
    staging_roles = {r.inputs["roleAssignmentName"] for r in of_type(staging, "RoleAssignment")}
    qa_roles = {r.inputs["roleAssignmentName"] for r in of_type(qa, "RoleAssignment")}
    assert staging_roles
    assert not staging_roles & qa_roles


def test_a_stack_named_other_than_its_environment_is_told_apart_in_the_studio(
    staging: ProgramRun, stack_runs: dict[str, ProgramRun]
) -> None:
    workspace = "machinelearningservices:Workspace"
    assert only(staging, workspace).inputs["friendlyName"] == "MLOps qa (staging)"
    assert only(stack_runs["qa"], workspace).inputs["friendlyName"] == "MLOps qa"


def test_a_stack_named_other_than_its_environment_follows_its_environments_rules(
    staging: ProgramRun,
) -> None:
    assert only(staging, "operationalinsights:Workspace").inputs["retentionInDays"] == 30
    assert check(staging).violations == ()


@pytest.mark.parametrize(
    ("stack", "environment", "storage"),
    [("prod", "prod", "stcontosoprodsfx0x1"), ("prod-eu", "prod", "stcontosoprodeusfx0x1")],
)
def test_physical_names_carry_the_stack_names_letters_and_digits(
    stack: str, environment: str, storage: str
) -> None:
    names = Names(prefix="contoso", environment=environment, stack=stack)
    assert names.storage_account(MOCK_SUFFIX) == storage
    assert names.resource_group == f"rg-contoso-mlops-{stack}"


def prod_settings(stack: str, prefix: str) -> settings.Settings:
    config, secret_keys = stack_config("prod", FIXTURE_STACKS)
    return settings.load(
        {**config, "mlops:prefix": prefix}, project=PROJECT, stack=stack, secret_keys=secret_keys
    )


def test_a_prefix_that_fits_with_the_stack_name_is_accepted() -> None:
    loaded = prod_settings("prod-eu", "contosop")
    assert loaded.environment == "prod"
    assert loaded.profile.protect
    assert len(loaded.names.key_vault(MOCK_SUFFIX)) == 24


def test_a_prefix_too_long_for_the_stack_name_is_refused_with_the_length_that_fits() -> None:
    with pytest.raises(settings.SettingsError) as refused:
        prod_settings("prod-eu", "contosopl")
    (problem,) = refused.value.problems
    assert problem.startswith("mlops:prefix: 'contosopl' with stack 'prod-eu'")
    assert "Key Vault name kv-contosoplprodeu-xxxxxx has 25 characters, Azure allows 24" in problem
    assert problem.endswith("use a prefix of at most 8 characters")


def test_a_prefix_giving_a_33_character_azure_ml_registry_name_is_refused_naming_it() -> None:
    # Microsoft Learn allows 32 characters; the REST spec's pattern would allow 33.
    with pytest.raises(settings.SettingsError) as refused:
        prod_settings("prod-euwest1", "contosomlx")
    (problem,) = refused.value.problems
    registry = "mlr-contosomlx-prodeuwest1-" + "x" * SUFFIX_LENGTH
    assert len(registry) == 33
    assert f"the Azure ML registry name {registry} has 33 characters, Azure allows 32" in problem


def test_a_stack_name_too_long_for_any_prefix_is_refused_with_the_length_that_fits() -> None:
    with pytest.raises(settings.SettingsError) as refused:
        prod_settings("production-westeurope", "ab")
    (problem,) = refused.value.problems
    assert problem.startswith("mlops:prefix: 'ab' with stack 'production-westeurope'")
    assert "action group short name" in problem
    assert problem.endswith("use a stack name with at most 10 letters and digits")
