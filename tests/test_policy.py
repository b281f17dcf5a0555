"""The policy pack: every policy passes on the three stacks and fails on a minimal violation.

Policies are called directly with the argument objects pulumi-policy builds: resource policies
get a resource's inputs (wrapped in the SDK's unknown-checking proxy) and options; stack
policies get every resource's outputs, options, parent and dependencies, as the engine sends
them after the program has run. Both are taken from the offline mock engine's records.
"""

from __future__ import annotations

import copy
import importlib.metadata
import re
import runpy
import select
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from offline.engine import ROOT, ProgramRun, Resource
from policy.mlops_policy import RESOURCE_RULES, RULES, STACK_RULES
from policy.mlops_policy.properties import (
    BATCH_ENDPOINT,
    BLOB_SERVICE,
    COMPUTE,
    DATASTORE,
    DIAGNOSTIC_SETTING,
    KEY_VAULT,
    ML_WORKSPACE,
    ONLINE_ENDPOINT,
    REGISTRY,
    RESOURCE_GROUP,
    ROLE_ASSIGNMENT,
    STORAGE_ACCOUNT,
)
from policy.mlops_policy.rules import ResourceRule, StackRule
from policy.mlops_policy.stack import stack_environment

STACKS = ("dev", "qa", "prod")
POLICY_DIR = ROOT / "policy"
SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
GROUP_ID = f"{SUB}/resourceGroups/rg-test"
ROLE_DEFINITIONS = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions"
OWNER = f"{ROLE_DEFINITIONS}/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = f"{ROLE_DEFINITIONS}/b24988ac-6180-42a0-ab88-20f7382dd24c"
BLOB_DATA_READER = f"{ROLE_DEFINITIONS}/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"


# --------------------------------------------------------------------------------------------
# The arguments pulumi-policy passes, built from the engine's records
# --------------------------------------------------------------------------------------------


class Violations(list[tuple[str, str | None]]):
    """A ReportViolation callback that keeps what it is told."""

    def __call__(self, message: str, urn: str | None = None) -> None:
        self.append((message, urn))

    @property
    def messages(self) -> list[str]:
        return [message for message, _ in self]


def options(protect: bool = False, parent: str | None = None) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=protect,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=parent,
    )


def recorded_options(resource: Resource) -> PolicyResourceOptions:
    opts = options(resource.protect, resource.parent or None)
    opts.ignore_changes = list(resource.ignore_changes)
    opts.delete_before_replace = resource.delete_before_replace
    return opts


def proxied(props: Mapping[str, Any]) -> Any:
    """Properties as the SDK hands them to a policy: copied, behind its unknown-value proxy."""
    return unknown_checking_proxy(copy.deepcopy(dict(props)))


def resource_args(resource: Resource) -> ResourceValidationArgs:
    """What pulumi-policy's Analyze passes for one registered resource: its inputs."""
    return ResourceValidationArgs(
        resource_type=resource.type,
        props=proxied(resource.inputs),
        urn=resource.urn,
        name=resource.name,
        opts=recorded_options(resource),
        provider=None,
    )


def stack_args(run: ProgramRun) -> StackValidationArgs:
    """What pulumi-policy's AnalyzeStack passes: outputs, linked to parents and dependencies."""
    by_urn = {
        r.urn: PolicyResource(
            resource_type=r.type,
            props=proxied(r.outputs),
            urn=r.urn,
            name=r.name,
            opts=recorded_options(r),
            provider=None,
            parent=None,
            dependencies=[],
            property_dependencies={},
        )
        for r in run.resources
    }
    for record in run.resources:
        resource = by_urn[record.urn]
        resource.parent = by_urn.get(record.parent)
        resource.dependencies = [by_urn[urn] for urn in record.depends_on if urn in by_urn]
        resource.property_dependencies = {
            key: [by_urn[urn] for urn in urns if urn in by_urn]
            for key, urns in record.property_dependencies.items()
        }
    return StackValidationArgs(list(by_urn.values()))


