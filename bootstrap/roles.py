"""What each pipeline identity may do: the custom roles' permissions and the ABAC condition.

The deploy role allows, per resource type the main program registers, the operations on that
type (its row's ``deploy`` in offline/resource_types.py: a test fails when the program registers
a type without them), reads anywhere in the stack's subscription, placing management locks
(never lifting one), and role assignment writes and deletes. Its assignment carries a condition
that lets those role assignment operations through only for the roles the program grants
(``settings.roles.BUILT_IN_ROLES``) and those Azure ML assigns on its behalf, each only to the
kinds of principal that role may go to (``ASSIGNABLE_TO``): never Owner, User Access
Administrator, Contributor or any role that manages access, and to a user only a role the access
matrix gives people.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import Final, Literal

from components.access import AS_CONFIGURED, MATRIX, PEOPLE, Entitlement, Principal, ScopeKind
from offline.resource_types import RESOURCE_TYPES, ROLE_ASSIGNMENT_DELETE, ROLE_ASSIGNMENT_WRITE
from settings.datastores import DATASTORE_SCOPES, READ_ONLY_DATASTORE_SCOPES
from settings.roles import ACCESS_SCOPES, BUILT_IN_ROLES, MODEL_REGISTRY_ROLES, AccessScope

# Built-in role definition GUIDs (identical in every subscription).
READER: Final = BUILT_IN_ROLES["Reader"]
BLOB_DATA_READER: Final = BUILT_IN_ROLES["Storage Blob Data Reader"]
BLOB_DATA_CONTRIBUTOR: Final = BUILT_IN_ROLES["Storage Blob Data Contributor"]
# Role assignment writes and deletes, reads: granted only with the condition below.
RBAC_ADMINISTRATOR: Final = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"

# Roles Azure ML assigns itself that the program never grants (so not in BUILT_IN_ROLES): an
# online endpoint's system-assigned identity gets this one on the workspace.
# https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/ai-machine-learning#azureml-metrics-writer-preview
AZURE_ML_ONLY_ROLES: Final[Mapping[str, str]] = {
    "AzureML Metrics Writer (preview)": "635dd51f-9968-44d3-b7fb-6d9a6bd613ae",
}

PrincipalType = Literal["User", "Group", "ServicePrincipal"]
# In this order in the condition, as in the documented example ({'User', 'Group'}).
PRINCIPAL_TYPES: Final[tuple[PrincipalType, ...]] = ("User", "Group", "ServicePrincipal")
# Managed identities and service principals are ServicePrincipal to Azure RBAC; groups carry
# `mlops:access` entries (their default principalType) and the people in them.
WORKLOADS_AND_GROUPS: Final[frozenset[PrincipalType]] = frozenset({"ServicePrincipal", "Group"})


def _guid(role: str) -> str:
    return {**BUILT_IN_ROLES, **AZURE_ML_ONLY_ROLES}[role]


# The matrix's principals that may be people (an `mlops:access` entry's principalType may be
# User; a compute instance's user is one).
_PEOPLE: Final[frozenset[Principal]] = frozenset({*PEOPLE, "accessEntry"})


def _given_to_people(row: Entitlement) -> Iterator[str]:
    if row.by_azure or not _PEOPLE & set(row.principals):
        return
    # An entry's row names no role: the entry does, one of ACCESS_SCOPES.
    yield from ACCESS_SCOPES if row.role == AS_CONFIGURED else (row.role,)


# The roles a user may be assigned: those an `mlops:access` entry may name, and those the matrix
# gives data scientists and compute instance users.
USER_ROLES: Final = tuple(
    sorted({*ACCESS_SCOPES, *(r for row in MATRIX for r in _given_to_people(row))})
)


def _by_azure_ml(row: Entitlement) -> bool:
    # The workspace's own row names no role: Azure ML chooses it at workspace creation
    # ("Managed by Microsoft"), Azure AI Administrator on the resource group today, a role with
    # write on storage, Key Vaults and registries that no deploy identity should hand out.
    return row.by_azure and "workspace" not in row.principals


# Roles Azure ML assigns when the program creates a cluster or an online endpoint: AcrPull (each
# cluster's and endpoint's identity), Storage Blob Data Reader and AzureML Metrics Writer
# (preview) (each endpoint's). The docs do not say whether Azure ML assigns them with the
# caller's permission, so the deploy identity may assign them too, to managed identities alone.
# https://learn.microsoft.com/azure/machine-learning/concept-endpoints-online-auth#automatic-role-assignment-for-endpoint-identity
AZURE_ML_ROLES: Final = tuple(sorted({_guid(row.role) for row in MATRIX if _by_azure_ml(row)}))

# The roles the program grants itself; with AZURE_ML_ROLES, the only ones the deploy condition
# lets through (DEPLOY_ROLES).
PROGRAM_ROLES: Final = tuple(sorted(set(BUILT_IN_ROLES.values())))


def _assignable_to() -> dict[str, tuple[PrincipalType, ...]]:
    found: dict[str, set[PrincipalType]] = {}
    for name, guid in BUILT_IN_ROLES.items():
        found[guid] = {*WORKLOADS_AND_GROUPS, *(("User",) if name in USER_ROLES else ())}
    for guid in AZURE_ML_ROLES:
        found.setdefault(guid, set()).add("ServicePrincipal")
    return {
        guid: tuple(t for t in PRINCIPAL_TYPES if t in types)
        for guid, types in sorted(found.items())
    }


# Per role the deploy identity may assign, the kinds of principal it may assign it to (the
# documented "Constrain roles and principal types"): every role the program grants to service
# principals and groups, to users only the roles of USER_ROLES, and Azure ML's to managed
# identities (ServicePrincipal) alone.
ASSIGNABLE_TO: Final[Mapping[str, tuple[PrincipalType, ...]]] = _assignable_to()
# Everything the deploy identity may assign in its stack's subscription.
DEPLOY_ROLES: Final = tuple(ASSIGNABLE_TO)

# Scopes of the matrix that lie outside the stack's subscription: the datastores' containers
# (settings/datastores.py) and accounts, and an adopted (shared) container registry or Key Vault.
_SHARED_KINDS: Final[frozenset[ScopeKind]] = frozenset(
    {*DATASTORE_SCOPES, "datastoreAccounts", "registry", "keyVault"}
)
# What `mlops:access` entries may grant on shared resources.
_SHARED_ACCESS_SCOPES: Final[frozenset[AccessScope]] = frozenset(
    {"storage", "registry", "keyVault"}
)
# On resources it does not own the program grants what the matrix's rows on those scopes name
# (a datastore's data role, the workspace's private endpoint approval on the datastore's account,
# Azure ML's AcrPull on an adopted registry) and what `mlops:access` entries may name on the
# storage, registry or Key Vault scopes. Never Contributor there.
SHARED_SCOPE_ROLES: Final = tuple(
    sorted(
        {
            *(
                _guid(row.role)
                for row in MATRIX
                if row.scope in _SHARED_KINDS and (not row.by_azure or _by_azure_ml(row))
            ),
            *(
                BUILT_IN_ROLES[role]
                for role, scopes in ACCESS_SCOPES.items()
                if _SHARED_ACCESS_SCOPES & set(scopes)
            ),
        }
    )
)

# On a shared scope the stack only reads (access: read), what the matrix grants on read-only
# datastores and on datastores' accounts: each datastore kind's reader role (Storage Blob Data
# Reader), and the workspace's private endpoint approval. Never a data contributor role.
_READ_KINDS: Final[frozenset[ScopeKind]] = frozenset(
    {*READ_ONLY_DATASTORE_SCOPES, "datastoreAccounts"}
)
READ_SHARED_SCOPE_ROLES: Final = tuple(
    sorted({_guid(row.role) for row in MATRIX if row.scope in _READ_KINDS and not row.by_azure})
)

# On the shared stack's Azure ML registry, dev, qa and prod grant their workspaces, people,
# pipeline and endpoints these (read, or read and write its assets, and the workspace's private
# endpoint approval): never more.
MODEL_REGISTRY_GRANTS: Final = tuple(sorted(BUILT_IN_ROLES[role] for role in MODEL_REGISTRY_ROLES))


def assignable(role_guids: Iterable[str]) -> dict[str, tuple[PrincipalType, ...]]:
    """``ASSIGNABLE_TO`` for ``role_guids`` alone: what an assignment condition takes."""
    return {guid: ASSIGNABLE_TO[guid] for guid in sorted(set(role_guids))}


# Per type token the main program registers: what creating, updating and deleting one takes
# (each type's row in offline/resource_types.py).
DEPLOY_ACTIONS: Final[Mapping[str, tuple[str, ...]]] = {
    token: row.deploy for token, row in RESOURCE_TYPES.items() if row.deploy
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
# Deploying and creating a stack: the provider (gocloud.dev/secrets/azurekeyvault) calls the
# key's encrypt and decrypt operations (RSA-OAEP-256), never wrapKey or unwrapKey. Unlike Key
# Vault Crypto User, no keys/update/action, so no pipeline can disable or change its own key.
# https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/security#key-vault-crypto-user
STATE_KEY_USE_DATA_ACTIONS: Final = (
    *STATE_KEY_DECRYPT_DATA_ACTIONS,
    "Microsoft.KeyVault/vaults/keys/encrypt/action",
)

CONDITION_VERSION: Final = "2.0"


_ROLE_ATTRIBUTE: Final = "Microsoft.Authorization/roleAssignments:RoleDefinitionId"
_TYPE_ATTRIBUTE: Final = "Microsoft.Authorization/roleAssignments:PrincipalType"
_PRINCIPAL_ATTRIBUTE: Final = "Microsoft.Authorization/roleAssignments:PrincipalId"
# Stands for the principal that holds the condition until its ID is known (``for_principal``):
# no identity may grant a role to itself.
ASSIGNEE: Final = "00000000-0000-0000-0000-00000000a551"


def _listed(values: Iterable[str], quote: str = "") -> str:
    return "{" + ", ".join(f"{quote}{v}{quote}" for v in values) + "}"


def _branch(
    action: str,
    source: str,
    groups: list[tuple[tuple[str, ...], list[str]]],
    exclude_holder: bool = True,
) -> str:
    """``action`` is let through only for a role of a group assigned to a principal of one of
    that group's types; any other action passes."""
    allowed = [
        f"@{source}[{_ROLE_ATTRIBUTE}] ForAnyOfAnyValues:GuidEquals {_listed(guids)} AND "
        f"@{source}[{_TYPE_ATTRIBUTE}] ForAnyOfAnyValues:StringEqualsIgnoreCase "
        f"{_listed(types, quote=chr(39))}"
        for types, guids in groups
    ]
    either = allowed[0] if len(allowed) == 1 else " OR ".join(f"({a})" for a in allowed)
    if source == "Request" and exclude_holder:  # never to the identity holding the condition
        either = (
            f"({either}) AND @Request[{_PRINCIPAL_ATTRIBUTE}] ForAnyOfAnyValues:GuidNotEquals "
            f"{{{ASSIGNEE}}}"
        )
    return f"((!(ActionMatches{{'{action}'}})) OR ({either}))"


