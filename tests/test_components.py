"""Each component on its own, under mocks: its children and every property it promises."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pytest
from pulumi.runtime.mocks import MockMonitor

from components.context import StackContext, WorkspacePlacement
from components.datastore_links import DatastoreLinks, DatastoreLinksArgs
from components.dev_compute import DevCompute, DevComputeArgs
from components.endpoints import Endpoints, EndpointsArgs
from components.environment_group import EnvironmentGroup, EnvironmentGroupArgs
from components.roles import assignment_guid
from components.shared_key_vault import SharedKeyVault, SharedKeyVaultArgs
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
RG_ID = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg"
VAULT_ID = f"{RG_ID}/providers/Microsoft.KeyVault/vaults/kv-shared-example"
REGISTRY_ID = f"{RG_ID}/providers/Microsoft.ContainerRegistry/registries/crsharedexample"
STORAGE_ID = f"{RG_ID}/providers/Microsoft.Storage/storageAccounts/stworkspace"


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
    assert of_type(run, "ManagementLockAtResourceGroupLevel") == []


def test_protected_environment_group_is_locked_and_protected() -> None:
    run = evaluate(group(True))
    assert only(run, "resources:ResourceGroup").protect
    lock = only(run, "authorization:ManagementLockAtResourceGroupLevel")
    assert lock.inputs["level"] == "CanNotDelete"
    assert lock.protect


# ---------------------------------------------------------------- SharedKeyVault


def vault(existing: ArmId | None = None, deny: bool = False) -> Callable[[], object]:
    def body() -> None:
        kv = SharedKeyVault(
            "kv",
            stack_context(),
            SharedKeyVaultArgs(deny_public_network=deny, existing=existing),
        )
        pulumi.export("id", kv.id)
        pulumi.export("name", kv.name)
        pulumi.export("uri", kv.uri)

    return body


def test_created_vault_uses_rbac_purge_protection_and_90_day_soft_delete() -> None:
    run = evaluate(vault())
    assert_all_parented(run, "mlops:keyvault:SharedKeyVault")
    props = only(run, "keyvault:Vault").inputs["properties"]
    assert props["enableRbacAuthorization"] is True
    assert props["enablePurgeProtection"] is True
    assert props["enableSoftDelete"] is True
    assert props["softDeleteRetentionInDays"] == 90
    assert "accessPolicies" not in props  # RBAC only, no access policies


def test_created_vault_has_a_globally_unique_name_within_azure_limits() -> None:
    name = only(evaluate(vault()), "keyvault:Vault").inputs["vaultName"]
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


def test_created_vault_exposes_id_name_and_uri() -> None:
    outputs = evaluate(vault()).outputs
    assert outputs["name"] == f"kv-contosodev-{MOCK_SUFFIX}"
    assert outputs["id"].endswith(f"/vaults/kv-contosodev-{MOCK_SUFFIX}")
    assert outputs["uri"] == f"https://kv-contosodev-{MOCK_SUFFIX}.vault.azure.net/"


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
                environment="dev",
                key_vault_id=VAULT_ID,
                storage=StorageSettings(replication="ZRS"),
                network=network,
                container_registry=registry,
                access=access,
                log_retention_days=log_retention_days,
                blob_soft_delete_days=blob_soft_delete_days,
                blob_versioning=blob_versioning,
            ),
        )
        pulumi.export("registry", stack.registry_login_server)
        pulumi.export("studio", stack.studio_url)

    return body


def test_workspace_stack_parents_all_children() -> None:
    run = evaluate(workspace())
    assert_all_parented(run, "mlops:workspace:WorkspaceStack")
    assert sorted(t.split(":")[-1] for t in component_children(run, "WorkspaceStack")) == [
        "AccessGrants",
        "BlobServiceProperties",
        "Component",
        "DiagnosticSetting",
        "Registry",
        "StorageAccount",
        "Workspace",
        "Workspace",
    ]


def test_workspace_storage_is_hardened_general_purpose_v2() -> None:
    account = only(evaluate(workspace()), "storage:StorageAccount").inputs
    assert account["kind"] == "StorageV2"
    assert account["sku"] == {"name": "Standard_ZRS"}
    assert account["minimumTlsVersion"] == "TLS1_2"
    assert account["enableHttpsTrafficOnly"] is True
    assert account["allowBlobPublicAccess"] is False
    assert account["allowSharedKeyAccess"] is False
    assert account["allowCrossTenantReplication"] is False
    assert account["encryption"]["requireInfrastructureEncryption"] is True


def test_workspace_storage_name_is_lowercase_alphanumeric_within_24() -> None:
    name = only(evaluate(workspace()), "storage:StorageAccount").inputs["accountName"]
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


def test_blob_and_container_soft_delete_are_on() -> None:
    blob = only(evaluate(workspace()), "storage:BlobServiceProperties").inputs
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


def test_application_insights_is_workspace_based_on_log_analytics() -> None:
    run = evaluate(workspace())
    insights = only(run, "applicationinsights:Component").inputs
    logs = only(run, "operationalinsights:Workspace")
    assert insights["workspaceResourceId"] == logs.id
    assert insights["ingestionMode"] == "LogAnalytics"
    assert insights["kind"] == "web"


def test_workspace_uses_identity_everywhere_and_links_its_dependencies() -> None:
    run = evaluate(workspace())
    ws = only(run, "machinelearningservices:Workspace").inputs
    assert ws["identity"] == {"type": "SystemAssigned"}
    assert ws["systemDatastoresAuthMode"] == "Identity"
    assert ws["storageAccount"] == only(run, "storage:StorageAccount").id
    assert ws["keyVault"] == VAULT_ID
    assert ws["applicationInsights"] == only(run, "applicationinsights:Component").id
    assert ws["containerRegistry"] == only(run, "containerregistry:Registry").id
    assert ws["publicNetworkAccess"] == "Enabled"
    assert ws["managedNetwork"]["isolationMode"] == "AllowInternetOutbound"


def test_workspace_network_comes_from_config() -> None:
    network = NetworkSettings(isolation="allowOnlyApprovedOutbound")
    ws = only(evaluate(workspace(network=network)), "machinelearningservices:Workspace").inputs
    assert ws["publicNetworkAccess"] == "Enabled"
    assert ws["managedNetwork"]["isolationMode"] == "AllowOnlyApprovedOutbound"


def test_workspace_sends_its_logs_to_log_analytics() -> None:
    run = evaluate(workspace())
    diagnostics = only(run, "monitor:DiagnosticSetting").inputs
    assert diagnostics["resourceUri"] == only(run, "machinelearningservices:Workspace").id
    assert diagnostics["workspaceId"] == only(run, "operationalinsights:Workspace").id
    assert diagnostics["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]


def test_created_registry_has_admin_user_and_anonymous_pull_off() -> None:
    run = evaluate(workspace())
    registry = only(run, "containerregistry:Registry").inputs
    assert registry["adminUserEnabled"] is False
    assert registry["anonymousPullEnabled"] is False
    assert registry["sku"] == {"name": "Premium"}
    assert run.outputs["registry"] == f"crcontosodev{MOCK_SUFFIX}.azurecr.io"


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


def test_access_grants_become_role_assignments_on_their_scope() -> None:
    run = evaluate(workspace(access=GRANTS))
    roles = {r.inputs["scope"]: r.inputs for r in of_type(run, "authorization:RoleAssignment")}
    ws_id = only(run, "machinelearningservices:Workspace").id
    assert roles[ws_id]["roleDefinitionId"].endswith(BUILT_IN_ROLES["AzureML Data Scientist"])
    assert roles[ws_id]["principalType"] == "Group"
    assert roles[RG_ID]["roleDefinitionId"].endswith(BUILT_IN_ROLES["Reader"])


def test_access_grants_sit_in_their_own_component_under_the_workspace_stack() -> None:
    run = evaluate(workspace(access=GRANTS))
    stack = only(run, "mlops:workspace:WorkspaceStack")
    access = only(run, "mlops:access:AccessGrants")
    assert access.name == "ml-access"
    assert access.parent == stack.urn
    roles = of_type(run, "authorization:RoleAssignment")
    assert len(roles) == 2
    assert all(r.parent == access.urn for r in roles)
    # Names and descriptions are those the grants had directly under WorkspaceStack.
    assert sorted((r.name, r.inputs["description"]) for r in roles) == [
        (
            "ml-access-resourceGroup-00000000-0000-0000-0000-0000000000d5-acdd72a7",
            "mlops:access Reader on the resourceGroup",
        ),
        (
            "ml-access-workspace-00000000-0000-0000-0000-0000000000d5-f6c7c914",
            "mlops:access AzureML Data Scientist on the workspace",
        ),
    ]


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
    assert protected == ["Registry", "StorageAccount", "Workspace", "Workspace"]


# ---------------------------------------------------------------- DatastoreLinks

OTHER_SUB_ACCOUNT = (
    f"/subscriptions/{SUB}/resourceGroups/rg-data"
    "/providers/Microsoft.Storage/storageAccounts/stdata"
)


def links(stores: tuple[DatastoreSettings, ...]) -> Callable[[], object]:
    return lambda: DatastoreLinks(
        "links",
        stack_context(),
        DatastoreLinksArgs(
            workspace_name="mlw",
            workspace_principal_id="11111111-1111-1111-1111-111111111111",
            datastores=stores,
        ),
    )


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


def test_blob_datastore_is_identity_based_with_no_stored_credentials() -> None:
    run = evaluate(links((BLOB,)))
    assert_all_parented(run, "mlops:datastores:DatastoreLinks")
    props = only(run, "machinelearningservices:Datastore").inputs["properties"]
    assert props["credentials"] == {"credentialsType": "None"}
    assert props["datastoreType"] == "AzureBlob"
    assert props["containerName"] == "sales"
    assert props["accountName"] == "stdata"
    assert props["subscriptionId"] == SUB
    assert props["resourceGroup"] == "rg-data"
    assert props["serviceDataAccessAuthIdentity"] == "WorkspaceSystemAssignedIdentity"


def test_adls_datastore_targets_the_filesystem() -> None:
    props = only(evaluate(links((ADLS,))), "machinelearningservices:Datastore").inputs["properties"]
    assert props["datastoreType"] == "AzureDataLakeGen2"
    assert props["filesystem"] == "events"
    assert props["credentials"] == {"credentialsType": "None"}


def test_read_only_datastore_grants_blob_reader_on_the_container_in_its_subscription() -> None:
    role = only(evaluate(links((BLOB,))), "authorization:RoleAssignment").inputs
    assert role["scope"] == f"{OTHER_SUB_ACCOUNT}/blobServices/default/containers/sales"
    assert role["roleDefinitionId"] == (
        f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/"
        f"{BUILT_IN_ROLES['Storage Blob Data Reader']}"
    )
    assert role["principalId"] == "11111111-1111-1111-1111-111111111111"
    assert role["principalType"] == "ServicePrincipal"


def test_writable_datastore_grants_blob_contributor() -> None:
    role = only(evaluate(links((ADLS,))), "authorization:RoleAssignment").inputs
    assert role["roleDefinitionId"].endswith(BUILT_IN_ROLES["Storage Blob Data Contributor"])


def test_datastore_waits_for_its_role_assignment() -> None:
    run = evaluate(links((BLOB,)))
    role = only(run, "authorization:RoleAssignment")
    assert role.urn in only(run, "machinelearningservices:Datastore").dependencies


def test_datastore_skips_create_time_validation_while_its_role_propagates() -> None:
    store = only(evaluate(links((BLOB,))), "machinelearningservices:Datastore")
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


def dev_compute(managed: bool = True) -> Callable[[], object]:
    return lambda: DevCompute(
        "dev",
        stack_context(),
        DevComputeArgs(placement=placement(managed), instances=(INSTANCE,), clusters=(CLUSTER,)),
    )


def compute_props(run: ProgramRun, compute_type: str) -> dict:
    found = [
        r.inputs
        for r in of_type(run, "machinelearningservices:Compute")
        if r.inputs["properties"]["computeType"] == compute_type
    ]
    assert len(found) == 1
    return found[0]


def test_compute_instance_is_personal_and_locked_down() -> None:
    run = evaluate(dev_compute())
    assert_all_parented(run, "mlops:compute:DevCompute")
    compute = compute_props(run, "ComputeInstance")
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


def test_compute_instance_name_is_suffixed_for_regional_uniqueness() -> None:
    compute = compute_props(evaluate(dev_compute()), "ComputeInstance")
    assert compute["computeName"] == f"ds-alice-{MOCK_SUFFIX}"
    assert len(compute["computeName"]) <= 24


def test_compute_instance_stop_schedule_is_a_cron_trigger() -> None:
    props = compute_props(evaluate(dev_compute()), "ComputeInstance")["properties"]["properties"]
    assert props["schedules"]["computeStartStop"] == [
        {
            "action": "Stop",
            "triggerType": "Cron",
            "cron": {"expression": "0 19 * * 1-5", "timeZone": "UTC"},
            "status": "Enabled",
        }
    ]


def test_cluster_scales_to_zero_with_remote_login_and_local_auth_off() -> None:
    compute = compute_props(evaluate(dev_compute()), "AmlCompute")
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


def endpoints(*items: EndpointSettings, registry: str | None = REGISTRY_ID) -> Callable[[], object]:
    def body() -> None:
        component = Endpoints(
            "ep",
            stack_context(),
            EndpointsArgs(
                placement=placement(),
                endpoints=items,
                public_network_access=True,
                storage_account_id=STORAGE_ID,
                registry_id=registry,
            ),
        )
        pulumi.export("uris", {k: v.scoring_uri for k, v in component.info.items()})

    return body


def test_online_endpoint_uses_aad_tokens_and_a_system_identity() -> None:
    run = evaluate(endpoints(ONLINE))
    assert_all_parented(run, "mlops:endpoints:Endpoints")
    online = only(run, "machinelearningservices:OnlineEndpoint").inputs
    assert online["endpointName"] == f"churn-score-{MOCK_SUFFIX}"
    assert online["identity"] == {"type": "SystemAssigned"}
    assert online["properties"]["authMode"] == "AADToken"
    assert "allowKeyAuth" not in online["tags"]
    assert run.outputs["uris"]["churn-score"].endswith("/score")


def test_online_endpoint_leaves_its_runtime_roles_to_azure_ml() -> None:
    # Azure ML grants AcrPull and Storage Blob Data Reader to an online endpoint's system
    # identity itself; a second identical assignment would fail with RoleAssignmentExists.
    assert of_type(evaluate(endpoints(ONLINE)), "authorization:RoleAssignment") == []


def test_key_auth_endpoint_is_marked_as_an_explicit_opt_out() -> None:
    online = only(evaluate(endpoints(ONLINE_KEY)), "OnlineEndpoint").inputs
    assert online["properties"]["authMode"] == "Key"
    assert online["tags"]["allowKeyAuth"] == "true"


def test_batch_endpoint_owns_a_scale_to_zero_cluster() -> None:
    run = evaluate(endpoints(BATCH))
    batch = only(run, "machinelearningservices:BatchEndpoint").inputs
    assert batch["properties"]["authMode"] == "AADToken"
    assert batch["identity"] == {"type": "SystemAssigned"}
    cluster = only(run, "machinelearningservices:Compute").inputs
    assert cluster["computeName"] == "sales-prep-batch"
    assert cluster["properties"]["properties"]["scaleSettings"]["minNodeCount"] == 0


def test_batch_cluster_identity_can_pull_images_and_read_models() -> None:
    run = evaluate(endpoints(BATCH))
    cluster = only(run, "machinelearningservices:Compute")
    principal = cluster.outputs["identity"]["principalId"]
    roles = {r.inputs["scope"]: r.inputs for r in of_type(run, "authorization:RoleAssignment")}
    assert set(roles) == {STORAGE_ID, REGISTRY_ID}
    assert roles[STORAGE_ID]["roleDefinitionId"].endswith(
        BUILT_IN_ROLES["Storage Blob Data Reader"]
    )
    assert roles[REGISTRY_ID]["roleDefinitionId"].endswith(BUILT_IN_ROLES["AcrPull"])
    assert all(r["principalId"] == principal for r in roles.values())


def test_batch_cluster_gets_no_acr_pull_without_a_registry() -> None:
    roles = of_type(evaluate(endpoints(BATCH, registry=None)), "authorization:RoleAssignment")
    assert [r.inputs["scope"] for r in roles] == [STORAGE_ID]
