"""The deploy role and its condition: what deploying the program takes, and role assignments only
of the roles the program grants.

The condition is evaluated, not pattern-matched: a small evaluator of the condition language's
operators it uses (ActionMatches, !, AND, OR, ForAnyOfAnyValues:GuidEquals on @Request and
@Resource) decides, as Azure would, which role assignment operations it lets through.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

import pytest

from bootstrap.roles import (
    DEPLOY_ACTIONS,
    KEY_VAULT_CRYPTO_USER,
    PROGRAM_ROLES,
    READ_ANYTHING,
    SHARED_SCOPE_ROLES,
    assignment_condition,
    covers,
    deploy_actions,
)
from offline.engine import ProgramRun
from settings.roles import ACCESS_SCOPES, BUILT_IN_ROLES
from settings.schema import DatastoreSettings
from tests.bootstrap.conftest import SUBSCRIPTIONS

OWNER: Final = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
USER_ACCESS_ADMINISTRATOR: Final = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
RBAC_ADMINISTRATOR: Final = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"
KEY_VAULT_ADMINISTRATOR: Final = "00482a5a-887f-4fb3-b363-3b7fe8e74483"
ACCESS_MANAGERS: Final = (OWNER, USER_ACCESS_ADMINISTRATOR, RBAC_ADMINISTRATOR)
WRITE: Final = "Microsoft.Authorization/roleAssignments/write"
DELETE: Final = "Microsoft.Authorization/roleAssignments/delete"
STORAGE: Final = "Microsoft.Storage/storageAccounts/*"

# -- a small evaluator of the condition language -----------------------------------------------

_TOKEN: Final = re.compile(
    r"\s*(?:(?P<open>\()|(?P<close>\))|(?P<not>!)|(?P<op>AND|OR)"
    r"|ActionMatches\{'(?P<action>[^']+)'\}"
    r"|@(?P<source>Request|Resource)\[Microsoft\.Authorization/roleAssignments:RoleDefinitionId\]"
    r" ForAnyOfAnyValues:GuidEquals \{(?P<guids>[^}]*)\})"
)


@dataclass(frozen=True)
class Operation:
    """A request Azure checks the condition against."""

    action: str
    request_role: str | None = None  # the role a write would assign
    resource_role: str | None = None  # the role of the assignment a delete removes


def _tokens(condition: str) -> Iterator[re.Match[str]]:
    position = 0
    while position < len(condition.rstrip()):
        match = _TOKEN.match(condition, position)
        assert match, f"unexpected text at {condition[position : position + 40]!r}"
        position = match.end()
        yield match


Check = Callable[[], bool]


def allows(condition: str, operation: Operation) -> bool:
    """Parsed into checks that evaluate as Azure does, left to right and only as far as needed:
    an attribute the operation lacks must never decide the outcome."""
    tokens = list(_tokens(condition))

    def expression(at: int) -> tuple[Check, int]:  # OR binds loosest
        check, at = conjunction(at)
        while at < len(tokens) and tokens[at]["op"] == "OR":
            right, at = conjunction(at + 1)
            check = functools.partial(lambda a, b: a() or b(), check, right)
        return check, at

    def conjunction(at: int) -> tuple[Check, int]:
        check, at = unary(at)
        while at < len(tokens) and tokens[at]["op"] == "AND":
            right, at = unary(at + 1)
            check = functools.partial(lambda a, b: a() and b(), check, right)
        return check, at

    def unary(at: int) -> tuple[Check, int]:
        token = tokens[at]
        if token["not"]:
            check, at = unary(at + 1)
            return functools.partial(lambda c: not c(), check), at
        if token["open"]:
            check, at = expression(at + 1)
            assert tokens[at]["close"], "unbalanced parentheses"
            return check, at + 1
        if token["action"]:
            return functools.partial(lambda a: a == operation.action, token["action"]), at + 1
        return functools.partial(attribute, token["source"], token["guids"]), at + 1

    def attribute(source: str, guids: str) -> bool:
        role = operation.request_role if source == "Request" else operation.resource_role
        assert role is not None, f"@{source} attribute read for {operation.action}"
        return role in {g.strip() for g in guids.split(",")}

    check, end = expression(0)
    assert end == len(tokens), "trailing tokens"
    return check()


def may_assign(condition: str, role: str) -> bool:
    return allows(condition, Operation(WRITE, request_role=role))


def may_unassign(condition: str, role: str) -> bool:
    return allows(condition, Operation(DELETE, resource_role=role))


# -- the condition ---------------------------------------------------------------------------


def test_the_program_roles_are_the_built_in_roles_it_grants() -> None:
    assert set(PROGRAM_ROLES) == set(BUILT_IN_ROLES.values())


@pytest.mark.parametrize("role", sorted(BUILT_IN_ROLES))
def test_the_condition_lets_the_deploy_identity_assign_and_remove_each_program_role(
    role: str,
) -> None:
    condition = assignment_condition(PROGRAM_ROLES)
    assert may_assign(condition, BUILT_IN_ROLES[role])
    assert may_unassign(condition, BUILT_IN_ROLES[role])


@pytest.mark.parametrize("role", [*ACCESS_MANAGERS, KEY_VAULT_ADMINISTRATOR])
def test_the_condition_refuses_owner_user_access_administrator_and_other_roles(role: str) -> None:
    condition = assignment_condition(PROGRAM_ROLES)
    assert not may_assign(condition, role)
    assert not may_unassign(condition, role)


def test_the_condition_leaves_every_other_action_alone() -> None:
    condition = assignment_condition(PROGRAM_ROLES)
    for action in (
        "Microsoft.Storage/storageAccounts/write",
        "Microsoft.Authorization/locks/write",
    ):
        assert allows(condition, Operation(action))


def test_shared_scopes_allow_only_data_roles_never_contributor() -> None:
    condition = assignment_condition(SHARED_SCOPE_ROLES)
    for role in ("AcrPull", "AcrPush", "Key Vault Secrets User", "Storage Blob Data Reader"):
        assert may_assign(condition, BUILT_IN_ROLES[role])
    for role in ("Contributor", "Reader", "AzureML Data Scientist"):
        assert not may_assign(condition, BUILT_IN_ROLES[role])
    assert not any(may_assign(condition, role) for role in ACCESS_MANAGERS)


@pytest.mark.parametrize("read_only", [True, False])
def test_shared_scopes_allow_the_roles_a_datastore_grants(read_only: bool) -> None:
    store = DatastoreSettings.model_validate(
        {
            "name": "raw",
            "storageAccountId": (
                "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg"
                "/providers/Microsoft.Storage/storageAccounts/stdata"
            ),
            "container": "data",
            "readOnly": read_only,
        }
    )
    assert BUILT_IN_ROLES[store.role] in SHARED_SCOPE_ROLES


def test_shared_scopes_allow_access_grants_on_a_registry_or_key_vault() -> None:
    for role, scopes in ACCESS_SCOPES.items():
        if {"registry", "keyVault"} & set(scopes):
            assert BUILT_IN_ROLES[role] in SHARED_SCOPE_ROLES, role


def test_every_assignment_that_may_assign_roles_carries_the_condition_at_version_2(
    full_run: ProgramRun,
) -> None:
    deploy_roles = {
        r.id
        for r in full_run.of_type("azure-native:authorization:RoleDefinition")
        if "mlops deploy" in r.inputs["roleName"]
    }
    assignments = full_run.of_type("azure-native:authorization:RoleAssignment")
    assigning = [
        r
        for r in assignments
        if r.inputs["roleDefinitionId"] in deploy_roles
        or r.inputs["roleDefinitionId"].endswith(RBAC_ADMINISTRATOR)
    ]
    # Each stack's deploy role; RBAC Administrator on the data account (every stack) and on
    # prod's registry.
    assert len(assigning) == 3 + 3 + 1
    for assignment in assigning:
        assert assignment.inputs["conditionVersion"] == "2.0"
        condition = assignment.inputs["condition"]
        assert not any(may_assign(condition, role) for role in ACCESS_MANAGERS)
    # Every other assignment is of a role that cannot assign roles at all.
    others = {r.inputs["roleDefinitionId"].rsplit("/", 1)[-1] for r in assignments} - {
        r.inputs["roleDefinitionId"].rsplit("/", 1)[-1] for r in assigning
    }
    key_reader = {
        r.inputs["roleDefinitionId"]
        for r in full_run.of_type("azure-native:authorization:RoleDefinition")
        if "state key reader" in r.inputs["roleName"]
    }
    assert others == {
        BUILT_IN_ROLES["Reader"],
        BUILT_IN_ROLES["Storage Blob Data Reader"],
        BUILT_IN_ROLES["Storage Blob Data Contributor"],
        KEY_VAULT_CRYPTO_USER,
        *key_reader,
    }


# -- the deploy role -------------------------------------------------------------------------


def test_every_type_the_program_registers_has_its_deploy_actions(
    stack_runs: dict[str, ProgramRun],
) -> None:
    registered = {
        r.type
        for run in stack_runs.values()
        for r in run.resources
        if r.custom and r.type.startswith("azure-native:")
    }
    missing = sorted(registered - DEPLOY_ACTIONS.keys())
    assert not missing, f"add the actions deploying {missing} takes to bootstrap/roles.py"


def test_the_deploy_role_allows_every_action_of_every_type() -> None:
    actions = deploy_actions()
    for token, needed in DEPLOY_ACTIONS.items():
        for action in needed:
            assert any(covers(granted, action) for granted in actions), (token, action)


def test_the_deploy_role_can_manage_locks_and_read() -> None:
    actions = deploy_actions()
    assert "Microsoft.Authorization/locks/*" in actions
    assert READ_ANYTHING in actions


def test_the_deploy_role_cannot_manage_access_beyond_role_assignments() -> None:
    authorization = {a for a in deploy_actions() if a.startswith("Microsoft.Authorization/")}
    assert authorization == {"Microsoft.Authorization/locks/*", WRITE, DELETE}
    assert "*" not in deploy_actions()


def test_the_deploy_role_lists_no_action_another_one_covers() -> None:
    actions = deploy_actions()
    for action in actions:
        assert not any(covers(other, action) for other in actions if other != action), action


def test_the_deploy_role_definition_has_no_data_actions(full_run: ProgramRun) -> None:
    # Azure refuses a GUID-comparing condition on a role with Microsoft.Storage data actions.
    for role in full_run.of_type("azure-native:authorization:RoleDefinition"):
        if "deploy" in role.inputs["roleName"]:
            (permissions,) = role.inputs["permissions"]
            assert permissions["actions"] == list(deploy_actions())
            assert not permissions.get("dataActions")


def test_each_deploy_role_is_assignable_only_in_its_stack_subscription(
    full_run: ProgramRun,
) -> None:
    deploy = [
        r
        for r in full_run.of_type("azure-native:authorization:RoleDefinition")
        if "deploy" in r.inputs["roleName"]
    ]
    assert sorted(r.inputs["assignableScopes"][0] for r in deploy) == sorted(
        f"/subscriptions/{s}" for s in SUBSCRIPTIONS.values()
    )
    for role in deploy:
        assert role.inputs["assignableScopes"] == [role.inputs["scope"]]
        assert role.inputs["roleType"] == "CustomRole"


@pytest.mark.parametrize(
    ("wildcard", "action", "expected"),
    [
        ("*/read", "Microsoft.Storage/storageAccounts/read", True),
        ("*/read", "Microsoft.Storage/storageAccounts/write", False),
        (
            "Microsoft.Storage/storageAccounts/*",
            "Microsoft.Storage/storageAccounts/blobServices/*",
            True,
        ),
        ("Microsoft.Storage/storageAccounts/*", "Microsoft.KeyVault/vaults/write", False),
        (WRITE, WRITE, True),
        (WRITE, DELETE, False),
    ],
)
def test_covers_reads_role_wildcards(wildcard: str, action: str, expected: bool) -> None:
    assert covers(wildcard, action) is expected
