"""Guardrails for the mlops Azure Machine Learning estate: the policy pack's validations.

Anchored on Microsoft's security baseline for Azure Machine Learning and the Well-Architected
guide for the Azure Machine Learning service. Every policy is mandatory.

* Resource policies see one resource's inputs as the engine receives them (camelCase keys),
  before it is created or updated. Rules that differ per environment read the resource's
  ``tags["environment"]`` (dev, qa or prod), which the program sets on every taggable resource.
* Stack policies see every resource of the stack with its outputs and options (protect,
  parent, dependencies), after the program has run. The stack's environment is the strictest
  ``environment`` tag found on its resources (prod, then qa, then dev).

The validations are plain functions with pulumi-policy's signatures, kept apart from the
``PolicyPack`` entry point (``__main__.py``) so that tests can call them directly.

During ``pulumi preview`` values that Azure computes (IDs, principal IDs) are unknown. Presence
checks treat an unknown value as set; a check that needs the value itself lets pulumi-policy
report that it cannot run until ``pulumi up``, where it runs with the real value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

PACK_NAME: Final = "mlops-guardrails"

# Type tokens (without an API version: see canonical_type).
RESOURCE_GROUP: Final = "azure-native:resources:ResourceGroup"
KEY_VAULT: Final = "azure-native:keyvault:Vault"
STORAGE_ACCOUNT: Final = "azure-native:storage:StorageAccount"
BLOB_SERVICE: Final = "azure-native:storage:BlobServiceProperties"
REGISTRY: Final = "azure-native:containerregistry:Registry"
LOG_ANALYTICS: Final = "azure-native:operationalinsights:Workspace"
APP_INSIGHTS: Final = "azure-native:applicationinsights:Component"
ML_WORKSPACE: Final = "azure-native:machinelearningservices:Workspace"
COMPUTE: Final = "azure-native:machinelearningservices:Compute"
ONLINE_ENDPOINT: Final = "azure-native:machinelearningservices:OnlineEndpoint"
BATCH_ENDPOINT: Final = "azure-native:machinelearningservices:BatchEndpoint"
DATASTORE: Final = "azure-native:machinelearningservices:Datastore"
ROLE_ASSIGNMENT: Final = "azure-native:authorization:RoleAssignment"
DIAGNOSTIC_SETTING: Final = "azure-native:monitor:DiagnosticSetting"
MANAGEMENT_LOCKS: Final = frozenset(
    {
        "azure-native:authorization:ManagementLockAtResourceGroupLevel",
        "azure-native:authorization:ManagementLockByScope",
    }
)
RANDOM_STRING: Final = "random:index/randomString:RandomString"

ENVIRONMENTS: Final = ("dev", "qa", "prod")
# Resources that carry tags; each must say which environment it belongs to.
TAGGABLE: Final = frozenset(
    {
        RESOURCE_GROUP,
        KEY_VAULT,
        STORAGE_ACCOUNT,
        REGISTRY,
        LOG_ANALYTICS,
        APP_INSIGHTS,
        ML_WORKSPACE,
        COMPUTE,
        ONLINE_ENDPOINT,
        BATCH_ENDPOINT,
    }
)
# What prod must protect: the resources holding data, secrets, images or logs, and the name
# suffix (replacing it renames, and so replaces, every one of them).
DATA_BEARING: Final = frozenset(
    {
        RESOURCE_GROUP,
        STORAGE_ACCOUNT,
        KEY_VAULT,
        REGISTRY,
        LOG_ANALYTICS,
        ML_WORKSPACE,
        RANDOM_STRING,
    }
)

# Built-in role definition GUIDs (identical in every subscription).
OWNER: Final = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR: Final = "b24988ac-6180-42a0-ab88-20f7382dd24c"
USER_ACCESS_ADMINISTRATOR: Final = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
PRIVILEGED_ROLES: Final = {
    OWNER: "Owner",
    CONTRIBUTOR: "Contributor",
    USER_ACCESS_ADMINISTRATOR: "User Access Administrator",
}
STORAGE_DATA_ROLES: Final = {
    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": "Storage Blob Data Reader",
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
}
# Grants that people asked for through `mlops:access` (reviewed config), as opposed to grants
# the program makes to the identities of the workspace, its computes and its endpoints.
ACCESS_GRANT_PREFIX: Final = "mlops:access"
HUMAN_PRINCIPAL_TYPES: Final = frozenset({"user", "group", "foreigngroup"})

MIN_SOFT_DELETE_DAYS: Final = 7
KEY_AUTH_OPT_OUT_TAG: Final = "allowKeyAuth"

_VERSIONED_MODULE = re.compile(r"^(azure-native:[^:/]+)/[^:]+:")
_ISO_DURATION = re.compile(r"^P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")
_STORAGE_DATA_SCOPE = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Storage/storageAccounts/"
    r"[^/]+(/blobServices/default/containers/[^/]+)?$",
    re.IGNORECASE,
)


# --------------------------------------------------------------------------------------------
# Reading properties
# --------------------------------------------------------------------------------------------


def canonical_type(type_token: str) -> str:
    """The type token without an API version.

    ``azure-native:storage/v20230101:StorageAccount`` -> ``azure-native:storage:StorageAccount``
    """
    return _VERSIONED_MODULE.sub(r"\1:", type_token)


def get(value: Any, *path: str) -> Any:
    """The value at ``path``, or None where a key is missing.

    An unknown value (during preview) raises pulumi-policy's UnknownValueError, which the SDK
    reports as "can't run during preview" instead of a violation.
    """
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def is_set(value: Any, *path: str) -> bool:
    """True when ``path`` holds a value; a value Azure will compute counts as set."""
    try:
        found = get(value, *path)
    except UnknownValueError:
        return True
    return found is not None and found != ""


def peek(value: Any, *path: str) -> Any:
    """Like ``get``, but None for an unknown value (for matching resources to each other)."""
    try:
        return get(value, *path)
    except UnknownValueError:
        return None


def items(value: Any) -> list[Any]:
    """The elements of a list property (an empty list when it is missing)."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return []


