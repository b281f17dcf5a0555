"""What each pipeline identity may do: the custom roles' permissions and the ABAC condition.

The deploy role allows, per resource type the main program registers, the operations on that
type (a test fails when the program registers a type without a row here), reads anywhere in the
stack's subscription, management locks, and role assignment writes and deletes. Its assignment
carries a condition that lets those role assignment operations through only for the roles the
program grants (``settings.roles.BUILT_IN_ROLES``): never Owner, User Access Administrator or any
role that manages access.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Final

from settings.roles import ACCESS_SCOPES, BUILT_IN_ROLES, MODEL_REGISTRY_ROLES

# Built-in role definition GUIDs (identical in every subscription).
READER: Final = BUILT_IN_ROLES["Reader"]
BLOB_DATA_READER: Final = BUILT_IN_ROLES["Storage Blob Data Reader"]
BLOB_DATA_CONTRIBUTOR: Final = BUILT_IN_ROLES["Storage Blob Data Contributor"]
KEY_VAULT_CRYPTO_USER: Final = "12338af0-0e69-4776-bea7-57ae8d297424"
# Role assignment writes and deletes, reads: granted only with the condition below.
RBAC_ADMINISTRATOR: Final = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"

# The roles the program may assign, and so the only ones the condition lets through.
PROGRAM_ROLES: Final = tuple(sorted(set(BUILT_IN_ROLES.values())))
# On resources it does not own (datastore accounts, an adopted registry or Key Vault) the program
# grants data roles only: a datastore's Storage Blob Data Reader or Contributor, and mlops:access
# grants on the storage, registry or Key Vault scopes. Never Contributor there.
SHARED_SCOPE_ROLES: Final = tuple(
    sorted(
        {
            BUILT_IN_ROLES[role]
            for role, scopes in ACCESS_SCOPES.items()
            if {"storage", "registry", "keyVault"} & set(scopes)
        }
    )
)

# On the shared stack's Azure ML registry, dev, qa and prod grant their workspaces, people,
# pipeline and endpoints these (read, or read and write its assets): never more.
MODEL_REGISTRY_GRANTS: Final = tuple(sorted(BUILT_IN_ROLES[role] for role in MODEL_REGISTRY_ROLES))

_ASSIGN: Final = "Microsoft.Authorization/roleAssignments/write"
_UNASSIGN: Final = "Microsoft.Authorization/roleAssignments/delete"

# Per type token the main program registers: what creating, updating and deleting one takes.
DEPLOY_ACTIONS: Final[Mapping[str, tuple[str, ...]]] = {
    "azure-native:resources:ResourceGroup": (
        "Microsoft.Resources/subscriptions/resourceGroups/write",
        "Microsoft.Resources/subscriptions/resourceGroups/delete",
    ),
    "azure-native:authorization:ManagementLockAtResourceGroupLevel": (
        "Microsoft.Authorization/locks/*",
    ),
    # The delete locks on prod's data-bearing resources.
    "azure-native:authorization:ManagementLockByScope": ("Microsoft.Authorization/locks/*",),
    "azure-native:authorization:RoleAssignment": (_ASSIGN, _UNASSIGN),
    "azure-native:keyvault:Vault": ("Microsoft.KeyVault/vaults/*",),
    "azure-native:storage:StorageAccount": ("Microsoft.Storage/storageAccounts/*",),
    "azure-native:storage:BlobServiceProperties": (
        "Microsoft.Storage/storageAccounts/blobServices/*",
    ),
    "azure-native:operationalinsights:Workspace": ("Microsoft.OperationalInsights/workspaces/*",),
    "azure-native:applicationinsights:Component": ("Microsoft.Insights/components/*",),
    "azure-native:monitor:DiagnosticSetting": ("Microsoft.Insights/diagnosticSettings/*",),
    "azure-native:containerregistry:Registry": ("Microsoft.ContainerRegistry/registries/*",),
    # The managed network's private endpoints are workspace operations too
    # (privateEndpointConnections/read and write: learn.microsoft.com, "Managed virtual
    # network isolation", prerequisites).
    "azure-native:machinelearningservices:Workspace": (
        "Microsoft.MachineLearningServices/workspaces/*",
    ),
    # The shared stack's Azure ML registry; Azure ML creates its storage and container registry in
    # a managed resource group with its own identity.
    "azure-native:machinelearningservices:Registry": (
        "Microsoft.MachineLearningServices/registries/*",
    ),
    "azure-native:machinelearningservices:Compute": (
        "Microsoft.MachineLearningServices/workspaces/computes/*",
    ),
    "azure-native:machinelearningservices:OnlineEndpoint": (
        "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/*",
    ),
    "azure-native:machinelearningservices:BatchEndpoint": (
        "Microsoft.MachineLearningServices/workspaces/batchEndpoints/*",
    ),
    "azure-native:machinelearningservices:Datastore": (
        "Microsoft.MachineLearningServices/workspaces/datastores/*",
    ),
    "azure-native:machinelearningservices:ManagedNetworkSettingsRule": (
        "Microsoft.MachineLearningServices/workspaces/outboundRules/*",
    ),
    # Operations: the action group, alert rules and the resource group's budget.
    "azure-native:monitor:ActionGroup": ("Microsoft.Insights/actionGroups/*",),
    "azure-native:monitor:MetricAlert": ("Microsoft.Insights/metricAlerts/*",),
    "azure-native:monitor:ScheduledQueryRule": ("Microsoft.Insights/scheduledQueryRules/*",),
    "azure-native:consumption:Budget": ("Microsoft.Consumption/budgets/*",),
    # Inbound private endpoints (`inbound: private`); joining the team's subnet, VNet and hub
    # zones is granted on those resources by their owners (README, CI/CD: Roles).
    "azure-native:network:PrivateEndpoint": ("Microsoft.Network/privateEndpoints/*",),
    "azure-native:network:PrivateDnsZoneGroup": (
        "Microsoft.Network/privateEndpoints/privateDnsZoneGroups/*",
    ),
    "azure-native:privatedns:PrivateZone": ("Microsoft.Network/privateDnsZones/*",),
    "azure-native:privatedns:VirtualNetworkLink": (
        "Microsoft.Network/privateDnsZones/virtualNetworkLinks/*",
    ),
}
# Pulumi reads every resource it manages (refresh, diff) and polls Azure's asynchronous
# operations, whose status lives under each provider's locations/*.
READ_ANYTHING: Final = "*/read"


def covers(wildcard: str, action: str) -> bool:
    """Whether a role action such as ``Microsoft.Storage/storageAccounts/*`` allows ``action``."""
    if wildcard == action:
        return True
    if not wildcard.endswith("/*"):
        return wildcard.startswith("*/") and action.endswith(wildcard[1:])
    return action.lower().startswith(wildcard[:-1].lower())


