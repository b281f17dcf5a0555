"""Access: role assignments and datastores, so that every identity reaches only what it needs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Final

from pulumi_policy import ResourceValidationArgs, Severity

from .properties import DATASTORE, ROLE_ASSIGNMENT, get, same, show
from .rules import Area

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
    "b8eda974-7b85-4f76-af95-65846b26df6d": "Storage File Data Privileged Reader",
    "69566ab7-960f-475b-8e7c-b3118f30c6bd": "Storage File Data Privileged Contributor",
    "19e7f393-937e-4f77-808e-94535e297925": "Storage Queue Data Reader",
    "974c5e8b-45b9-4653-ba55-5f855dd0fb88": "Storage Queue Data Contributor",
    "76199698-9eea-4c19-bc75-cec21354c6b6": "Storage Table Data Reader",
    "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": "Storage Table Data Contributor",
}
# The one exemption from role-workload-identity-least-privilege: the program creates the grants
# people asked for through `mlops:access` (reviewed config) as children of this component, and
# nothing else there. A parent is set in the program's reviewed code, whereas a description is
# free text that any grant could copy.
ACCESS_GRANTS_COMPONENT: Final = "mlops:access:AccessGrants"
HUMAN_PRINCIPAL_TYPES: Final = frozenset({"user", "group", "foreigngroup"})

# Below a storage account, the items a storage data role may be narrowed to: those of the
# services the program's datastore kinds use (settings/datastores.py, which the pack cannot
# import; tests/test_datastore_kinds.py checks that every kind's scope passes).
STORAGE_DATA_ITEMS: Final = ("blobServices/default/containers",)
_STORAGE_DATA_SCOPE = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Storage/storageAccounts/"
    rf"[^/]+(/({'|'.join(map(re.escape, STORAGE_DATA_ITEMS))})/[^/]+)?$",
    re.IGNORECASE,
)

area = Area()


def role_guid(role_definition_id: Any) -> str:
    if not isinstance(role_definition_id, str):
        return ""
    return role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()


def _type_of(urn: str) -> str:
    """A resource's own type token, from its URN.

    ``urn:pulumi:<stack>::<project>::<type>::<name>``, where ``<type>`` is the types of the
    resource's parents and then its own, joined by ``$``.
    """
    _, _, qualified_type, _ = urn.split("::", 3)
    return qualified_type.rsplit("$", 1)[-1]


@area.resource_rule(
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


def _is_workload_identity_grant(args: ResourceValidationArgs) -> bool:
    """A grant to the identity of the workspace, a compute or an endpoint.

    That is any grant but those made for `mlops:access` (children of the AccessGrants component)
    and those to users and groups.
    """
    parent = args.opts.parent
    from_config = parent is not None and _type_of(parent) == ACCESS_GRANTS_COMPONENT
    principal_type = get(args.props, "principalType")
    human = isinstance(principal_type, str) and principal_type.casefold() in (HUMAN_PRINCIPAL_TYPES)
    return not from_config and not human


@area.resource_rule(
    "role-workload-identity-least-privilege",
    "Workspace, compute and endpoint identities are never Owner, Contributor or User Access "
    "Administrator.",
    ROLE_ASSIGNMENT,
    severity=Severity.CRITICAL,
)
def role_workload_identity_least_privilege(args: ResourceValidationArgs) -> Iterator[str]:
    role = PRIVILEGED_ROLES.get(role_guid(get(args.props, "roleDefinitionId")))
    if role is not None and _is_workload_identity_grant(args):
        yield (
            f"grants {role} to a workload identity ({show(get(args.props, 'description'))}); "
            "grant the narrowest data role (e.g. Storage Blob Data Reader, AcrPull) on the one "
            "resource it needs"
        )


@area.resource_rule(
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


@area.resource_rule(
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