def same(value: Any, expected: str) -> bool:
    """Azure's enum values compare case-insensitively."""
    return isinstance(value, str) and value.casefold() == expected.casefold()


def show(value: Any) -> str:
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return f"'{value}'"
    return str(value)


def environment_of(props: Any) -> str | None:
    value = peek(props, "tags", "environment")
    return value if isinstance(value, str) else None


def role_guid(role_definition_id: Any) -> str:
    if not isinstance(role_definition_id, str):
        return ""
    return role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()


def has_managed_identity(props: Any) -> bool:
    kind = get(props, "identity", "type")
    return isinstance(kind, str) and (
        "systemassigned" in kind.casefold() or "userassigned" in kind.casefold()
    )


# --------------------------------------------------------------------------------------------
# Policy definitions
# --------------------------------------------------------------------------------------------

ResourceCheck = Callable[[ResourceValidationArgs], Iterable[str]]
StackCheck = Callable[[StackValidationArgs], Iterable[tuple[str, str | None]]]


@dataclass(frozen=True)
class ResourceRule:
    """A resource policy: which resources it applies to and what it checks on each."""

    name: str
    description: str
    resource_types: frozenset[str]
    check: ResourceCheck
    severity: Severity
    # Only compute of these types (properties.computeType), when set.
    compute_types: frozenset[str] = frozenset()
    # Only resources tagged with one of these environments, when set.
    environments: frozenset[str] = frozenset()
    enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY

    def applies_to(self, resource_type: str, props: Any) -> bool:
        if canonical_type(resource_type) not in self.resource_types:
            return False
        kind = peek(props, "properties", "computeType")
        if self.compute_types and not any(same(kind, t) for t in self.compute_types):
            return False
        return not self.environments or environment_of(props) in self.environments

    def validate(self, args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        """The validation pulumi-policy calls for each resource."""
        if self.applies_to(args.resource_type, args.props):
            for message in self.check(args):
                report_violation(message, None)

    def policy(self) -> ResourceValidationPolicy:
        return ResourceValidationPolicy(
            name=self.name,
            description=self.description,
            validate=self.validate,
            enforcement_level=self.enforcement_level,
            severity=self.severity,
        )


@dataclass(frozen=True)
class StackRule:
    """A stack policy: it sees every resource of the stack and reports by URN."""

    name: str
    description: str
    check: StackCheck
    severity: Severity
    enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY

    def validate(self, args: StackValidationArgs, report_violation: ReportViolation) -> None:
        """The validation pulumi-policy calls once for the stack."""
        for message, urn in self.check(args):
            report_violation(message, urn)

    def policy(self) -> StackValidationPolicy:
        return StackValidationPolicy(
            name=self.name,
            description=self.description,
            validate=self.validate,
            enforcement_level=self.enforcement_level,
            severity=self.severity,
        )


RESOURCE_RULES: list[ResourceRule] = []
STACK_RULES: list[StackRule] = []


def resource_rule(
    name: str,
    description: str,
    *resource_types: str,
    severity: Severity = Severity.HIGH,
    compute_types: Iterable[str] = (),
    environments: Iterable[str] = (),
) -> Callable[[ResourceCheck], ResourceCheck]:
    def register(check: ResourceCheck) -> ResourceCheck:
        RESOURCE_RULES.append(
            ResourceRule(
                name=name,
                description=description,
                resource_types=frozenset(resource_types),
                check=check,
                severity=severity,
                compute_types=frozenset(compute_types),
                environments=frozenset(environments),
            )
        )
        return check

    return register


def stack_rule(
    name: str, description: str, *, severity: Severity = Severity.HIGH
) -> Callable[[StackCheck], StackCheck]:
    def register(check: StackCheck) -> StackCheck:
        STACK_RULES.append(StackRule(name, description, check, severity))
        return check

    return register


def _require(props: Any, path: tuple[str, ...], expected: object, why: str) -> Iterator[str]:
    """One violation unless the property at ``path`` is exactly ``expected``."""
    found = get(props, *path)
    if found is not expected:
        yield f"{'.'.join(path)} is {show(found)}; set it to {show(expected)}: {why}"


# --------------------------------------------------------------------------------------------
# Key Vault
# --------------------------------------------------------------------------------------------


@resource_rule(
    "keyvault-rbac-authorization",
    "Key Vaults authorize data-plane access with Azure RBAC, not vault access policies.",
    KEY_VAULT,
)
def keyvault_rbac_authorization(args: ResourceValidationArgs) -> Iterator[str]:
    yield from _require(
        args.props,
        ("properties", "enableRbacAuthorization"),
        True,
        "access policies cannot be scoped to one secret or audited as role assignments are",
    )


@resource_rule(
    "keyvault-purge-protection",
    "Key Vaults have purge protection enabled.",
    KEY_VAULT,
)
def keyvault_purge_protection(args: ResourceValidationArgs) -> Iterator[str]:
    yield from _require(
        args.props,
        ("properties", "enablePurgeProtection"),
        True,
        "without it a deleted vault, and the workspace's secrets with it, can be purged for "
        "good before its retention period ends",
    )


@resource_rule(
    "keyvault-soft-delete",
    "Key Vaults have soft delete enabled.",
    KEY_VAULT,
)
def keyvault_soft_delete(args: ResourceValidationArgs) -> Iterator[str]:
    yield from _require(
        args.props,
        ("properties", "enableSoftDelete"),
        True,
        "a deleted vault and its secrets must stay recoverable",
    )


# --------------------------------------------------------------------------------------------
# Storage
# --------------------------------------------------------------------------------------------


@resource_rule(
    "storage-minimum-tls",
    "Storage accounts refuse TLS versions older than 1.2.",
    STORAGE_ACCOUNT,
)
def storage_minimum_tls(args: ResourceValidationArgs) -> Iterator[str]:
    found = get(args.props, "minimumTlsVersion")
    if not (same(found, "TLS1_2") or same(found, "TLS1_3")):
        yield f"minimumTlsVersion is {show(found)}; set it to 'TLS1_2' (or 'TLS1_3')"


@resource_rule(
    "storage-https-only",
    "Storage accounts accept HTTPS traffic only.",
    STORAGE_ACCOUNT,
)
def storage_https_only(args: ResourceValidationArgs) -> Iterator[str]:
    yield from _require(
        args.props,
        ("enableHttpsTrafficOnly",),
        True,
        "data and tokens must never travel in clear text",
    )


@resource_rule(
    "storage-no-public-blob-access",
    "Storage accounts allow no anonymous (public) blob access.",
    STORAGE_ACCOUNT,
)
def storage_no_public_blob_access(args: ResourceValidationArgs) -> Iterator[str]:
    yield from _require(
        args.props,
        ("allowBlobPublicAccess",),
        False,
        "no container of an ML workspace's storage may ever be readable anonymously",
    )


@resource_rule(
    "storage-no-shared-key-access",
    "Storage accounts disable shared key access: Microsoft Entra ID only.",
    STORAGE_ACCOUNT,
)
def storage_no_shared_key_access(args: ResourceValidationArgs) -> Iterator[str]:
    yield from _require(
        args.props,
        ("allowSharedKeyAccess",),
        False,
        "account keys and the SAS tokens signed with them bypass Entra ID and RBAC",
    )


@resource_rule(
    "storage-infrastructure-encryption",
    "Storage accounts encrypt data twice, with infrastructure encryption.",
    STORAGE_ACCOUNT,
)
def storage_infrastructure_encryption(args: ResourceValidationArgs) -> Iterator[str]:
    yield from _require(
        args.props,
        ("encryption", "requireInfrastructureEncryption"),
        True,
        "it can only be chosen when the account is created",
    )


@resource_rule(
    "storage-no-cross-tenant-replication",
    "Storage accounts do not replicate objects to other Microsoft Entra tenants.",
    STORAGE_ACCOUNT,
)
def storage_no_cross_tenant_replication(args: ResourceValidationArgs) -> Iterator[str]:
    yield from _require(
        args.props,
        ("allowCrossTenantReplication",),
        False,
        "object replication to another tenant copies training data out of the organization",
    )


def _retention(props: Any, policy_key: str, what: str) -> Iterator[str]:
    enabled = get(props, policy_key, "enabled")
    days = get(props, policy_key, "days")
    if enabled is not True:
        yield (
            f"{policy_key}.enabled is {show(enabled)}; set it to true with days >= "
            f"{MIN_SOFT_DELETE_DAYS}: a deleted {what} must stay recoverable"
        )
    elif not isinstance(days, int | float) or days < MIN_SOFT_DELETE_DAYS:
        yield (
            f"{policy_key}.days is {show(days)}; keep deleted {what}s for at least "
            f"{MIN_SOFT_DELETE_DAYS} days"
        )


@resource_rule(
    "storage-blob-soft-delete",
    f"Blob services keep deleted blobs for at least {MIN_SOFT_DELETE_DAYS} days.",
    BLOB_SERVICE,
    severity=Severity.MEDIUM,
)
def storage_blob_soft_delete(args: ResourceValidationArgs) -> Iterator[str]:
    yield from _retention(args.props, "deleteRetentionPolicy", "blob")


@resource_rule(
    "storage-container-soft-delete",
    f"Blob services keep deleted containers for at least {MIN_SOFT_DELETE_DAYS} days.",
    BLOB_SERVICE,
    severity=Severity.MEDIUM,
)
def storage_container_soft_delete(args: ResourceValidationArgs) -> Iterator[str]:
    yield from _retention(args.props, "containerDeleteRetentionPolicy", "container")


# --------------------------------------------------------------------------------------------
# Container registry
# --------------------------------------------------------------------------------------------


@resource_rule(
    "registry-admin-user-disabled",
    "Container registries have the admin user disabled.",
    REGISTRY,
)
def registry_admin_user_disabled(args: ResourceValidationArgs) -> Iterator[str]:
    yield from _require(
        args.props,
        ("adminUserEnabled",),
        False,
        "the admin user is a shared password with push rights; pull with managed identities",
    )


@resource_rule(
    "registry-anonymous-pull-disabled",
    "Container registries do not allow anonymous pull.",
    REGISTRY,
)
def registry_anonymous_pull_disabled(args: ResourceValidationArgs) -> Iterator[str]:
    yield from _require(
        args.props,
        ("anonymousPullEnabled",),
        False,
        "model and environment images must not be pullable by anyone on the internet",
    )


# --------------------------------------------------------------------------------------------
# Workspace
# --------------------------------------------------------------------------------------------


@resource_rule(
    "workspace-managed-identity",
    "Azure ML workspaces have a managed identity.",
    ML_WORKSPACE,
)
def workspace_managed_identity(args: ResourceValidationArgs) -> Iterator[str]:
    if not has_managed_identity(args.props):
        yield (
            f"identity.type is {show(get(args.props, 'identity', 'type'))}; set it to "
            "'SystemAssigned' (or 'UserAssigned'): the workspace reaches its storage, vault "
            "and registry with it"
        )


@resource_rule(
    "workspace-identity-datastore-auth",
    "Azure ML workspaces reach their system datastores with their identity, not account keys.",
    ML_WORKSPACE,
)
def workspace_identity_datastore_auth(args: ResourceValidationArgs) -> Iterator[str]:
    found = get(args.props, "systemDatastoresAuthMode")
    if not same(found, "Identity"):
        yield (
            f"systemDatastoresAuthMode is {show(found)}; set it to 'Identity': the default "
            "stores the storage account's key in the workspace"
        )


@resource_rule(
    "workspace-application-insights",
    "Azure ML workspaces have Application Insights attached.",
    ML_WORKSPACE,
    severity=Severity.MEDIUM,
)
def workspace_application_insights(args: ResourceValidationArgs) -> Iterator[str]:
    if not is_set(args.props, "applicationInsights"):
        yield (
            "applicationInsights is not set; attach an Application Insights component: "
            "endpoints and pipelines are monitored through it"
        )


@resource_rule(
    "workspace-prod-managed-network",
    "Production Azure ML workspaces isolate their managed network (approved outbound only).",
    ML_WORKSPACE,
    environments=("prod",),
)
def workspace_prod_managed_network(args: ResourceValidationArgs) -> Iterator[str]:
    found = get(args.props, "managedNetwork", "isolationMode")
    if not same(found, "AllowOnlyApprovedOutbound"):
        yield (
            f"managedNetwork.isolationMode is {show(found)}; set it to "
            "'AllowOnlyApprovedOutbound' in prod: compute reaches only approved destinations, "
            "so data cannot be exfiltrated"
        )


@resource_rule(
    "diagnostics-to-log-analytics",
    "Diagnostic settings send all logs and metrics to a Log Analytics workspace.",
    DIAGNOSTIC_SETTING,
    severity=Severity.MEDIUM,
)
def diagnostics_to_log_analytics(args: ResourceValidationArgs) -> Iterator[str]:
    props = args.props
    if not is_set(props, "workspaceId"):
        yield "workspaceId is not set; send the diagnostics to the Log Analytics workspace"
    logs = items(get(props, "logs"))
    if not any(
        same(get(log, "categoryGroup"), "allLogs") and get(log, "enabled") is True for log in logs
    ):
        yield "logs has no enabled entry with categoryGroup 'allLogs'; add one"
    if not any(get(metric, "enabled") is True for metric in items(get(props, "metrics"))):
        yield "metrics has no enabled entry; add category 'AllMetrics'"


# --------------------------------------------------------------------------------------------
# Compute
# --------------------------------------------------------------------------------------------


@resource_rule(
    "compute-instance-idle-shutdown",
    "Compute instances shut down when idle.",
    COMPUTE,
    compute_types=("ComputeInstance",),
    severity=Severity.MEDIUM,
)
def compute_instance_idle_shutdown(args: ResourceValidationArgs) -> Iterator[str]:
    found = get(args.props, "properties", "properties", "idleTimeBeforeShutdown")
    if not (isinstance(found, str) and _ISO_DURATION.fullmatch(found)):
        yield (
            f"properties.properties.idleTimeBeforeShutdown is {show(found)}; set an ISO 8601 "
            "duration such as 'PT60M': an idle instance costs as much as a busy one"
        )


@resource_rule(
    "compute-instance-ssh-disabled",
    "Compute instances have public SSH access disabled.",
    COMPUTE,
    compute_types=("ComputeInstance",),
)
def compute_instance_ssh_disabled(args: ResourceValidationArgs) -> Iterator[str]:
    found = get(args.props, "properties", "properties", "sshSettings", "sshPublicAccess")
    if not same(found, "Disabled"):
        yield (
            f"properties.properties.sshSettings.sshPublicAccess is {show(found)}; set it to "
            "'Disabled': use the studio, VS Code or Jupyter over Entra ID instead"
        )


@resource_rule(
    "compute-instance-assigned-user",
    "Compute instances are personal: assigned to one user.",
    COMPUTE,
    compute_types=("ComputeInstance",),
)
def compute_instance_assigned_user(args: ResourceValidationArgs) -> Iterator[str]:
    settings = get(args.props, "properties", "properties")
    kind = get(settings, "computeInstanceAuthorizationType")
    if kind is not None and not same(kind, "personal"):
        yield (
            f"properties.properties.computeInstanceAuthorizationType is {show(kind)}; "
            "set it to 'personal'"
        )
    if not is_set(settings, "personalComputeInstanceSettings", "assignedUser", "objectId"):
        yield (
            "properties.properties.personalComputeInstanceSettings.assignedUser.objectId is "
            "not set; assign the instance to the one user who works on it"
        )


@resource_rule(
    "compute-local-auth-disabled",
    "Compute instances and clusters have local authentication disabled.",
    COMPUTE,
    compute_types=("ComputeInstance", "AmlCompute"),
)
def compute_local_auth_disabled(args: ResourceValidationArgs) -> Iterator[str]:
    yield from _require(
        args.props,
        ("properties", "disableLocalAuth"),
        True,
        "only Microsoft Entra ID identities may authenticate to compute",
    )


@resource_rule(
    "cluster-scale-to-zero",
    "Compute clusters scale down to zero nodes.",
    COMPUTE,
    compute_types=("AmlCompute",),
    severity=Severity.MEDIUM,
)
def cluster_scale_to_zero(args: ResourceValidationArgs) -> Iterator[str]:
    found = get(args.props, "properties", "properties", "scaleSettings", "minNodeCount")
    if found != 0 or isinstance(found, bool):
        yield (
            f"properties.properties.scaleSettings.minNodeCount is {show(found)}; set it to 0: "
            "idle nodes are billed"
        )


@resource_rule(
    "cluster-remote-login-disabled",
    "Compute clusters have public remote login (SSH) disabled.",
    COMPUTE,
    compute_types=("AmlCompute",),
)
def cluster_remote_login_disabled(args: ResourceValidationArgs) -> Iterator[str]:
    found = get(args.props, "properties", "properties", "remoteLoginPortPublicAccess")
    if not same(found, "Disabled"):
        yield (
            f"properties.properties.remoteLoginPortPublicAccess is {show(found)}; set it to "
            "'Disabled' (Azure's default opens the SSH port on public IPs)"
        )


# --------------------------------------------------------------------------------------------
# Endpoints
# --------------------------------------------------------------------------------------------


@resource_rule(
    "endpoint-entra-id-auth",
    "Endpoints authenticate callers with Microsoft Entra ID tokens, unless key auth is allowed "
    f"explicitly (tag {KEY_AUTH_OPT_OUT_TAG}: 'true').",
    ONLINE_ENDPOINT,
    BATCH_ENDPOINT,
)
def endpoint_entra_id_auth(args: ResourceValidationArgs) -> Iterator[str]:
    found = get(args.props, "properties", "authMode")
    if same(found, "AADToken"):
        return
    opted_out = same(get(args.props, "tags", KEY_AUTH_OPT_OUT_TAG), "true")
    if same(found, "Key") and opted_out:
        return
    yield (
        f"properties.authMode is {show(found)}; set it to 'AADToken'. Key auth needs an explicit "
        f"opt-out (authMode: key in config, which tags the endpoint {KEY_AUTH_OPT_OUT_TAG}: "
        "'true'); other modes are not allowed"
    )


@resource_rule(
    "endpoint-managed-identity",
    "Endpoints have a managed identity.",
    ONLINE_ENDPOINT,
    BATCH_ENDPOINT,
)
def endpoint_managed_identity(args: ResourceValidationArgs) -> Iterator[str]:
    if not has_managed_identity(args.props):
        yield (
            f"identity.type is {show(get(args.props, 'identity', 'type'))}; set it to "
            "'SystemAssigned' (or 'UserAssigned'): deployments pull images and read models "
            "with it"
        )


# --------------------------------------------------------------------------------------------
# Datastores and role assignments
# --------------------------------------------------------------------------------------------


@resource_rule(
    "datastore-no-stored-credentials",
    "Datastores store no credentials: access is identity-based.",
    DATASTORE,
    severity=Severity.CRITICAL,
)
def datastore_no_stored_credentials(args: ResourceValidationArgs) -> Iterator[str]:
    found = get(args.props, "properties", "credentials", "credentialsType")
    if not same(found, "None"):
        yield (
            f"properties.credentials.credentialsType is {show(found)}; set it to 'None' and "
            "grant the workspace identity a data role on the container instead"
        )


def _is_workload_identity_grant(props: Any) -> bool:
    """A grant to the identity of the workspace, a compute or an endpoint (not from config)."""
    description = get(props, "description")
    from_config = isinstance(description, str) and description.startswith(ACCESS_GRANT_PREFIX)
    principal_type = get(props, "principalType")
    human = isinstance(principal_type, str) and principal_type.casefold() in (HUMAN_PRINCIPAL_TYPES)
    return not from_config and not human


@resource_rule(
    "role-workload-identity-least-privilege",
    "Workspace, compute and endpoint identities are never Owner, Contributor or User Access "
    "Administrator.",
    ROLE_ASSIGNMENT,
    severity=Severity.CRITICAL,
)
def role_workload_identity_least_privilege(args: ResourceValidationArgs) -> Iterator[str]:
    role = PRIVILEGED_ROLES.get(role_guid(get(args.props, "roleDefinitionId")))
    if role is not None and _is_workload_identity_grant(args.props):
        yield (
            f"grants {role} to a workload identity ({show(get(args.props, 'description'))}); "
            "grant the narrowest data role (e.g. Storage Blob Data Reader, AcrPull) on the one "
            "resource it needs"
        )


@resource_rule(
    "role-no-owner-or-user-access-administrator",
    "No role assignment grants Owner or User Access Administrator.",
    ROLE_ASSIGNMENT,
    severity=Severity.CRITICAL,
)
def role_no_owner_or_user_access_administrator(args: ResourceValidationArgs) -> Iterator[str]:
    guid = role_guid(get(args.props, "roleDefinitionId"))
    if guid in (OWNER, USER_ACCESS_ADMINISTRATOR):
        yield (
            f"grants {PRIVILEGED_ROLES[guid]}, which can hand out any access; that is the "
            "subscription owner's decision, made outside this program"
        )


@resource_rule(
    "role-storage-data-scope",
    "Storage data roles are granted on a storage account or container, never a subscription or "
    "resource group.",
    ROLE_ASSIGNMENT,
)
def role_storage_data_scope(args: ResourceValidationArgs) -> Iterator[str]:
    role = STORAGE_DATA_ROLES.get(role_guid(get(args.props, "roleDefinitionId")))
    if role is None:
        return
    scope = get(args.props, "scope")
    if not (isinstance(scope, str) and _STORAGE_DATA_SCOPE.fullmatch(scope)):
        yield (
            f"grants {role} at scope {show(scope)}; scope it to the storage account or, better, "
            "the one container (.../blobServices/default/containers/<name>)"
        )


# --------------------------------------------------------------------------------------------
# Tags
# --------------------------------------------------------------------------------------------


@resource_rule(
    "environment-tag",
    "Taggable resources carry tags.environment (dev, qa or prod); environment rules read it.",
    *sorted(TAGGABLE),
    severity=Severity.LOW,
)
def environment_tag(args: ResourceValidationArgs) -> Iterator[str]:
    found = get(args.props, "tags", "environment")
    if found not in ENVIRONMENTS:
        yield f"tags.environment is {show(found)}; set it to one of {', '.join(ENVIRONMENTS)}"


# --------------------------------------------------------------------------------------------
# Stack policies
# --------------------------------------------------------------------------------------------


def stack_environment(resources: Iterable[PolicyResource]) -> str | None:
    """The strictest environment any resource is tagged with: prod, then qa, then dev."""
    found = {environment_of(r.props) for r in resources}
    return next((env for env in reversed(ENVIRONMENTS) if env in found), None)


def of_type(resources: Iterable[PolicyResource], *types: str) -> list[PolicyResource]:
    return [r for r in resources if canonical_type(r.resource_type) in types]


def _parent_urn(resource: PolicyResource) -> str | None:
    return resource.parent.urn if resource.parent is not None else resource.opts.parent


def _refers_to(source: PolicyResource, key: str, target: PolicyResource, by: str = "id") -> bool:
    """Whether ``source``'s property ``key`` names ``target`` (its ``id`` or ``name``).

    Property dependencies carry the link even when the value is unknown (during preview);
    otherwise the values are compared, as Azure does, case-insensitively.
    """
    if any(dep.urn == target.urn for dep in source.property_dependencies.get(key, [])):
        return True
    value, wanted = peek(source.props, key), peek(target.props, by)
    return isinstance(value, str) and isinstance(wanted, str) and same(value, wanted)


def _is_child(source: PolicyResource, target: PolicyResource, segment: str) -> bool:
    """Whether ``source``'s ID sits under ``target``'s: ``<target id>/<segment>/...``."""
    child, parent = peek(source.props, "id"), peek(target.props, "id")
    return (
        isinstance(child, str)
        and isinstance(parent, str)
        and child.casefold().startswith(f"{parent}/{segment}/".casefold())
    )


def _label(resource: PolicyResource) -> str:
    return f"{canonical_type(resource.resource_type)} '{resource.name}'"


@stack_rule(
    "qa-prod-no-experimentation-compute",
    "qa and prod have no compute instances and no general-purpose clusters: only the clusters "
    "of batch endpoints.",
)
def qa_prod_no_experimentation_compute(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    environment = stack_environment(args.resources)
    if environment not in ("qa", "prod"):
        return
    # A batch endpoint's cluster is created beside it, under the same parent component.
    batch_parents = {_parent_urn(r) for r in of_type(args.resources, BATCH_ENDPOINT)}
    for compute in of_type(args.resources, COMPUTE):
        kind = get(compute.props, "properties", "computeType")
        if same(kind, "ComputeInstance"):
            yield (
                f"{_label(compute)} is a compute instance in {environment}; experiments "
                "belong in dev",
                compute.urn,
            )
        elif same(kind, "AmlCompute") and _parent_urn(compute) not in batch_parents:
            yield (
                f"{_label(compute)} is a general-purpose cluster in {environment}; only batch "
                "endpoints' clusters (created beside the endpoint) are allowed; train in dev",
                compute.urn,
            )


def _locks(lock: PolicyResource, group: PolicyResource) -> bool:
    return (
        _refers_to(lock, "resourceGroupName", group, by="name")
        or _refers_to(lock, "scope", group)
        or _is_child(lock, group, "providers/Microsoft.Authorization/locks")
    )


@stack_rule(
    "prod-resource-group-lock",
    "prod resource groups carry a CanNotDelete management lock.",
    severity=Severity.CRITICAL,
)
def prod_resource_group_lock(args: StackValidationArgs) -> Iterator[tuple[str, str | None]]:
    if stack_environment(args.resources) != "prod":
        return
    locks = [
        lock
        for lock in of_type(args.resources, *MANAGEMENT_LOCKS)
        if same(get(lock.props, "level"), "CanNotDelete")
    ]
    groups = of_type(args.resources, RESOURCE_GROUP)
    if not groups and not locks:
        yield "the prod stack has no CanNotDelete management lock", None
    for group in groups:
        if not any(_locks(lock, group) for lock in locks):
            yield (
                f"{_label(group)} has no CanNotDelete lock; add a "
                "ManagementLockAtResourceGroupLevel with level 'CanNotDelete' on it",
                group.urn,
            )


@stack_rule(
    "prod-data-protected",
    "In prod, every data-bearing resource is protected (Pulumi's protect option).",
    severity=Severity.CRITICAL,
)
def prod_data_protected(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    if stack_environment(args.resources) != "prod":
        return
    for resource in of_type(args.resources, *DATA_BEARING):
        if not resource.opts.protect:
            yield (
                f"{_label(resource)} is not protected; register it with protect=True so that "
                "no `pulumi destroy` or replacement can delete it",
                resource.urn,
            )


def _blob_services_of(
    account: PolicyResource, resources: list[PolicyResource]
) -> list[PolicyResource]:
    return [
        service
        for service in of_type(resources, BLOB_SERVICE)
        if _refers_to(service, "accountName", account, by="name")
        or _is_child(service, account, "blobServices")
    ]


@stack_rule(
    "storage-blob-service-configured",
    "Every storage account has blob service properties (the soft delete the program sets).",
    severity=Severity.MEDIUM,
)
def storage_blob_service_configured(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    for account in of_type(args.resources, STORAGE_ACCOUNT):
        if not _blob_services_of(account, args.resources):
            yield (
                f"{_label(account)} has no BlobServiceProperties; without one, Azure keeps "
                "blob and container soft delete off",
                account.urn,
            )


@stack_rule(
    "prod-blob-versioning",
    "In prod, blob versioning is on.",
    severity=Severity.MEDIUM,
)
def prod_blob_versioning(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    if stack_environment(args.resources) != "prod":
        return
    for service in of_type(args.resources, BLOB_SERVICE):
        found = get(service.props, "isVersioningEnabled")
        if found is not True:
            yield (
                f"{_label(service)} has isVersioningEnabled {show(found)}; set it to true in "
                "prod so that overwritten models and datasets stay recoverable",
                service.urn,
            )


@stack_rule(
    "workspace-diagnostic-settings",
    "Every Azure ML workspace has a diagnostic setting (to Log Analytics).",
    severity=Severity.MEDIUM,
)
def workspace_diagnostic_settings(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    settings = of_type(args.resources, DIAGNOSTIC_SETTING)
    for workspace in of_type(args.resources, ML_WORKSPACE):
        if not any(
            _refers_to(setting, "resourceUri", workspace)
            or _is_child(setting, workspace, "providers/Microsoft.Insights/diagnosticSettings")
            for setting in settings
        ):
            yield (
                f"{_label(workspace)} has no diagnostic setting; add a DiagnosticSetting "
                "(resourceUri: the workspace ID) sending allLogs and metrics to Log Analytics",
                workspace.urn,
            )


def _network_calls_for_deny(workspace: PolicyResource) -> bool:
    """A managed network (or no public access) means dependencies are reached privately."""
    isolation = get(workspace.props, "managedNetwork", "isolationMode")
    managed = isinstance(isolation, str) and not same(isolation, "Disabled")
    return managed or same(get(workspace.props, "publicNetworkAccess"), "Disabled")


def _private_dependencies(
    args: StackValidationArgs, key: str, resource_type: str
) -> Iterator[PolicyResource]:
    """The resources of ``resource_type`` that a privately networked workspace uses as ``key``.

    A dependency adopted from outside the stack (a shared vault) is not seen, nor checked.
    """
    candidates = of_type(args.resources, resource_type)
    for workspace in of_type(args.resources, ML_WORKSPACE):
        if _network_calls_for_deny(workspace):
            yield from (c for c in candidates if _refers_to(workspace, key, c))


@stack_rule(
    "keyvault-network-default-deny",
    "The Key Vault of a workspace on a managed network denies public network traffic by default.",
)
def keyvault_network_default_deny(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    for vault in _private_dependencies(args, "keyVault", KEY_VAULT):
        found = get(vault.props, "properties", "networkAcls", "defaultAction")
        if not same(found, "Deny"):
            yield (
                f"{_label(vault)} has properties.networkAcls.defaultAction {show(found)}; set it "
                "to 'Deny' (bypass 'AzureServices'): the workspace's managed network reaches it "
                "through a private endpoint",
                vault.urn,
            )


@stack_rule(
    "storage-network-default-deny",
    "The storage account of a workspace on a managed network denies public network traffic by "
    "default.",
)
def storage_network_default_deny(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    for account in _private_dependencies(args, "storageAccount", STORAGE_ACCOUNT):
        found = get(account.props, "networkRuleSet", "defaultAction")
        if not same(found, "Deny"):
            yield (
                f"{_label(account)} has networkRuleSet.defaultAction {show(found)}; set it to "
                "'Deny' (bypass 'AzureServices'): the workspace's managed network reaches it "
                "through a private endpoint",
                account.urn,
            )


# --------------------------------------------------------------------------------------------
# The pack's contents
# --------------------------------------------------------------------------------------------

RULES: Final[dict[str, ResourceRule | StackRule]] = {
    rule.name: rule for rule in [*RESOURCE_RULES, *STACK_RULES]
}


def build_policies() -> list[Policy]:
    """Fresh pulumi-policy objects for every rule, resource policies first."""
    return [rule.policy() for rule in RULES.values()]
