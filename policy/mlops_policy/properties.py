"""Reading a resource's properties as pulumi-policy hands them over, and the type tokens.

During ``pulumi preview`` values that Azure computes (IDs, principal IDs) are unknown. Presence
checks treat an unknown value as set; a check that needs the value itself lets pulumi-policy
report that it cannot run until ``pulumi up``, where it runs with the real value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

from pulumi_policy.proxy import UnknownValueError

# Type tokens (without an API version: see canonical_type).
RESOURCE_GROUP: Final = "azure-native:resources:ResourceGroup"
KEY_VAULT: Final = "azure-native:keyvault:Vault"
STORAGE_ACCOUNT: Final = "azure-native:storage:StorageAccount"
BLOB_SERVICE: Final = "azure-native:storage:BlobServiceProperties"
REGISTRY: Final = "azure-native:containerregistry:Registry"
LOG_ANALYTICS: Final = "azure-native:operationalinsights:Workspace"
APP_INSIGHTS: Final = "azure-native:applicationinsights:Component"
ML_WORKSPACE: Final = "azure-native:machinelearningservices:Workspace"
ML_REGISTRY: Final = "azure-native:machinelearningservices:Registry"
COMPUTE: Final = "azure-native:machinelearningservices:Compute"
ONLINE_ENDPOINT: Final = "azure-native:machinelearningservices:OnlineEndpoint"
BATCH_ENDPOINT: Final = "azure-native:machinelearningservices:BatchEndpoint"
DATASTORE: Final = "azure-native:machinelearningservices:Datastore"
ROLE_ASSIGNMENT: Final = "azure-native:authorization:RoleAssignment"
DIAGNOSTIC_SETTING: Final = "azure-native:monitor:DiagnosticSetting"
PRIVATE_ENDPOINT: Final = "azure-native:network:PrivateEndpoint"
PRIVATE_DNS_ZONE_GROUP: Final = "azure-native:network:PrivateDnsZoneGroup"
PRIVATE_DNS_ZONE: Final = "azure-native:privatedns:PrivateZone"
VIRTUAL_NETWORK_LINK: Final = "azure-native:privatedns:VirtualNetworkLink"
# Environments whose workspaces and dependencies are reached only through private endpoints.
PRIVATE_ENVIRONMENTS: Final = ("qa", "prod")
# Where Key Vaults and container registries are private: those environments', and the shared
# stack's, which dev, qa and prod adopt.
PRIVATE_DEPENDENCY_ENVIRONMENTS: Final = (*PRIVATE_ENVIRONMENTS, "shared")
# The program's tag on a workspace the team's network isolates instead of a managed network
# (mlops:network.isolation: customerManaged): the marker that makes the pack ask it to prove
# itself private (customer-managed-network) rather than have a managed network.
CUSTOMER_MANAGED_NETWORK_TAG: Final = "customerManagedNetwork"
# Who filters a customer-managed workspace's egress (mlops:network.egressFirewallId).
EGRESS_FIREWALL_TAG: Final = "egressFirewall"
RESOURCE_GROUP_LOCK: Final = "azure-native:authorization:ManagementLockAtResourceGroupLevel"
ACTION_GROUP: Final = "azure-native:monitor:ActionGroup"
METRIC_ALERT: Final = "azure-native:monitor:MetricAlert"
LOG_ALERT: Final = "azure-native:monitor:ScheduledQueryRule"
BUDGET: Final = "azure-native:consumption:Budget"
MANAGEMENT_LOCKS: Final = frozenset(
    {
        RESOURCE_GROUP_LOCK,
        "azure-native:authorization:ManagementLockByScope",
        "azure-native:authorization:ManagementLockAtResourceLevel",
    }
)
RANDOM_STRING: Final = "random:index/randomString:RandomString"

_VERSIONED_MODULE = re.compile(r"^(azure-native:[^:/]+)/[^:]+:")


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


def customer_managed(props: Any) -> bool:
    """Whether the program marked the workspace as isolated by the team's network."""
    return same(peek(props, "tags", CUSTOMER_MANAGED_NETWORK_TAG), "true")


def managed_network(props: Any) -> bool:
    """Whether the workspace has an Azure ML managed network (any isolation but Disabled)."""
    isolation = peek(props, "managedNetwork", "isolationMode")
    return isinstance(isolation, str) and not same(isolation, "Disabled")


def has_managed_identity(props: Any) -> bool:
    kind = get(props, "identity", "type")
    return isinstance(kind, str) and (
        "systemassigned" in kind.casefold() or "userassigned" in kind.casefold()
    )


def refuse_public_network(props: Any, path: tuple[str, ...], why: str) -> Iterator[str]:
    """One violation unless the public network access at ``path`` is 'Disabled'."""
    found = get(props, *path)
    if not same(found, "Disabled"):
        where = environment_of(props) or "this environment"
        yield f"{'.'.join(path)} is {show(found)}; set it to 'Disabled' in {where}: {why}"


def require(props: Any, path: tuple[str, ...], expected: object, why: str) -> Iterator[str]:
    """One violation unless the property at ``path`` is exactly ``expected``."""
    found = get(props, *path)
    if found is not expected:
        yield f"{'.'.join(path)} is {show(found)}; set it to {show(expected)}: {why}"