def deploy_actions() -> tuple[str, ...]:
    """The deploy role's actions: each type's, without those another action already covers."""
    wanted = {READ_ANYTHING, *(a for actions in DEPLOY_ACTIONS.values() for a in actions)}
    return tuple(sorted(a for a in wanted if not any(w != a and covers(w, a) for w in wanted)))


# Pulumi's azurekeyvault:// secrets provider decrypts the stack's data key with the Key Vault
# key; only creating a stack or changing its provider encrypts one (pulumi/pulumi, the cloud
# secrets manager: NewCloudSecretsManager). Reading a stack takes no more than this.
STATE_KEY_DECRYPT_DATA_ACTIONS: Final = (
    "Microsoft.KeyVault/vaults/keys/read",
    "Microsoft.KeyVault/vaults/keys/decrypt/action",
)

CONDITION_VERSION: Final = "2.0"


def assignment_condition(role_guids: Iterable[str]) -> str:
    """Role assignments may be created and deleted only for ``role_guids``; nothing else is
    constrained. The documented form: learn.microsoft.com, "Examples to delegate Azure role
    assignment management with conditions", Constrain roles."""
    listed = ", ".join(sorted(set(role_guids)))
    return (
        f"((!(ActionMatches{{'{_ASSIGN}'}})) OR "
        f"(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] "
        f"ForAnyOfAnyValues:GuidEquals {{{listed}}})) AND "
        f"((!(ActionMatches{{'{_UNASSIGN}'}})) OR "
        f"(@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] "
        f"ForAnyOfAnyValues:GuidEquals {{{listed}}}))"
    )


# Fixed namespace: the same bootstrap, labels and role always give the same GUID.
_NAMESPACE: Final = uuid.UUID("3b0f1c52-7e4d-5a8b-9c61-0d2e4f6a8b13")


def stable_guid(seed: str, *parts: str) -> str:
    """Deterministic role assignment and definition names: a re-run never makes a second one."""
    return str(uuid.uuid5(_NAMESPACE, "/".join((seed, *parts))))
