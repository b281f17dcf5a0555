"""Every identity gets exactly the roles it needs: the access matrix, run through the program.

The stacks here are built from configs of their own: a datastore in another subscription (and a
writable one), a training cluster, a batch endpoint, an online endpoint, a data-scientist group,
a group that opted out of data access, a compute instance's user and the release pipeline. Each
identity's role assignments are compared, as sets, with what the matrix says it needs.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any, Final

import pytest

from components.access import (
    AS_CONFIGURED,
    MATRIX,
    PRINCIPALS,
    SCOPES,
    Holder,
    Target,
    Targets,
    resolve,
)
from offline.engine import MOCK_SUBSCRIPTION_ID, ProgramRun, Resource
from settings.roles import ACCESS_SCOPES, BUILT_IN_ROLES
from tests.conftest import STACKS, WORKSPACE_STACKS, of_type, only, pulumi_config
from tests.run_cache import cached_run

DATA_SUB: Final = "00000000-0000-0000-0000-0000000000aa"
CRM_SUB: Final = "00000000-0000-0000-0000-0000000000bb"
SHARED_SUB: Final = "00000000-0000-0000-0000-0000000000cc"
RAW_ACCOUNT: Final = (
    f"/subscriptions/{DATA_SUB}/resourceGroups/rg-data/providers/Microsoft.Storage"
    "/storageAccounts/stdata"
)
CURATED_ACCOUNT: Final = (
    f"/subscriptions/{CRM_SUB}/resourceGroups/rg-crm/providers/Microsoft.Storage"
    "/storageAccounts/stcrm"
)
# The datastores' containers: each a scope of its own, in its account's subscription.
RAW: Final = f"{RAW_ACCOUNT}/blobServices/default/containers/raw"
CURATED: Final = f"{CURATED_ACCOUNT}/blobServices/default/containers/curated"
SCIENTISTS: Final = "00000000-0000-0000-0000-00000000d5a1"
ANALYSTS: Final = "00000000-0000-0000-0000-00000000a2a1"
ALICE: Final = "00000000-0000-0000-0000-0000000a11ce"
PIPELINE: Final = "00000000-0000-0000-0000-0000000000c1"
ROLE_NAMES: Final = {guid: name for name, guid in BUILT_IN_ROLES.items()}

# A dev stack with one of every kind of principal the matrix knows.
CONFIG: Final[Mapping[str, Any]] = {
    "azure-native:location": "westeurope",
    "mlops:environment": "dev",
    "mlops:prefix": "acme",
    "mlops:alerts": {"emails": ["ml-platform@acme.example"]},
    "mlops:containerRegistry": {"mode": "create"},
    "mlops:access": [
        {"principalId": SCIENTISTS, "principalType": "Group", "role": "AzureML Data Scientist"},
        {
            "principalId": ANALYSTS,
            "principalType": "Group",
            "role": "AzureML Data Scientist",
            "dataAccess": False,
        },
    ],
    "mlops:releasePipeline": {"principalId": PIPELINE},
    "mlops:datastores": [
        {
            "name": "raw",
            "storageAccountId": RAW_ACCOUNT,
            "kind": "adlsGen2",
            "container": "raw",
        },
        {
            "name": "curated",
            "storageAccountId": CURATED_ACCOUNT,
            "container": "curated",
            "readOnly": False,
        },
    ],
    "mlops:computeInstances": [
        {"name": "ds-alice", "vmSize": "Standard_DS3_v2", "assignedUserObjectId": ALICE}
    ],
    "mlops:computeClusters": [{"name": "train", "vmSize": "Standard_DS3_v2", "maxNodes": 2}],
    "mlops:endpoints": [
        {"name": "score", "kind": "online"},
        {"name": "prep", "kind": "batch", "cluster": {"vmSize": "Standard_DS3_v2", "maxNodes": 2}},
    ],
}


@pytest.fixture(scope="module")
def run() -> ProgramRun:
    return cached_run("dev", config=pulumi_config(CONFIG))


def role_name(assignment: Resource) -> str:
    return ROLE_NAMES[assignment.inputs["roleDefinitionId"].rsplit("/", 1)[1]]


def roles_of(run: ProgramRun, principal: str) -> set[tuple[str, str]]:
    return {
        (role_name(r), r.inputs["scope"])
        for r in of_type(run, "authorization:RoleAssignment")
        if r.inputs["principalId"] == principal
    }


def identity(resource: Resource) -> str:
    return resource.outputs["identity"]["principalId"]


def compute(run: ProgramRun, name: str) -> Resource:
    return next(
        r
        for r in of_type(run, "machinelearningservices:Compute")
        if r.inputs["computeName"] == name
    )


def job_roles(storage: str) -> set[tuple[str, str]]:
    return {
        ("Storage Blob Data Reader", RAW),
        ("Storage Blob Data Contributor", CURATED),
        ("Storage Blob Data Contributor", storage),
        ("Storage Queue Data Contributor", storage),
        ("Storage Table Data Contributor", storage),
    }


# ---------------------------------------------------------------- each identity, exactly


def test_workspace_identity_reads_each_datastore_for_previews(run: ProgramRun) -> None:
    workspace = only(run, "machinelearningservices:Workspace")
    assert {
        ("Storage Blob Data Reader", RAW),
        ("Storage Blob Data Contributor", CURATED),
    } <= roles_of(run, identity(workspace))


def test_workspace_identity_approves_its_private_endpoints_to_each_datastore_account(
    run: ProgramRun,
) -> None:
    # Since 30 April 2025 Azure ML no longer grants it itself (how-to-managed-network).
    workspace = only(run, "machinelearningservices:Workspace")
    approver = "Azure AI Enterprise Network Connection Approver"
    assert {(approver, RAW_ACCOUNT), (approver, CURATED_ACCOUNT)} <= roles_of(
        run, identity(workspace)
    )


def test_compute_cluster_reads_datastores_and_writes_the_workspace_storage(
    run: ProgramRun,
) -> None:
    storage = only(run, "storage:StorageAccount").id
    assert roles_of(run, identity(compute(run, "train"))) == job_roles(storage)


def test_batch_endpoint_cluster_has_the_same_job_roles(run: ProgramRun) -> None:
    storage = only(run, "storage:StorageAccount").id
    assert roles_of(run, identity(compute(run, "prep-batch"))) == job_roles(storage)


def test_online_endpoint_gets_nothing_from_the_program(run: ProgramRun) -> None:
    # Azure ML grants its system-assigned identity AcrPull and Storage Blob Data Reader itself.
    online = only(run, "machinelearningservices:OnlineEndpoint")
    assert roles_of(run, identity(online)) == set()


def test_data_scientist_group_gets_the_studio_notebook_and_datastore_roles(
    run: ProgramRun,
) -> None:
    storage = only(run, "storage:StorageAccount").id
    workspace = only(run, "machinelearningservices:Workspace").id
    assert roles_of(run, SCIENTISTS) == {
        ("AzureML Data Scientist", workspace),
        ("Storage Blob Data Contributor", storage),
        ("Storage File Data Privileged Contributor", storage),
        ("Storage Blob Data Reader", RAW),
        ("Storage Blob Data Contributor", CURATED),
    }


def test_data_access_false_opts_a_data_scientist_entry_out_of_the_data_roles(
    run: ProgramRun,
) -> None:
    workspace = only(run, "machinelearningservices:Workspace").id
    assert roles_of(run, ANALYSTS) == {("AzureML Data Scientist", workspace)}


def test_compute_instance_user_can_use_notebooks_and_read_datastores(run: ProgramRun) -> None:
    storage = only(run, "storage:StorageAccount").id
    assert roles_of(run, ALICE) == {
        ("Storage Blob Data Contributor", storage),
        ("Storage File Data Privileged Contributor", storage),
        ("Storage Blob Data Reader", RAW),
        ("Storage Blob Data Contributor", CURATED),
    }


def test_release_pipeline_deploys_models_and_invokes_batch_endpoints(run: ProgramRun) -> None:
    storage = only(run, "storage:StorageAccount").id
    workspace = only(run, "machinelearningservices:Workspace").id
    assert roles_of(run, PIPELINE) == {
        ("AzureML Data Scientist", workspace),
        ("Storage Blob Data Contributor", storage),
        ("Storage Blob Data Reader", RAW),
        ("Storage Blob Data Contributor", CURATED),
    }


def test_no_role_assignment_goes_to_anyone_else(run: ProgramRun) -> None:
    holders = {
        identity(only(run, "machinelearningservices:Workspace")),
        identity(compute(run, "train")),
        identity(compute(run, "prep-batch")),
        identity(compute(run, "image-builder")),
        SCIENTISTS,
        ANALYSTS,
        ALICE,
        PIPELINE,
    }
    principals = {r.inputs["principalId"] for r in of_type(run, "authorization:RoleAssignment")}
    assert principals == holders


def test_people_and_pipelines_sit_in_the_access_grants_component(run: ProgramRun) -> None:
    access = only(run, "mlops:access:AccessGrants")
    for role in of_type(run, "authorization:RoleAssignment"):
        config_named = role.inputs["principalId"] in {SCIENTISTS, ANALYSTS, ALICE, PIPELINE}
        assert (role.parent == access.urn) == config_named, role.name
        assert role.inputs["description"].startswith("mlops:access ") == config_named


# ---------------------------------------------------------------- every stack


@pytest.fixture(scope="module")
def runs(stack_runs: dict[str, ProgramRun], run: ProgramRun) -> dict[str, ProgramRun]:
    return {**stack_runs, "fixture": run}


@pytest.mark.parametrize("name", [*STACKS, "fixture"])
def test_azure_never_sees_the_same_assignment_twice(runs: dict[str, ProgramRun], name: str) -> None:
    # Two assignments of one role on one scope to one principal: RoleAssignmentExists.
    found = Counter(
        (r.inputs["principalId"], role_name(r), r.inputs["scope"].casefold())
        for r in of_type(runs[name], "authorization:RoleAssignment")
    )
    assert [key for key, count in found.items() if count > 1] == []


@pytest.mark.parametrize("name", [*STACKS, "fixture"])
def test_every_role_definition_is_named_in_its_scopes_subscription(
    runs: dict[str, ProgramRun], name: str
) -> None:
    for role in of_type(runs[name], "authorization:RoleAssignment"):
        scope_sub = role.inputs["scope"].split("/")[2]
        assert role.inputs["roleDefinitionId"].startswith(f"/subscriptions/{scope_sub}/"), role.name


@pytest.mark.parametrize("name", [*STACKS, "fixture"])
def test_no_cluster_gets_acr_pull_from_the_program(runs: dict[str, ProgramRun], name: str) -> None:
    # Azure ML grants it to a cluster created after the workspace registry: a second grant
    # would fail the first `pulumi up` with RoleAssignmentExists.
    assert [
        r.name for r in of_type(runs[name], "RoleAssignment") if role_name(r) == "AcrPull"
    ] == []


@pytest.mark.parametrize("name", [*WORKSPACE_STACKS, "fixture"])
def test_clusters_come_after_the_registry_azure_ml_grants_them_pull_on(
    runs: dict[str, ProgramRun], name: str
) -> None:
    """Azure ML grants AcrPull only to a cluster created after the workspace registry."""
    run = runs[name]
    workspace = only(run, "machinelearningservices:Workspace")
    registry = only(run, "containerregistry:Registry")
    assert workspace.inputs["containerRegistry"] == registry.id
    clusters = [
        c
        for c in of_type(run, "machinelearningservices:Compute")
        if c.inputs["properties"]["computeType"] == "AmlCompute"
    ]
    assert clusters
    assert all(workspace.urn in c.dependencies for c in clusters)


# ---------------------------------------------------------------- adopted resources elsewhere

ADOPTED: Final = {
    **CONFIG,
    "mlops:keyVault": {
        "existingId": f"/subscriptions/{SHARED_SUB}/resourceGroups/rg-shared/providers"
        "/Microsoft.KeyVault/vaults/kv-shared-acme"
    },
    "mlops:containerRegistry": {
        "mode": "existing",
        "existingId": f"/subscriptions/{SHARED_SUB}/resourceGroups/rg-shared/providers"
        "/Microsoft.ContainerRegistry/registries/crsharedacme",
    },
    "mlops:access": [
        *CONFIG["mlops:access"],
        {"principalId": PIPELINE, "principalType": "ServicePrincipal", "role": "AcrPush"},
        {"principalId": SCIENTISTS, "principalType": "Group", "role": "Key Vault Secrets User"},
    ],
}


def test_grants_on_adopted_resources_name_the_role_in_their_own_subscription() -> None:
    run = cached_run("dev", config=pulumi_config(ADOPTED))
    elsewhere = [
        r
        for r in of_type(run, "authorization:RoleAssignment")
        if r.inputs["scope"].startswith(f"/subscriptions/{SHARED_SUB}/")
    ]
    # mlops:access's AcrPush and Key Vault Secrets User, and the image build cluster's AcrPush.
    assert sorted(role_name(r) for r in elsewhere) == [
        "AcrPush",
        "AcrPush",
        "Key Vault Secrets User",
    ]
    for role in elsewhere:
        assert role.inputs["roleDefinitionId"].startswith(f"/subscriptions/{SHARED_SUB}/")
    assert MOCK_SUBSCRIPTION_ID != SHARED_SUB


def test_a_principal_named_twice_gets_each_role_once() -> None:
    # Alice also in mlops:access as a data scientist; the pipeline also listed as one.
    config = {
        **CONFIG,
        "mlops:access": [
            *CONFIG["mlops:access"],
            {"principalId": ALICE, "principalType": "User", "role": "AzureML Data Scientist"},
            {
                "principalId": PIPELINE,
                "principalType": "ServicePrincipal",
                "role": "AzureML Data Scientist",
                "dataAccess": False,
            },
        ],
    }
    run = cached_run("dev", config=pulumi_config(config))
    for principal, count in ((ALICE, 5), (PIPELINE, 4)):
        found = [r for r in of_type(run, "RoleAssignment") if r.inputs["principalId"] == principal]
        assert len(found) == len({(role_name(r), r.inputs["scope"]) for r in found}) == count


# ---------------------------------------------------------------- the table itself


def test_the_program_grants_only_built_in_roles_it_knows() -> None:
    for row in MATRIX:
        if not row.by_azure and row.role != AS_CONFIGURED:
            assert row.role in BUILT_IN_ROLES, row


def test_every_row_names_its_microsoft_learn_source() -> None:
    for row in MATRIX:
        assert row.sources
        assert all(re.fullmatch(r"https://learn\.microsoft\.com/\S+", url) for url in row.sources)


def test_every_kind_of_principal_and_scope_is_described() -> None:
    for row in MATRIX:
        assert row.scope in SCOPES
        assert all(principal in PRINCIPALS for principal in row.principals)
    assert {p for row in MATRIX for p in row.principals} == set(PRINCIPALS)


def test_every_grantable_role_is_a_built_in_role() -> None:
    assert set(ACCESS_SCOPES) <= set(BUILT_IN_ROLES)


def holder(kind: Any, principal: str = SCIENTISTS, **extra: Any) -> Holder:
    return Holder(kind, principal, "Group", key=principal, label=principal, name="x", **extra)


STORAGE_TARGET: Final = Target("st", "sub", key="storage", label="storage", name="storage")


def test_two_rows_asking_for_one_assignment_give_one_grant_with_both_reasons() -> None:
    holders = [
        holder("dataScientist"),
        holder("accessEntry", configured=("Storage Blob Data Contributor", "storage")),
    ]
    grants = resolve(holders, Targets({"storage": (STORAGE_TARGET,)}))
    blob = [g for g in grants if g.role == "Storage Blob Data Contributor"]
    assert len(blob) == 1
    assert blob[0].reasons[1] == "as configured"


def test_azure_granted_rows_are_never_resolved() -> None:
    cluster = Holder("computeCluster", "id", "ServicePrincipal", key="c", label="c", name="c")
    registry = Target("acr", "sub", key="registry", label="registry", name="registry")
    grants = resolve([cluster], Targets({"registry": (registry,)}))
    assert grants == []


def test_an_entry_naming_a_scope_the_stack_lacks_is_a_program_error() -> None:
    entry = holder("accessEntry", configured=("AcrPull", "registry"))
    with pytest.raises(ValueError, match="no registry"):
        resolve([entry], Targets())