def subject(resource_type: str, props: Mapping[str, Any]) -> ResourceValidationArgs:
    """A minimal resource of ``resource_type`` with only ``props``."""
    return ResourceValidationArgs(
        resource_type=resource_type,
        props=proxied(props),
        urn=f"urn:pulumi:test::mlops::{resource_type}::subject",
        name="subject",
        opts=options(),
        provider=None,
    )


def stack_resource(
    resource_type: str, name: str, props: Mapping[str, Any], *, protect: bool = False
) -> PolicyResource:
    return PolicyResource(
        resource_type=resource_type,
        props=proxied(props),
        urn=f"urn:pulumi:test::mlops::{resource_type}::{name}",
        name=name,
        opts=options(protect),
        provider=None,
        parent=None,
        dependencies=[],
        property_dependencies={},
    )


def resource_violations(rule: ResourceRule, args: ResourceValidationArgs) -> Violations:
    found = Violations()
    rule.validate(args, found)
    return found


def stack_violations(rule: StackRule, resources: list[PolicyResource]) -> Violations:
    found = Violations()
    rule.validate(StackValidationArgs(resources), found)
    return found


def resource_rule(name: str) -> ResourceRule:
    rule = RULES[name]
    assert isinstance(rule, ResourceRule)
    return rule


def stack_rule(name: str) -> StackRule:
    rule = RULES[name]
    assert isinstance(rule, StackRule)
    return rule


# --------------------------------------------------------------------------------------------
# The pack's shape
# --------------------------------------------------------------------------------------------


def test_pack_has_at_least_twenty_mandatory_resource_policies() -> None:
    mandatory = [r for r in RESOURCE_RULES if r.enforcement_level is EnforcementLevel.MANDATORY]
    assert len(mandatory) >= 20


def test_every_policy_is_mandatory() -> None:
    assert {rule.enforcement_level for rule in RULES.values()} == {EnforcementLevel.MANDATORY}


def test_policy_names_are_unique() -> None:
    names = [rule.name for rule in [*RESOURCE_RULES, *STACK_RULES]]
    assert len(names) == len(set(names)) == len(RULES)


def test_pack_has_stack_policies() -> None:
    assert len(STACK_RULES) >= 3


# --------------------------------------------------------------------------------------------
# Every policy passes on the three stacks
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rule", RESOURCE_RULES, ids=lambda rule: rule.name)
@pytest.mark.parametrize("stack", STACKS)
def test_resource_policy_passes_on_stack(
    stack_runs: dict[str, ProgramRun], stack: str, rule: ResourceRule
) -> None:
    found = {
        resource.name: violations
        for resource in stack_runs[stack].resources
        if (violations := resource_violations(rule, resource_args(resource)))
    }
    assert found == {}


@pytest.mark.parametrize("rule", STACK_RULES, ids=lambda rule: rule.name)
@pytest.mark.parametrize("stack", STACKS)
def test_stack_policy_passes_on_stack(
    stack_runs: dict[str, ProgramRun], stack: str, rule: StackRule
) -> None:
    found = Violations()
    rule.validate(stack_args(stack_runs[stack]), found)
    assert found == []


@pytest.mark.parametrize("rule", RESOURCE_RULES, ids=lambda rule: rule.name)
def test_resource_policy_checks_some_resource_of_the_stacks(
    stack_runs: dict[str, ProgramRun], rule: ResourceRule
) -> None:
    """A policy that matches nothing (a mistyped type token) would pass vacuously."""
    checked = [
        f"{stack}/{resource.name}"
        for stack in STACKS
        for resource in stack_runs[stack].resources
        if rule.applies_to(resource.type, resource_args(resource).props)
    ]
    assert checked