def for_principal(condition: str, principal_id: str) -> str:
    """``condition`` as the principal ``principal_id`` holds it: never granting to itself."""
    return condition.replace(ASSIGNEE, principal_id)


def assignment_condition(allowed: Mapping[str, Iterable[str]], exclude_holder: bool = True) -> str:
    """Role assignments may be created and deleted only for the roles of ``allowed`` (role
    definition GUID to principal types), each only to or from a principal of one of its types,
    and (``exclude_holder``) never created for the identity holding the condition, ``ASSIGNEE``
    until ``for_principal`` names it. The documented form, one AND pair per set of principal
    types: learn.microsoft.com, "Examples to delegate Azure role assignment management with
    conditions", Constrain roles and principal types."""
    by_types: dict[tuple[str, ...], list[str]] = {}
    for guid in sorted(allowed):
        types = tuple(t for t in PRINCIPAL_TYPES if t in set(allowed[guid]))
        assert types, f"role {guid} may be assigned to no kind of principal"
        by_types.setdefault(types, []).append(guid)
    # The widest set of principal types first (User, Group, ServicePrincipal), then fewer.
    groups = sorted(by_types.items(), key=lambda group: (-len(group[0]), group[0]))
    assert groups, "a condition allowing no role at all"
    assign = _branch(ROLE_ASSIGNMENT_WRITE, "Request", groups, exclude_holder)
    return f"{assign} AND {_branch(ROLE_ASSIGNMENT_DELETE, 'Resource', groups)}"


# Fixed namespace: the same bootstrap, labels and role always give the same GUID.
_NAMESPACE: Final = uuid.UUID("3b0f1c52-7e4d-5a8b-9c61-0d2e4f6a8b13")


def stable_guid(seed: str, *parts: str) -> str:
    """Deterministic role assignment and definition names: a re-run never makes a second one."""
    return str(uuid.uuid5(_NAMESPACE, "/".join((seed, *parts))))
