"""Each component on its own, under mocks: its children and every property it promises."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pytest
from pulumi.runtime.mocks import MockMonitor

from components.access import Targets, stack_targets
from components.access_grants import people
from components.context import StackContext, WorkspacePlacement
from components.datastore_links import DatastoreLinks, DatastoreLinksArgs
from components.dev_compute import DevCompute, DevComputeArgs
from components.endpoints import Endpoints, EndpointsArgs
from components.environment_group import EnvironmentGroup, EnvironmentGroupArgs
from components.roles import assignment_guid
from components.shared_key_vault import SharedKeyVault, SharedKeyVaultArgs
from components.shared_stack import Adopted
from components.workspace_stack import WorkspaceStack, WorkspaceStackArgs
from offline.engine import MOCK_SUFFIX, ProgramRun, evaluate
from settings.names import ArmId, Names
from settings.roles import BUILT_IN_ROLES
from settings.schema import (
    AccessGrant,
    ComputeClusterSettings,
    ComputeInstanceSettings,
    DatastoreSettings,
    EndpointSettings,
    NetworkSettings,
    RegistrySettings,
    ScheduleSettings,
    StorageSettings,
)
from tests.conftest import of_type, only

NAMES = Names(prefix="contoso", environment="dev", stack="dev")
TAGS = {"environment": "dev", "managedBy": "pulumi"}
SUB = "00000000-0000-0000-0000-0000000000aa"
STACK_SUB = "00000000-0000-0000-0000-000000000001"
RG_ID = f"/subscriptions/{STACK_SUB}/resourceGroups/rg"
VAULT_ID = f"{RG_ID}/providers/Microsoft.KeyVault/vaults/kv-shared-example"
REGISTRY_ID = f"{RG_ID}/providers/Microsoft.ContainerRegistry/registries/crsharedexample"
STORAGE_ID = f"{RG_ID}/providers/Microsoft.Storage/storageAccounts/stworkspace"
WORKSPACE_ID = f"{RG_ID}/providers/Microsoft.MachineLearningServices/workspaces/mlw"
LOGS_ID = f"{RG_ID}/providers/Microsoft.OperationalInsights/workspaces/log"


def suffix() -> pulumi.Output[str]:
    return pulumi.Output.from_input(MOCK_SUFFIX)


def stack_context(protect: bool = False) -> StackContext:
    """What __main__.py would pass (call it inside a program: the suffix is an Output)."""
    return StackContext(
        location="westeurope",
        tags=TAGS,
        tenant_id="00000000-0000-0000-0000-000000000002",
        subscription_id="00000000-0000-0000-0000-000000000001",
        resource_group_name="rg",
        resource_group_id=RG_ID,
        names=NAMES,
        name_suffix=suffix(),
        assignment_seed="mlops/test",
        protect=protect,
    )


def arm(resource_id: str) -> ArmId:
    parts = resource_id.split("/")
    return ArmId(
        id=resource_id,
        subscription_id=parts[2],
        resource_group=parts[4],
        provider=f"{parts[6]}/{parts[7]}",
        name=parts[8],
    )


def component_children(run: ProgramRun, component_type: str) -> list[str]:
    component = only(run, component_type)
    return [r.type for r in run.resources if r.parent == component.urn]


def assert_all_parented(run: ProgramRun, component_type: str) -> None:
    component = only(run, component_type)
    custom = [r for r in run.resources if r.custom]
    assert custom
    assert all(r.parent == component.urn for r in custom), [r.name for r in custom]


# ---------------------------------------------------------------- StackContext


def granted(subscription_id: str | None = None) -> Callable[[], object]:
    def body() -> None:
        parent = pulumi.ComponentResource("mlops:test:Parent", "p")
        stack_context().grant(
            "p-role",
            role="AcrPull",
            scope=REGISTRY_ID,
            scope_label="registry",
            principal_id="11111111-1111-1111-1111-111111111111",
            principal_label="someone",
            principal_type="ServicePrincipal",
            parent=parent,
            description="AcrPull for someone",
            subscription_id=subscription_id,
        )

    return body


def test_grant_names_the_assignment_after_seed_scope_principal_and_role() -> None:
    run = evaluate(granted())
    role = only(run, "authorization:RoleAssignment")
    # Changing this GUID would make Azure see a new assignment: it must never change.
    assert role.inputs["roleAssignmentName"] == "bfc5656d-ffb3-56bc-92f4-6e35afc2b4a5"
    assert role.inputs["roleAssignmentName"] == assignment_guid(
        "mlops/test", "registry", "someone", BUILT_IN_ROLES["AcrPull"]
    )
    assert role.inputs["scope"] == REGISTRY_ID
    assert role.inputs["principalType"] == "ServicePrincipal"
    assert role.inputs["description"] == "AcrPull for someone"
    assert role.parent == only(run, "mlops:test:Parent").urn


def test_grant_addresses_the_role_in_the_stack_subscription_by_default() -> None:
    role = only(evaluate(granted()), "authorization:RoleAssignment").inputs
    assert role["roleDefinitionId"] == (
        "/subscriptions/00000000-0000-0000-0000-000000000001/providers/"
        f"Microsoft.Authorization/roleDefinitions/{BUILT_IN_ROLES['AcrPull']}"
    )


def test_grant_addresses_the_role_in_the_subscription_that_holds_the_scope() -> None:
    role = only(evaluate(granted(SUB)), "authorization:RoleAssignment").inputs
    assert role["roleDefinitionId"].startswith(f"/subscriptions/{SUB}/providers/")


# ---------------------------------------------------------------- EnvironmentGroup


def group(protect: bool) -> Callable[[], object]:
    return lambda: EnvironmentGroup(
        "env",
        EnvironmentGroupArgs(name="rg-x", location="westeurope", tags=TAGS, protect=protect),
    )


def test_environment_group_creates_a_tagged_resource_group() -> None:
    run = evaluate(group(False))
    assert_all_parented(run, "mlops:group:EnvironmentGroup")
    rg = only(run, "resources:ResourceGroup")
    assert rg.inputs == {"resourceGroupName": "rg-x", "location": "westeurope", "tags": TAGS}


def test_protected_environment_group_is_protected_but_never_locked() -> None:
    # A lock on the group would stop compute clusters from scaling in: its resources lock instead.
    run = evaluate(group(True))
    assert only(run, "resources:ResourceGroup").protect
    assert [r.type for r in run.resources if "Lock" in r.type] == []


# ---------------------------------------------------------------- targets (the access matrix)


def targets(
    context: StackContext,
    datastores: tuple[DatastoreSettings, ...] = (),
    registry: str | None = REGISTRY_ID,
) -> Targets:
    """The scopes a stack would give its components (call it inside a program)."""
    return stack_targets(
        context,
        {
            "workspace": WORKSPACE_ID,
            "resourceGroup": RG_ID,
            "storage": STORAGE_ID,
            "logAnalytics": LOGS_ID,
        },
        key_vault=(VAULT_ID, STACK_SUB),
        registry=None if registry is None else (registry, STACK_SUB),
        datastores=datastores,
    )


def grants_of(run: ProgramRun, principal: str) -> set[tuple[str, str]]:
    """(role name, scope) of every role assignment to ``principal``."""
    names = {guid: name for name, guid in BUILT_IN_ROLES.items()}
    return {
        (names[r.inputs["roleDefinitionId"].rsplit("/", 1)[1]], r.inputs["scope"])
        for r in of_type(run, "authorization:RoleAssignment")
        if r.inputs["principalId"] == principal
    }


# ---------------------------------------------------------------- SharedKeyVault


def adopted(arm: ArmId | None) -> Adopted | None:
    """What the shared stack component hands components for an ID config gives."""
    return Adopted(arm.id, arm.name, arm.subscription_id) if arm else None


def vault(
    existing: ArmId | None = None, deny: bool = False, protect: bool = False
) -> Callable[[], object]:
    def body() -> None:
        kv = SharedKeyVault(
            "kv",
            stack_context(protect=protect),
            SharedKeyVaultArgs(deny_public_network=deny, existing=adopted(existing)),
        )
        pulumi.export("id", kv.id)
        pulumi.export("name", kv.name)
        pulumi.export("uri", kv.uri)

    return body


@pytest.fixture(scope="module")
def vault_run() -> ProgramRun:
    """A created vault, default arguments: evaluated once for the tests that read it."""
    return evaluate(vault())


def test_created_vault_uses_rbac_purge_protection_and_90_day_soft_delete(
    vault_run: ProgramRun,
) -> None:
    assert_all_parented(vault_run, "mlops:keyvault:SharedKeyVault")
    props = only(vault_run, "keyvault:Vault").inputs["properties"]
    assert props["enableRbacAuthorization"] is True
    assert props["enablePurgeProtection"] is True
    assert props["enableSoftDelete"] is True
    assert props["softDeleteRetentionInDays"] == 90
    assert "accessPolicies" not in props  # RBAC only, no access policies


def test_created_vault_has_a_globally_unique_name_within_azure_limits(
    vault_run: ProgramRun,
) -> None:
    name = only(vault_run, "keyvault:Vault").inputs["vaultName"]
    assert name == f"kv-contosodev-{MOCK_SUFFIX}"
    assert 3 <= len(name) <= 24


def test_longest_prefix_still_gives_a_valid_vault_name() -> None:
    assert (
        len(Names(prefix="abcdefghij", environment="prod", stack="prod").key_vault(MOCK_SUFFIX))
        == 24
    )


@pytest.mark.parametrize(("deny", "action"), [(True, "Deny"), (False, "Allow")])
def test_vault_network_acl_follows_the_network_mode(deny: bool, action: str) -> None:
    acls = only(evaluate(vault(deny=deny)), "keyvault:Vault").inputs["properties"]["networkAcls"]
    assert acls == {"defaultAction": action, "bypass": "AzureServices"}


def test_created_vault_exposes_id_name_and_uri(vault_run: ProgramRun) -> None:
    outputs = vault_run.outputs
    assert outputs["name"] == f"kv-contosodev-{MOCK_SUFFIX}"
    assert outputs["id"].endswith(f"/vaults/kv-contosodev-{MOCK_SUFFIX}")
    assert outputs["uri"] == f"https://kv-contosodev-{MOCK_SUFFIX}.vault.azure.net/"


def test_protected_created_vault_carries_a_delete_lock_of_its_own() -> None:
    run = evaluate(vault(protect=True))
    lock = only(run, "authorization:ManagementLockByScope")
    assert lock.inputs["scope"] == only(run, "keyvault:Vault").id
    assert lock.inputs["level"] == "CanNotDelete"
    assert lock.inputs["lockName"] == "mlops-do-not-delete"
    assert lock.protect


def test_unprotected_vault_is_not_locked() -> None:
    assert of_type(evaluate(vault()), "ManagementLockByScope") == []


def test_adopted_vault_is_neither_managed_nor_locked_here() -> None:
    run = evaluate(vault(existing=arm(VAULT_ID), protect=True))
    assert [r for r in run.resources if r.custom] == []


def test_adopting_an_existing_vault_creates_nothing() -> None:
    run = evaluate(vault(existing=arm(VAULT_ID)))
    assert [r for r in run.resources if r.custom] == []
    assert run.outputs == {
        "id": VAULT_ID,
        "name": "kv-shared-example",
        "uri": "https://kv-shared-example.vault.azure.net/",
    }


# ---------------------------------------------------------------- WorkspaceStack


def workspace(
    registry: RegistrySettings = RegistrySettings(mode="create", sku="Premium"),  # noqa: B008
    network: NetworkSettings = NetworkSettings(),  # noqa: B008
    access: tuple[AccessGrant, ...] = (),
    *,
    storage: StorageSettings = StorageSettings(replication="ZRS"),  # noqa: B008
    datastores: tuple[DatastoreSettings, ...] = (),
    protect: bool = False,
    log_retention_days: int = 30,
    blob_soft_delete_days: int = 7,
    blob_versioning: bool = False,
) -> Callable[[], object]:
    def body() -> None:
        stack = WorkspaceStack(
            "ml",
            stack_context(protect=protect),
            WorkspaceStackArgs(
                key_vault_id=VAULT_ID,
                key_vault_subscription_id=SUB,
                storage=storage,
                network=network,
                container_registry=registry,
                adopted_registry=adopted(registry.existing),
                people=people(access, (), None),
                datastores=datastores,
                log_retention_days=log_retention_days,
                blob_soft_delete_days=blob_soft_delete_days,
                blob_versioning=blob_versioning,
            ),
        )
        pulumi.export("registry", stack.registry_login_server)
        pulumi.export("studio", stack.studio_url)

    return body


@pytest.fixture(scope="module")
def workspace_run() -> ProgramRun:
    """The workspace stack, default arguments: evaluated once for the tests that read it."""
    return evaluate(workspace())


def test_workspace_stack_parents_all_children(workspace_run: ProgramRun) -> None:
    assert_all_parented(workspace_run, "mlops:workspace:WorkspaceStack")
    assert sorted(
        t.split(":")[-1] for t in component_children(workspace_run, "WorkspaceStack")
    ) == [
        "AccessGrants",
        "BlobServiceProperties",
        "Component",
        "DiagnosticSetting",
        "Registry",
        "StorageAccount",
        "Workspace",
        "Workspace",
    ]


def test_workspace_storage_is_hardened_general_purpose_v2(workspace_run: ProgramRun) -> None:
    account = only(workspace_run, "storage:StorageAccount").inputs
    assert account["kind"] == "StorageV2"
    assert account["sku"] == {"name": "Standard_ZRS"}
    assert account["minimumTlsVersion"] == "TLS1_2"
    assert account["enableHttpsTrafficOnly"] is True
    assert account["allowBlobPublicAccess"] is False
    assert account["allowSharedKeyAccess"] is False
    assert account["allowCrossTenantReplication"] is False
    assert account["encryption"]["requireInfrastructureEncryption"] is True
    assert "allowSharedKeyAccess" not in account["tags"]


def test_shared_key_access_is_an_explicit_opt_out_marked_on_the_account() -> None:
    storage = StorageSettings(replication="ZRS", shared_key_access=True)
    account = only(evaluate(workspace(storage=storage)), "storage:StorageAccount").inputs
    assert account["allowSharedKeyAccess"] is True
    assert account["tags"]["allowSharedKeyAccess"] == "true"
    # Whatever the account allows, the workspace keeps reading it with its identity.
    assert account["defaultToOAuthAuthentication"] is True


def test_workspace_storage_name_is_lowercase_alphanumeric_within_24(
    workspace_run: ProgramRun,
) -> None:
    name = only(workspace_run, "storage:StorageAccount").inputs["accountName"]
    assert name == f"stcontosodev{MOCK_SUFFIX}"
    assert name.isalnum() and name.islower() and len(name) <= 24
    assert (
        len(
            Names(prefix="abcdefghij", environment="prod", stack="prod").storage_account(
                MOCK_SUFFIX
            )
        )
        <= 24
    )


def test_blob_and_container_soft_delete_are_on(workspace_run: ProgramRun) -> None:
    blob = only(workspace_run, "storage:BlobServiceProperties").inputs
    assert blob["deleteRetentionPolicy"] == {"enabled": True, "days": 7}
    assert blob["containerDeleteRetentionPolicy"] == {"enabled": True, "days": 7}
    assert blob["isVersioningEnabled"] is False


def test_blob_service_keeps_versions_and_deleted_blobs_as_long_as_told() -> None:
    run = evaluate(workspace(blob_soft_delete_days=30, blob_versioning=True))
    blob = only(run, "storage:BlobServiceProperties").inputs
    assert blob["isVersioningEnabled"] is True
    assert blob["deleteRetentionPolicy"]["days"] == 30


def test_log_analytics_keeps_logs_as_long_as_told() -> None:
    logs = only(evaluate(workspace(log_retention_days=90)), "operationalinsights:Workspace")
    assert logs.inputs["retentionInDays"] == 90


def test_application_insights_is_workspace_based_on_log_analytics(
    workspace_run: ProgramRun,
) -> None:
    insights = only(workspace_run, "applicationinsights:Component").inputs
    logs = only(workspace_run, "operationalinsights:Workspace")
    assert insights["workspaceResourceId"] == logs.id
    assert insights["ingestionMode"] == "LogAnalytics"
    assert insights["kind"] == "web"


def test_workspace_uses_identity_everywhere_and_links_its_dependencies(
    workspace_run: ProgramRun,
) -> None:
    ws = only(workspace_run, "machinelearningservices:Workspace").inputs
    assert ws["identity"] == {"type": "SystemAssigned"}
    assert ws["systemDatastoresAuthMode"] == "Identity"
    assert ws["storageAccount"] == only(workspace_run, "storage:StorageAccount").id
    assert ws["keyVault"] == VAULT_ID
    assert ws["applicationInsights"] == only(workspace_run, "applicationinsights:Component").id
    assert ws["containerRegistry"] == only(workspace_run, "containerregistry:Registry").id
    assert ws["publicNetworkAccess"] == "Enabled"
    assert ws["managedNetwork"]["isolationMode"] == "AllowInternetOutbound"


def test_workspace_network_comes_from_config() -> None:
    network = NetworkSettings(isolation="allowOnlyApprovedOutbound")
    ws = only(evaluate(workspace(network=network)), "machinelearningservices:Workspace").inputs
    assert ws["publicNetworkAccess"] == "Enabled"
    assert ws["managedNetwork"]["isolationMode"] == "AllowOnlyApprovedOutbound"


def test_workspace_sends_its_logs_to_log_analytics(workspace_run: ProgramRun) -> None:
    diagnostics = only(workspace_run, "monitor:DiagnosticSetting").inputs
    assert diagnostics["resourceUri"] == only(workspace_run, "machinelearningservices:Workspace").id
    assert diagnostics["workspaceId"] == only(workspace_run, "operationalinsights:Workspace").id
    assert diagnostics["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]
    # Resource-specific tables, not the legacy AzureDiagnostics table.
    assert diagnostics["logAnalyticsDestinationType"] == "Dedicated"


def test_created_registry_has_admin_user_and_anonymous_pull_off(workspace_run: ProgramRun) -> None:
    registry = only(workspace_run, "containerregistry:Registry").inputs
    assert registry["adminUserEnabled"] is False
    assert registry["anonymousPullEnabled"] is False
    assert registry["sku"] == {"name": "Premium"}
    assert workspace_run.outputs["registry"] == f"crcontosodev{MOCK_SUFFIX}.azurecr.io"


def test_adopting_an_existing_registry_creates_none_and_links_it() -> None:
    run = evaluate(workspace(RegistrySettings(mode="existing", existing=arm(REGISTRY_ID))))
    assert of_type(run, "containerregistry:Registry") == []
    assert only(run, "machinelearningservices:Workspace").inputs["containerRegistry"] == REGISTRY_ID
    assert run.outputs["registry"] == "crsharedexample.azurecr.io"


def test_without_a_registry_the_workspace_links_none() -> None:
    run = evaluate(workspace(RegistrySettings(mode="none")))
    assert of_type(run, "containerregistry:Registry") == []
    assert "containerRegistry" not in only(run, "machinelearningservices:Workspace").inputs
    assert run.outputs["registry"] is None


GRANTS = (
    AccessGrant(
        principal_id="00000000-0000-0000-0000-0000000000d5",
        principal_type="Group",
        role="AzureML Data Scientist",
        scope="workspace",
    ),
    AccessGrant(
        principal_id="00000000-0000-0000-0000-0000000000d5",
        principal_type="Group",
        role="Reader",
        scope="resourceGroup",
    ),
)


@pytest.fixture(scope="module")
def grants_run() -> ProgramRun:
    """The workspace stack with two access grants: evaluated once for the tests that read it."""
    return evaluate(workspace(access=GRANTS))


def test_access_grants_become_role_assignments_on_their_scope(grants_run: ProgramRun) -> None:
    run = grants_run
    ws_id = only(run, "machinelearningservices:Workspace").id
    storage_id = only(run, "storage:StorageAccount").id
    assert grants_of(run, "00000000-0000-0000-0000-0000000000d5") == {
        ("AzureML Data Scientist", ws_id),
        ("Reader", RG_ID),
        # What a data scientist needs on Entra-ID-only storage comes with the role.
        ("Storage Blob Data Contributor", storage_id),
        ("Storage File Data Privileged Contributor", storage_id),
    }
    roles = of_type(run, "authorization:RoleAssignment")
    assert {r.inputs["principalType"] for r in roles} == {"Group"}


def test_access_grants_sit_in_their_own_component_under_the_workspace_stack(
    grants_run: ProgramRun,
) -> None:
    stack = only(grants_run, "mlops:workspace:WorkspaceStack")
    access = only(grants_run, "mlops:access:AccessGrants")
    assert access.name == "ml-access"
    assert access.parent == stack.urn
    roles = of_type(grants_run, "authorization:RoleAssignment")
    assert len(roles) == 4
    assert all(r.parent == access.urn for r in roles)
    # Names are those the grants had directly under WorkspaceStack: scope, principal, role.
    names = {r.name: r.inputs["description"] for r in roles}
    assert names["ml-access-resourceGroup-00000000-0000-0000-0000-0000000000d5-acdd72a7"] == (
        "mlops:access Reader for Group 00000000-0000-0000-0000-0000000000d5 on the resource "
        "group: as configured"
    )
    assert "ml-access-workspace-00000000-0000-0000-0000-0000000000d5-f6c7c914" in names


def test_moved_access_grants_are_aliased_to_their_former_parent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What the program asks the engine for: an alias whose parent is the WorkspaceStack, so a
    # `pulumi up` finds each assignment's state under its old URN and replaces nothing. (The
    # SDK adds aliases of its own, for earlier API versions of the type: those name no parent.)
    former_parents: dict[str, list[str]] = {}
    register = MockMonitor.RegisterResource

    def recording(self: MockMonitor, request: Any) -> Any:
        former_parents[request.name] = [a.spec.parentUrn for a in request.aliases]
        return register(self, request)

    monkeypatch.setattr(MockMonitor, "RegisterResource", recording)
    run = evaluate(workspace(access=GRANTS))
    stack = only(run, "mlops:workspace:WorkspaceStack")
    roles = of_type(run, "authorization:RoleAssignment")
    assert roles
    for role in roles:
        assert [p for p in former_parents[role.name] if p] == [stack.urn], role.name
    for resource in run.resources:
        if resource not in roles:
            assert not any(former_parents[resource.name]), resource.name


def test_protected_workspace_stack_protects_data_but_not_telemetry_wiring() -> None:
    run = evaluate(workspace(protect=True))
    protected = sorted(r.type.split(":")[-1] for r in run.resources if r.protect)
    assert protected == [
        "ManagementLockByScope",
        "ManagementLockByScope",
        "ManagementLockByScope",
        "Registry",
        "StorageAccount",
        "Workspace",
        "Workspace",
    ]


def test_protected_workspace_stack_locks_storage_logs_and_registry_themselves() -> None:
    run = evaluate(workspace(protect=True))
    locked = {lock.inputs["scope"] for lock in of_type(run, "ManagementLockByScope")}
    assert locked == {
        only(run, "storage:StorageAccount").id,
        only(run, "operationalinsights:Workspace").id,
        only(run, "containerregistry:Registry").id,
    }
    for lock in of_type(run, "ManagementLockByScope"):
        assert lock.inputs["level"] == "CanNotDelete"
        assert lock.parent == only(run, "mlops:workspace:WorkspaceStack").urn


def test_unprotected_workspace_stack_places_no_lock() -> None:
    assert of_type(evaluate(workspace()), "ManagementLockByScope") == []


def test_adopted_registry_is_not_locked_here() -> None:
    registry = RegistrySettings(mode="existing", existing=arm(REGISTRY_ID))
    run = evaluate(workspace(registry, protect=True))
    scopes = {lock.inputs["scope"] for lock in of_type(run, "ManagementLockByScope")}
    assert REGISTRY_ID not in scopes
    assert len(scopes) == 2


# ---------------------------------------------------------------- DatastoreLinks

OTHER_SUB_ACCOUNT = (
    f"/subscriptions/{SUB}/resourceGroups/rg-data"
    "/providers/Microsoft.Storage/storageAccounts/stdata"
)


def links(stores: tuple[DatastoreSettings, ...]) -> Callable[[], object]:
    def body() -> None:
        context = stack_context()
        DatastoreLinks(
            "links",
            context,
            DatastoreLinksArgs(
                workspace_name="mlw",
                workspace_principal_id="11111111-1111-1111-1111-111111111111",
                datastores=stores,
                targets=targets(context, stores),
            ),
        )

    return body


BLOB = DatastoreSettings(
    name="raw_sales", storage_account=arm(OTHER_SUB_ACCOUNT), kind="blob", container="sales"
)
ADLS = DatastoreSettings(
    name="raw_events",
    storage_account=arm(OTHER_SUB_ACCOUNT),
    kind="adlsGen2",
    container="events",
    read_only=False,
)


@pytest.fixture(scope="module")
def blob_run() -> ProgramRun:
    """One read-only blob datastore: evaluated once for the tests that read it."""
    return evaluate(links((BLOB,)))


@pytest.fixture(scope="module")
def adls_run() -> ProgramRun:
    """One writable ADLS Gen2 datastore: evaluated once for the tests that read it."""
    return evaluate(links((ADLS,)))


def test_blob_datastore_is_identity_based_with_no_stored_credentials(blob_run: ProgramRun) -> None:
    assert_all_parented(blob_run, "mlops:datastores:DatastoreLinks")
    props = only(blob_run, "machinelearningservices:Datastore").inputs["properties"]
    assert props["credentials"] == {"credentialsType": "None"}
    assert props["datastoreType"] == "AzureBlob"
    assert props["containerName"] == "sales"
    assert props["accountName"] == "stdata"
    assert props["subscriptionId"] == SUB
    assert props["resourceGroup"] == "rg-data"
    assert props["serviceDataAccessAuthIdentity"] == "WorkspaceSystemAssignedIdentity"


def test_adls_datastore_targets_the_filesystem(adls_run: ProgramRun) -> None:
    props = only(adls_run, "machinelearningservices:Datastore").inputs["properties"]
    assert props["datastoreType"] == "AzureDataLakeGen2"
    assert props["filesystem"] == "events"
    assert props["credentials"] == {"credentialsType": "None"}


def test_read_only_datastore_grants_blob_reader_on_the_container_in_its_subscription(
    blob_run: ProgramRun,
) -> None:
    role = only(blob_run, "authorization:RoleAssignment").inputs
    assert role["scope"] == f"{OTHER_SUB_ACCOUNT}/blobServices/default/containers/sales"
    assert role["roleDefinitionId"] == (
        f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/"
        f"{BUILT_IN_ROLES['Storage Blob Data Reader']}"
    )
    assert role["principalId"] == "11111111-1111-1111-1111-111111111111"
    assert role["principalType"] == "ServicePrincipal"


def test_writable_datastore_grants_blob_contributor(adls_run: ProgramRun) -> None:
    role = only(adls_run, "authorization:RoleAssignment").inputs
    assert role["roleDefinitionId"].endswith(BUILT_IN_ROLES["Storage Blob Data Contributor"])


def test_datastore_waits_for_its_role_assignment() -> None:
    run = evaluate(links((BLOB, ADLS)))
    for store in of_type(run, "machinelearningservices:Datastore"):
        props = store.inputs["properties"]
        container = props.get("containerName") or props.get("filesystem")
        role = next(
            r
            for r in of_type(run, "authorization:RoleAssignment")
            if r.inputs["scope"].endswith(f"/containers/{container}")
        )
        assert role.urn in store.dependencies


def test_workspace_grant_keeps_the_name_it_had_before_the_access_matrix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Renamed without an alias, Pulumi would create the "new" assignment (the same Azure
    # assignment: same name and scope) and then delete the old one: the grant would be gone.
    aliases: dict[str, list[str]] = {}
    register = MockMonitor.RegisterResource

    def recording(self: MockMonitor, request: Any) -> Any:
        aliases[request.name] = [a.spec.name for a in request.aliases if a.spec.name]
        return register(self, request)

    monkeypatch.setattr(MockMonitor, "RegisterResource", recording)
    role = only(evaluate(links((BLOB,))), "authorization:RoleAssignment")
    assert aliases[role.name] == ["links-raw_sales-role"]


def test_datastore_skips_create_time_validation_while_its_role_propagates(
    blob_run: ProgramRun,
) -> None:
    store = only(blob_run, "machinelearningservices:Datastore")
    assert store.inputs["skipValidation"] is True


def test_datastore_links_create_only_datastores_and_their_roles() -> None:
    # Outbound rules live on the workspace (components.managed_network), never beside it.
    run = evaluate(links((BLOB, ADLS)))
    assert sorted({r.type for r in run.resources if r.custom}) == [
        "azure-native:authorization:RoleAssignment",
        "azure-native:machinelearningservices:Datastore",
    ]


# ---------------------------------------------------------------- DevCompute


def placement(managed: bool = True) -> WorkspacePlacement:
    return WorkspacePlacement(workspace_name="mlw", managed_network=managed)


INSTANCE = ComputeInstanceSettings(
    name="ds-alice",
    vm_size="Standard_DS3_v2",
    assigned_user_object_id="00000000-0000-0000-0000-0000000a11ce",
    idle_shutdown_minutes=45,
    schedules=(ScheduleSettings(action="stop", cron="0 19 * * 1-5", time_zone="UTC"),),
)
CLUSTER = ComputeClusterSettings(
    name="cpu", vm_size="Standard_DS3_v2", max_nodes=4, idle_seconds_before_scale_down=300
)


def dev_compute(
    managed: bool = True, datastores: tuple[DatastoreSettings, ...] = ()
) -> Callable[[], object]:
    def body() -> None:
        context = stack_context()
        DevCompute(
            "dev",
            context,
            DevComputeArgs(
                placement=placement(managed),
                instances=(INSTANCE,),
                clusters=(CLUSTER,),
                targets=targets(context, datastores),
            ),
        )

    return body


def compute_props(run: ProgramRun, compute_type: str) -> dict:
    found = [
        r.inputs
        for r in of_type(run, "machinelearningservices:Compute")
        if r.inputs["properties"]["computeType"] == compute_type
    ]
    assert len(found) == 1
    return found[0]


@pytest.fixture(scope="module")
def compute_run() -> ProgramRun:
    """An instance and a cluster in a managed network: evaluated once for the tests that read it."""
    return evaluate(dev_compute())


def test_compute_instance_is_personal_and_locked_down(compute_run: ProgramRun) -> None:
    assert_all_parented(compute_run, "mlops:compute:DevCompute")
    compute = compute_props(compute_run, "ComputeInstance")
    instance = compute["properties"]
    assert instance["disableLocalAuth"] is True
    props = instance["properties"]
    assert props["computeInstanceAuthorizationType"] == "personal"
    assert props["personalComputeInstanceSettings"]["assignedUser"] == {
        "objectId": "00000000-0000-0000-0000-0000000a11ce",
        "tenantId": "00000000-0000-0000-0000-000000000002",
    }
    assert props["idleTimeBeforeShutdown"] == "PT45M"
    assert props["sshSettings"] == {"sshPublicAccess": "Disabled"}
    assert props["enableNodePublicIp"] is False
    # Its Jupyter and VS Code answer its user only, not every workspace user.
    assert props["applicationSharingPolicy"] == "Personal"


def test_compute_instance_is_replaced_when_its_properties_change() -> None:
    # Azure ML does not update an instance in place (schedules, idle shutdown, VM size...): the
    # preview must show the replacement a `pulumi up` would need, the old one deleted first.
    instance = next(
        r
        for r in of_type(evaluate(dev_compute()), "machinelearningservices:Compute")
        if r.inputs["properties"]["computeType"] == "ComputeInstance"
    )
    assert set(instance.replace_on_changes) == {"location", "properties"}
    assert instance.delete_before_replace


def test_cluster_is_replaced_when_a_property_azure_fixes_at_creation_changes() -> None:
    cluster = next(
        r
        for r in of_type(evaluate(dev_compute()), "machinelearningservices:Compute")
        if r.inputs["properties"]["computeType"] == "AmlCompute"
    )
    assert "properties.properties.vmSize" in cluster.replace_on_changes
    assert "properties.properties.vmPriority" in cluster.replace_on_changes
    assert "properties.disableLocalAuth" in cluster.replace_on_changes
    # Scale settings are updated in place: changing maxNodes must not recreate the cluster.
    assert not [p for p in cluster.replace_on_changes if "scaleSettings" in p]
    assert cluster.delete_before_replace


def test_cluster_identity_gets_the_job_roles_of_the_access_matrix() -> None:
    run = evaluate(dev_compute(datastores=(BLOB, ADLS)))
    cluster = next(
        r
        for r in of_type(run, "machinelearningservices:Compute")
        if r.inputs["properties"]["computeType"] == "AmlCompute"
    )
    blob, adls = (
        f"{OTHER_SUB_ACCOUNT}/blobServices/default/containers/{c}" for c in ("sales", "events")
    )
    assert grants_of(run, cluster.outputs["identity"]["principalId"]) == {
        ("Storage Blob Data Reader", blob),
        ("Storage Blob Data Contributor", adls),
        ("Storage Blob Data Contributor", STORAGE_ID),
        ("Storage Queue Data Contributor", STORAGE_ID),
        ("Storage Table Data Contributor", STORAGE_ID),
    }
    roles = of_type(run, "authorization:RoleAssignment")
    assert all(r.parent == only(run, "mlops:compute:DevCompute").urn for r in roles)


def test_compute_instance_name_is_suffixed_for_regional_uniqueness(compute_run: ProgramRun) -> None:
    compute = compute_props(compute_run, "ComputeInstance")
    assert compute["computeName"] == f"ds-alice-{MOCK_SUFFIX}"
    assert len(compute["computeName"]) <= 24


def test_compute_instance_stop_schedule_is_a_cron_trigger(compute_run: ProgramRun) -> None:
    props = compute_props(compute_run, "ComputeInstance")["properties"]["properties"]
    assert props["schedules"]["computeStartStop"] == [
        {
            "action": "Stop",
            "triggerType": "Cron",
            "cron": {"expression": "0 19 * * 1-5", "timeZone": "UTC"},
            "status": "Enabled",
        }
    ]


def test_cluster_scales_to_zero_with_remote_login_and_local_auth_off(
    compute_run: ProgramRun,
) -> None:
    compute = compute_props(compute_run, "AmlCompute")
    assert compute["computeName"] == "cpu"
    assert compute["identity"] == {"type": "SystemAssigned"}
    assert compute["properties"]["disableLocalAuth"] is True
    props = compute["properties"]["properties"]
    assert props["scaleSettings"] == {
        "minNodeCount": 0,
        "maxNodeCount": 4,
        "nodeIdleTimeBeforeScaleDown": "PT300S",
    }
    assert props["vmPriority"] == "Dedicated"
    assert props["remoteLoginPortPublicAccess"] == "Disabled"


def test_without_a_managed_network_nodes_keep_public_ips() -> None:
    run = evaluate(dev_compute(managed=False))
    assert (
        compute_props(run, "AmlCompute")["properties"]["properties"]["enableNodePublicIp"] is True
    )
    instance = compute_props(run, "ComputeInstance")["properties"]["properties"]
    assert instance["enableNodePublicIp"] is True


# ---------------------------------------------------------------- Endpoints

ONLINE = EndpointSettings(name="churn-score", kind="online", purpose="scoring")
ONLINE_KEY = EndpointSettings(name="legacy-score", kind="online", purpose="scoring", auth="key")
BATCH = EndpointSettings(
    name="sales-prep",
    kind="batch",
    purpose="preprocessing",
    cluster=ComputeClusterSettings(name="sales-prep-batch", vm_size="Standard_DS3_v2", max_nodes=4),
)


def endpoints(
    *items: EndpointSettings,
    registry: str | None = REGISTRY_ID,
    datastores: tuple[DatastoreSettings, ...] = (),
) -> Callable[[], object]:
    def body() -> None:
        context = stack_context()
        component = Endpoints(
            "ep",
            context,
            EndpointsArgs(
                placement=placement(),
                endpoints=items,
                public_network_access=True,
                targets=targets(context, datastores, registry),
            ),
        )
        pulumi.export("uris", {k: v.scoring_uri for k, v in component.info.items()})

    return body


@pytest.fixture(scope="module")
def online_run() -> ProgramRun:
    """One online endpoint: evaluated once for the tests that read it."""
    return evaluate(endpoints(ONLINE))


@pytest.fixture(scope="module")
def batch_run() -> ProgramRun:
    """One batch endpoint: evaluated once for the tests that read it."""
    return evaluate(endpoints(BATCH))


def test_online_endpoint_uses_aad_tokens_and_a_system_identity(online_run: ProgramRun) -> None:
    assert_all_parented(online_run, "mlops:endpoints:Endpoints")
    online = only(online_run, "machinelearningservices:OnlineEndpoint").inputs
    assert online["endpointName"] == f"churn-score-{MOCK_SUFFIX}"
    assert online["identity"] == {"type": "SystemAssigned"}
    assert online["properties"]["authMode"] == "AADToken"
    assert "allowKeyAuth" not in online["tags"]
    assert online_run.outputs["uris"]["churn-score"].endswith("/score")


def test_online_endpoint_leaves_its_runtime_roles_to_azure_ml(online_run: ProgramRun) -> None:
    # Azure ML grants AcrPull and Storage Blob Data Reader to an online endpoint's system
    # identity itself; a second identical assignment would fail with RoleAssignmentExists.
    run = evaluate(endpoints(ONLINE, datastores=(BLOB,)))
    assert of_type(run, "authorization:RoleAssignment") == []


def test_key_auth_endpoint_is_marked_as_an_explicit_opt_out() -> None:
    online = only(evaluate(endpoints(ONLINE_KEY)), "OnlineEndpoint").inputs
    assert online["properties"]["authMode"] == "Key"
    assert online["tags"]["allowKeyAuth"] == "true"


def test_batch_endpoint_owns_a_scale_to_zero_cluster(batch_run: ProgramRun) -> None:
    batch = only(batch_run, "machinelearningservices:BatchEndpoint").inputs
    assert batch["properties"]["authMode"] == "AADToken"
    assert batch["identity"] == {"type": "SystemAssigned"}
    cluster = only(batch_run, "machinelearningservices:Compute").inputs
    assert cluster["computeName"] == "sales-prep-batch"
    assert cluster["properties"]["properties"]["scaleSettings"]["minNodeCount"] == 0


def test_batch_cluster_identity_reads_the_datastores_and_writes_the_workspace_storage() -> None:
    run = evaluate(endpoints(BATCH, datastores=(BLOB,)))
    cluster = only(run, "machinelearningservices:Compute")
    assert grants_of(run, cluster.outputs["identity"]["principalId"]) == {
        ("Storage Blob Data Reader", BLOB.scope),
        ("Storage Blob Data Contributor", STORAGE_ID),
        ("Storage Queue Data Contributor", STORAGE_ID),
        ("Storage Table Data Contributor", STORAGE_ID),
    }


def test_batch_cluster_gets_no_acr_pull_from_the_program() -> None:
    # Azure ML grants AcrPull on the workspace registry to a cluster created after it; a second
    # assignment from the program would fail the first `pulumi up` with RoleAssignmentExists.
    run = evaluate(endpoints(BATCH))
    scopes = {r.inputs["scope"] for r in of_type(run, "authorization:RoleAssignment")}
    assert REGISTRY_ID not in scopes