@pytest.mark.parametrize("stack", STACKS)
def test_stack_environment_comes_from_the_environment_tags(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    assert stack_environment(stack_args(stack_runs[stack]).resources) == stack


# --------------------------------------------------------------------------------------------
# Every resource policy fails on a minimal violating resource
# --------------------------------------------------------------------------------------------

INSTANCE = "ComputeInstance"
CLUSTER = "AmlCompute"


def compute(kind: str, **settings: Any) -> dict[str, Any]:
    return {"properties": {"computeType": kind, "properties": settings}}


RESOURCE_VIOLATIONS = [
    (
        "keyvault-rbac-authorization",
        KEY_VAULT,
        {"properties": {"enableRbacAuthorization": False}},
        "properties.enableRbacAuthorization is false; set it to true",
    ),
    (
        "keyvault-purge-protection",
        KEY_VAULT,
        {"properties": {}},
        "properties.enablePurgeProtection is not set; set it to true",
    ),
    (
        "keyvault-soft-delete",
        KEY_VAULT,
        {"properties": {"enableSoftDelete": False}},
        "properties.enableSoftDelete is false; set it to true",
    ),
    (
        "storage-minimum-tls",
        STORAGE_ACCOUNT,
        {"minimumTlsVersion": "TLS1_0"},
        "minimumTlsVersion is 'TLS1_0'; set it to 'TLS1_2'",
    ),
    (
        "storage-https-only",
        STORAGE_ACCOUNT,
        {"enableHttpsTrafficOnly": False},
        "enableHttpsTrafficOnly is false; set it to true",
    ),
    (
        "storage-no-public-blob-access",
        STORAGE_ACCOUNT,
        {"allowBlobPublicAccess": True},
        "allowBlobPublicAccess is true; set it to false",
    ),
    (
        "storage-no-shared-key-access",
        STORAGE_ACCOUNT,
        {"allowSharedKeyAccess": True},
        "allowSharedKeyAccess is true; set it to false",
    ),
    (
        "storage-infrastructure-encryption",
        STORAGE_ACCOUNT,
        {"encryption": {"keySource": "Microsoft.Storage"}},
        "encryption.requireInfrastructureEncryption is not set; set it to true",
    ),
    (
        "storage-no-cross-tenant-replication",
        STORAGE_ACCOUNT,
        {"allowCrossTenantReplication": True},
        "allowCrossTenantReplication is true; set it to false",
    ),
    (
        "storage-blob-soft-delete",
        BLOB_SERVICE,
        {"deleteRetentionPolicy": {"enabled": False}},
        "deleteRetentionPolicy.enabled is false; set it to true with days >= 7",
    ),
    (
        "storage-container-soft-delete",
        BLOB_SERVICE,
        {"containerDeleteRetentionPolicy": {"enabled": True, "days": 1.0}},
        "containerDeleteRetentionPolicy.days is 1; keep deleted containers for at least 7 days",
    ),
    (
        "registry-admin-user-disabled",
        REGISTRY,
        {"adminUserEnabled": True},
        "adminUserEnabled is true; set it to false",
    ),
    (
        "registry-anonymous-pull-disabled",
        REGISTRY,
        {"anonymousPullEnabled": True},
        "anonymousPullEnabled is true; set it to false",
    ),
    (
        "workspace-managed-identity",
        ML_WORKSPACE,
        {"identity": {"type": "None"}},
        "identity.type is 'None'; set it to 'SystemAssigned'",
    ),
    (
        "workspace-identity-datastore-auth",
        ML_WORKSPACE,
        {"systemDatastoresAuthMode": "AccessKey"},
        "systemDatastoresAuthMode is 'AccessKey'; set it to 'Identity'",
    ),
    (
        "workspace-application-insights",
        ML_WORKSPACE,
        {},
        "applicationInsights is not set; attach an Application Insights component",
    ),
    (
        "workspace-prod-managed-network",
        ML_WORKSPACE,
        {"tags": {"environment": "prod"}, "managedNetwork": {"isolationMode": "Disabled"}},
        "managedNetwork.isolationMode is 'Disabled'; set it to 'AllowOnlyApprovedOutbound' in prod",
    ),
    (
        "diagnostics-to-log-analytics",
        DIAGNOSTIC_SETTING,
        {
            "workspaceId": f"{GROUP_ID}/providers/Microsoft.OperationalInsights/workspaces/log",
            "logs": [{"category": "AmlComputeJobEvent", "enabled": True}],
            "metrics": [{"category": "AllMetrics", "enabled": True}],
        },
        "logs has no enabled entry with categoryGroup 'allLogs'",
    ),
    (
        "compute-instance-idle-shutdown",
        COMPUTE,
        compute(INSTANCE),
        "properties.properties.idleTimeBeforeShutdown is not set; set an ISO 8601 duration",
    ),
    (
        "compute-instance-ssh-disabled",
        COMPUTE,
        compute(INSTANCE, sshSettings={"sshPublicAccess": "Enabled"}),
        "properties.properties.sshSettings.sshPublicAccess is 'Enabled'; set it to 'Disabled'",
    ),
    (
        "compute-instance-assigned-user",
        COMPUTE,
        compute(INSTANCE),
        "personalComputeInstanceSettings.assignedUser.objectId is not set; assign the instance",
    ),
    (
        "compute-local-auth-disabled",
        COMPUTE,
        {"properties": {"computeType": CLUSTER, "disableLocalAuth": False}},
        "properties.disableLocalAuth is false; set it to true",
    ),
    (
        "cluster-scale-to-zero",
        COMPUTE,
        compute(CLUSTER, scaleSettings={"minNodeCount": 1.0, "maxNodeCount": 4.0}),
        "properties.properties.scaleSettings.minNodeCount is 1; set it to 0",
    ),
    (
        "cluster-remote-login-disabled",
        COMPUTE,
        compute(CLUSTER, remoteLoginPortPublicAccess="NotSpecified"),
        "properties.properties.remoteLoginPortPublicAccess is 'NotSpecified'; set it to 'Disabled'",
    ),
    (
        "endpoint-entra-id-auth",
        ONLINE_ENDPOINT,
        {"properties": {"authMode": "Key"}},
        "properties.authMode is 'Key'; set it to 'AADToken'",
    ),
    (
        "endpoint-managed-identity",
        BATCH_ENDPOINT,
        {"properties": {"authMode": "AADToken"}},
        "identity.type is not set; set it to 'SystemAssigned'",
    ),
    (
        "datastore-no-stored-credentials",
        DATASTORE,
        {"properties": {"credentials": {"credentialsType": "AccountKey"}}},
        "properties.credentials.credentialsType is 'AccountKey'; set it to 'None'",
    ),
    (
        "role-workload-identity-least-privilege",
        ROLE_ASSIGNMENT,
        {
            "principalType": "ServicePrincipal",
            "description": "Azure ML datastore raw_sales: Contributor",
            "roleDefinitionId": CONTRIBUTOR,
        },
        "grants Contributor to a workload identity ('Azure ML datastore raw_sales: Contributor')",
    ),
    (
        "role-no-owner-or-user-access-administrator",
        ROLE_ASSIGNMENT,
        {
            "principalType": "Group",
            "description": "mlops:access Owner on the workspace",
            "roleDefinitionId": OWNER,
        },
        "grants Owner, which can hand out any access",
    ),
    (
        "role-storage-data-scope",
        ROLE_ASSIGNMENT,
        {"roleDefinitionId": BLOB_DATA_READER, "scope": SUB},
        f"grants Storage Blob Data Reader at scope '{SUB}'; scope it to the storage account",
    ),
    (
        "environment-tag",
        RESOURCE_GROUP,
        {"tags": {"owner": "ml-platform@contoso.example"}},
        "tags.environment is not set; set it to one of dev, qa, prod",
    ),
]


def test_every_resource_policy_has_a_violating_case() -> None:
    assert sorted(case[0] for case in RESOURCE_VIOLATIONS) == sorted(r.name for r in RESOURCE_RULES)


@pytest.mark.parametrize(
    ("name", "resource_type", "props", "message"),
    RESOURCE_VIOLATIONS,
    ids=[case[0] for case in RESOURCE_VIOLATIONS],
)
def test_resource_policy_fails_on_minimal_violation(
    name: str, resource_type: str, props: dict[str, Any], message: str
) -> None:
    found = resource_violations(resource_rule(name), subject(resource_type, props))
    assert len(found) == 1, found
    assert message in found.messages[0]
    assert found[0][1] is None  # a resource policy's violation is the resource's own


# --------------------------------------------------------------------------------------------
# Every stack policy fails on a minimal violating stack
# --------------------------------------------------------------------------------------------


def tagged(environment: str, **props: Any) -> dict[str, Any]:
    return {"tags": {"environment": environment}, **props}


VAULT_ID = f"{GROUP_ID}/providers/Microsoft.KeyVault/vaults/kv-test"
ACCOUNT_ID = f"{GROUP_ID}/providers/Microsoft.Storage/storageAccounts/sttest"
WORKSPACE_ID = f"{GROUP_ID}/providers/Microsoft.MachineLearningServices/workspaces/mlw-test"
MANAGED = {"isolationMode": "AllowInternetOutbound"}


def stack_case(*resources: PolicyResource) -> list[PolicyResource]:
    return list(resources)


STACK_VIOLATIONS = [
    (
        "qa-prod-no-experimentation-compute",
        stack_case(
            stack_resource(COMPUTE, "ds-alice", tagged("qa", properties={"computeType": INSTANCE}))
        ),
        "ds-alice",
        "'ds-alice' is a compute instance in qa; experiments belong in dev",
    ),
    (
        "prod-resource-group-lock",
        stack_case(
            stack_resource(RESOURCE_GROUP, "rg", tagged("prod", id=GROUP_ID, name="rg-test"))
        ),
        "rg",
        "'rg' has no CanNotDelete lock",
    ),
    (
        "prod-data-protected",
        stack_case(stack_resource(STORAGE_ACCOUNT, "storage", tagged("prod", id=ACCOUNT_ID))),
        "storage",
        "'storage' is not protected; register it with protect=True",
    ),
    (
        "storage-blob-service-configured",
        stack_case(stack_resource(STORAGE_ACCOUNT, "storage", {"id": ACCOUNT_ID})),
        "storage",
        "'storage' has no BlobServiceProperties",
    ),
    (
        "prod-blob-versioning",
        stack_case(
            stack_resource(STORAGE_ACCOUNT, "storage", tagged("prod", name="sttest")),
            stack_resource(
                BLOB_SERVICE, "blobs", {"accountName": "sttest", "isVersioningEnabled": False}
            ),
        ),
        "blobs",
        "'blobs' has isVersioningEnabled false; set it to true in prod",
    ),
    (
        "workspace-diagnostic-settings",
        stack_case(stack_resource(ML_WORKSPACE, "workspace", {"id": WORKSPACE_ID})),
        "workspace",
        "'workspace' has no diagnostic setting",
    ),
    (
        "keyvault-network-default-deny",
        stack_case(
            stack_resource(
                KEY_VAULT,
                "vault",
                {"id": VAULT_ID, "properties": {"networkAcls": {"defaultAction": "Allow"}}},
            ),
            stack_resource(
                ML_WORKSPACE, "workspace", {"keyVault": VAULT_ID, "managedNetwork": MANAGED}
            ),
        ),
        "vault",
        "'vault' has properties.networkAcls.defaultAction 'Allow'; set it to 'Deny'",
    ),
    (
        "storage-network-default-deny",
        stack_case(
            stack_resource(
                STORAGE_ACCOUNT,
                "storage",
                {"id": ACCOUNT_ID, "networkRuleSet": {"defaultAction": "Allow"}},
            ),
            stack_resource(
                ML_WORKSPACE,
                "workspace",
                {"storageAccount": ACCOUNT_ID, "managedNetwork": MANAGED},
            ),
        ),
        "storage",
        "'storage' has networkRuleSet.defaultAction 'Allow'; set it to 'Deny'",
    ),
]


def test_every_stack_policy_has_a_violating_case() -> None:
    assert sorted(case[0] for case in STACK_VIOLATIONS) == sorted(r.name for r in STACK_RULES)


@pytest.mark.parametrize(
    ("name", "resources", "offender", "message"),
    STACK_VIOLATIONS,
    ids=[case[0] for case in STACK_VIOLATIONS],
)
def test_stack_policy_fails_on_minimal_violation(
    name: str, resources: list[PolicyResource], offender: str, message: str
) -> None:
    found = stack_violations(stack_rule(name), resources)
    assert len(found) == 1, found
    assert message in found.messages[0]
    assert found[0][1] == next(r.urn for r in resources if r.name == offender)


# --------------------------------------------------------------------------------------------
# Particular behaviours
# --------------------------------------------------------------------------------------------


def test_key_auth_passes_when_the_endpoint_is_tagged_as_explicitly_allowed() -> None:
    props = {"properties": {"authMode": "Key"}, "tags": {"allowKeyAuth": "true"}}
    found = resource_violations(
        resource_rule("endpoint-entra-id-auth"), subject(ONLINE_ENDPOINT, props)
    )
    assert found == []


def test_key_auth_opt_out_does_not_allow_other_auth_modes() -> None:
    props = {"properties": {"authMode": "AMLToken"}, "tags": {"allowKeyAuth": "true"}}
    found = resource_violations(
        resource_rule("endpoint-entra-id-auth"), subject(ONLINE_ENDPOINT, props)
    )
    assert found.messages and "properties.authMode is 'AMLToken'" in found.messages[0]


def test_prod_only_policy_ignores_a_dev_workspace() -> None:
    props = tagged("dev", managedNetwork={"isolationMode": "Disabled"})
    found = resource_violations(
        resource_rule("workspace-prod-managed-network"), subject(ML_WORKSPACE, props)
    )
    assert found == []


def test_config_grant_of_contributor_is_not_a_workload_identity_grant() -> None:
    props = {
        "principalType": "ServicePrincipal",
        "description": "mlops:access Contributor on the workspace",
        "roleDefinitionId": CONTRIBUTOR,
    }
    found = resource_violations(
        resource_rule("role-workload-identity-least-privilege"), subject(ROLE_ASSIGNMENT, props)
    )
    assert found == []


def test_undescribed_service_principal_grant_counts_as_a_workload_identity() -> None:
    props = {"principalType": "ServicePrincipal", "roleDefinitionId": CONTRIBUTOR}
    found = resource_violations(
        resource_rule("role-workload-identity-least-privilege"), subject(ROLE_ASSIGNMENT, props)
    )
    assert len(found) == 1


def test_storage_data_role_on_a_container_passes() -> None:
    scope = f"{ACCOUNT_ID}/blobServices/default/containers/sales"
    props = {"roleDefinitionId": BLOB_DATA_READER, "scope": scope}
    found = resource_violations(
        resource_rule("role-storage-data-scope"), subject(ROLE_ASSIGNMENT, props)
    )
    assert found == []


def test_policy_ignores_other_resource_types() -> None:
    props = {"properties": {"enableRbacAuthorization": False}}
    found = resource_violations(
        resource_rule("keyvault-rbac-authorization"), subject(STORAGE_ACCOUNT, props)
    )
    assert found == []


def test_versioned_type_tokens_are_checked_too() -> None:
    found = resource_violations(
        resource_rule("registry-admin-user-disabled"),
        subject("azure-native:containerregistry/v20230701:Registry", {"adminUserEnabled": True}),
    )
    assert len(found) == 1


def test_value_computed_during_preview_counts_as_set() -> None:
    props = {"applicationInsights": UNKNOWN_STRING_VALUE}
    found = resource_violations(
        resource_rule("workspace-application-insights"), subject(ML_WORKSPACE, props)
    )
    assert found == []


def test_check_needing_a_value_unknown_during_preview_defers_to_the_sdk() -> None:
    """pulumi-policy reports UnknownValueError as "can't run during preview", not a pass."""
    props = {"roleDefinitionId": BLOB_DATA_READER, "scope": UNKNOWN_STRING_VALUE}
    with pytest.raises(UnknownValueError):
        resource_violations(
            resource_rule("role-storage-data-scope"), subject(ROLE_ASSIGNMENT, props)
        )


def test_batch_endpoint_cluster_is_allowed_in_prod() -> None:
    component = stack_resource("mlops:endpoints:Endpoints", "endpoints", {})
    cluster = stack_resource(
        COMPUTE, "cluster", tagged("prod", properties={"computeType": CLUSTER})
    )
    endpoint = stack_resource(BATCH_ENDPOINT, "endpoint", tagged("prod"))
    cluster.parent = endpoint.parent = component
    found = stack_violations(
        stack_rule("qa-prod-no-experimentation-compute"), [component, cluster, endpoint]
    )
    assert found == []


def test_general_purpose_cluster_is_refused_in_prod() -> None:
    cluster = stack_resource(COMPUTE, "cpu", tagged("prod", properties={"computeType": CLUSTER}))
    found = stack_violations(stack_rule("qa-prod-no-experimentation-compute"), [cluster])
    assert found.messages == [
        "azure-native:machinelearningservices:Compute 'cpu' is a general-purpose cluster in "
        "prod; only batch endpoints' clusters (created beside the endpoint) are allowed; "
        "train in dev"
    ]


def test_dev_may_have_compute_instances() -> None:
    instance = stack_resource(COMPUTE, "ds", tagged("dev", properties={"computeType": INSTANCE}))
    found = stack_violations(stack_rule("qa-prod-no-experimentation-compute"), [instance])
    assert found == []


def test_prod_lock_is_found_by_its_azure_id_alone() -> None:
    """Without property dependencies (a lock by scope, or state read back), IDs link them."""
    group = stack_resource(RESOURCE_GROUP, "rg", tagged("prod", id=GROUP_ID, name="rg-test"))
    lock_id = f"{GROUP_ID}/providers/Microsoft.Authorization/locks/do-not-delete"
    lock = stack_resource(
        "azure-native:authorization:ManagementLockByScope",
        "lock",
        {"id": lock_id, "level": "CanNotDelete"},
    )
    assert stack_violations(stack_rule("prod-resource-group-lock"), [group, lock]) == []


def test_read_only_lock_does_not_count_as_the_prod_delete_lock() -> None:
    group = stack_resource(RESOURCE_GROUP, "rg", tagged("prod", id=GROUP_ID, name="rg-test"))
    lock = stack_resource(
        "azure-native:authorization:ManagementLockAtResourceGroupLevel",
        "lock",
        {"resourceGroupName": "rg-test", "level": "ReadOnly"},
    )
    assert len(stack_violations(stack_rule("prod-resource-group-lock"), [group, lock])) == 1


def test_prod_rules_apply_when_any_resource_is_tagged_prod() -> None:
    resources = [
        stack_resource(STORAGE_ACCOUNT, "dev-storage", tagged("dev")),
        stack_resource(REGISTRY, "prod-registry", tagged("prod")),
    ]
    found = stack_violations(stack_rule("prod-data-protected"), resources)
    assert [urn for _, urn in found] == [r.urn for r in resources]


def test_workspace_without_managed_network_leaves_its_vault_open() -> None:
    resources = [
        stack_resource(
            KEY_VAULT,
            "vault",
            {"id": VAULT_ID, "properties": {"networkAcls": {"defaultAction": "Allow"}}},
        ),
        stack_resource(
            ML_WORKSPACE,
            "workspace",
            {"keyVault": VAULT_ID, "managedNetwork": {"isolationMode": "Disabled"}},
        ),
    ]
    assert stack_violations(stack_rule("keyvault-network-default-deny"), resources) == []


def test_unprotected_prod_storage_is_reported_on_the_real_prod_stack(
    stack_runs: dict[str, ProgramRun],
) -> None:
    args = stack_args(stack_runs["prod"])
    storage = next(r for r in args.resources if r.resource_type == STORAGE_ACCOUNT)
    storage.opts.protect = False
    found = Violations()
    stack_rule("prod-data-protected").validate(args, found)
    assert [urn for _, urn in found] == [storage.urn]


# --------------------------------------------------------------------------------------------
# The entry point and the pack's files
# --------------------------------------------------------------------------------------------


def forget_pack_modules() -> None:
    """Drop the pack as the entry point imports it, top-level (``mlops_policy``) from policy/."""
    for name in [n for n in sys.modules if n.partition(".")[0] == "mlops_policy"]:
        del sys.modules[name]


def test_entry_point_registers_every_policy_as_mandatory(monkeypatch: pytest.MonkeyPatch) -> None:
    packs: list[dict[str, Any]] = []
    monkeypatch.setattr("pulumi_policy.PolicyPack", lambda **kwargs: packs.append(kwargs))
    forget_pack_modules()
    try:
        runpy.run_path(str(POLICY_DIR), run_name="__main__")
    finally:
        forget_pack_modules()
    (pack,) = packs
    assert re.fullmatch(r"[a-zA-Z0-9-_.]{1,100}", pack["name"])
    assert pack["enforcement_level"] is EnforcementLevel.MANDATORY
    assert [p.name for p in pack["policies"]] == list(RULES)


def requirement_pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        requirement = line.split("#", 1)[0].strip()
        if "==" in requirement:
            name, version = requirement.split("==", 1)
            pins[name.strip().lower()] = version.strip()
    return pins


def test_pack_requirements_pin_the_pulumi_policy_the_tests_use() -> None:
    pins = requirement_pins(POLICY_DIR / "requirements.txt")
    assert pins["pulumi-policy"] == "1.21.0" == importlib.metadata.version("pulumi-policy")


def test_pack_requirements_pin_the_programs_pulumi() -> None:
    pack = requirement_pins(POLICY_DIR / "requirements.txt")
    program = requirement_pins(ROOT / "requirements.txt")
    assert pack["pulumi"] == program["pulumi"]


def test_pulumi_policy_yaml_declares_a_python_pack_with_its_own_venv() -> None:
    document = yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    assert document["runtime"]["name"] == "python"
    assert document["runtime"]["options"]["virtualenv"] == ".venv"


def test_docs_list_every_policy_with_its_enforcement_level() -> None:
    docs = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "pulumi preview --policy-pack policy" in docs
    for rule in RULES.values():
        assert re.search(rf"^\| `{re.escape(rule.name)}` \| mandatory \|", docs, re.MULTILINE), (
            rule.name
        )


# --------------------------------------------------------------------------------------------
# The pack as the Pulumi CLI runs it: a gRPC analyzer
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    """The pack started as the CLI starts it (its __main__.py), reached on loopback."""
    process = subprocess.Popen(
        [sys.executable, str(POLICY_DIR)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 60)
        assert ready, "the policy pack did not print its port"
        port = int(process.stdout.readline())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        process.kill()
        process.wait(timeout=30)


def struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(dict(props))
    return message


def test_pack_serves_every_policy_as_mandatory(
    analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert [p.name for p in info.policies] == list(RULES)
    assert {p.enforcementLevel for p in info.policies} == {analyzer_pb2.MANDATORY}


def test_pack_reports_a_violation_over_the_analyzer_protocol(
    analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    request = analyzer_pb2.AnalyzeRequest(
        type=REGISTRY,
        properties=struct({"adminUserEnabled": True, "anonymousPullEnabled": False}),
        urn=f"urn:pulumi:test::mlops::{REGISTRY}::registry",
        name="registry",
        options=analyzer_pb2.AnalyzerResourceOptions(),
    )
    diagnostics = analyzer.Analyze(request).diagnostics
    assert [(d.policyName, d.enforcementLevel) for d in diagnostics] == [
        ("registry-admin-user-disabled", analyzer_pb2.MANDATORY),
        ("environment-tag", analyzer_pb2.MANDATORY),
    ]
    assert "adminUserEnabled is true; set it to false" in diagnostics[0].message


@pytest.mark.parametrize("stack", STACKS)
def test_pack_passes_each_stack_over_the_analyzer_protocol(
    analyzer: analyzer_pb2_grpc.AnalyzerStub, stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    request = analyzer_pb2.AnalyzeStackRequest(
        resources=[
            analyzer_pb2.AnalyzerResource(
                type=r.type,
                properties=struct(r.outputs),
                urn=r.urn,
                name=r.name,
                options=analyzer_pb2.AnalyzerResourceOptions(protect=r.protect, parent=r.parent),
                parent=r.parent,
                dependencies=list(r.depends_on),
                propertyDependencies={
                    key: analyzer_pb2.AnalyzerPropertyDependencies(urns=list(urns))
                    for key, urns in r.property_dependencies.items()
                },
            )
            for r in run.resources
        ]
    )
    assert [(d.policyName, d.message) for d in analyzer.AnalyzeStack(request).diagnostics] == []
    for resource in run.resources:
        analyzed = analyzer.Analyze(
            analyzer_pb2.AnalyzeRequest(
                type=resource.type,
                properties=struct(resource.inputs),
                urn=resource.urn,
                name=resource.name,
                options=analyzer_pb2.AnalyzerResourceOptions(protect=resource.protect),
            )
        )
        assert [(d.policyName, d.message) for d in analyzed.diagnostics] == [], resource.name
