"""The deploy role and its condition: what deploying the program takes, and role assignments only
of the roles the program grants (and those Azure ML assigns on its behalf), each only to the kinds
of principal it may go to.

The condition is evaluated, not pattern-matched: a small evaluator of the condition language's
operators it uses (ActionMatches, !, AND, OR, ForAnyOfAnyValues:GuidEquals on the role definition
ID and ForAnyOfAnyValues:StringEqualsIgnoreCase on the principal type, from @Request and
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
    ASSIGNABLE_TO,
    ASSIGNEE,
    AZURE_ML_ONLY_ROLES,
    AZURE_ML_ROLES,
    DEPLOY_ACTIONS,
    DEPLOY_ROLES,
    MODEL_REGISTRY_GRANTS,
    PROGRAM_ROLES,
    READ_ANYTHING,
    READ_SHARED_SCOPE_ROLES,
    SHARED_SCOPE_ROLES,
    USER_ROLES,
    assignable,
    assignment_condition,
    covers,
    deploy_actions,
)
from components.access import AS_CONFIGURED, MATRIX, PEOPLE
from offline.engine import MOCK_SUBSCRIPTION_ID, ProgramRun
from settings.datastores import DATASTORE_SCOPES
from settings.roles import ACCESS_SCOPES, BUILT_IN_ROLES, MODEL_REGISTRY_ROLES
from settings.schema import DatastoreSettings
from tests.bootstrap.conftest import SUBSCRIPTIONS

OWNER: Final = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
USER_ACCESS_ADMINISTRATOR: Final = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
RBAC_ADMINISTRATOR: Final = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"
KEY_VAULT_ADMINISTRATOR: Final = "00482a5a-887f-4fb3-b363-3b7fe8e74483"
CONTRIBUTOR: Final = "b24988ac-6180-42a0-ab88-20f7382dd24c"
METRICS_WRITER: Final = "635dd51f-9968-44d3-b7fb-6d9a6bd613ae"
APPROVER: Final = BUILT_IN_ROLES["Azure AI Enterprise Network Connection Approver"]
TYPES: Final = ("User", "Group", "ServicePrincipal")
ACCESS_MANAGERS: Final = (OWNER, USER_ACCESS_ADMINISTRATOR, RBAC_ADMINISTRATOR)
WRITE: Final = "Microsoft.Authorization/roleAssignments/write"
DELETE: Final = "Microsoft.Authorization/roleAssignments/delete"
STORAGE: Final = "Microsoft.Storage/storageAccounts/*"

# -- a small evaluator of the condition language -----------------------------------------------

_TOKEN: Final = re.compile(
    r"\s*(?:(?P<open>\()|(?P<close>\))|(?P<not>!)|(?P<op>AND|OR)"
    r"|ActionMatches\{'(?P<action>[^']+)'\}"
    r"|@(?P<source>Request|Resource)\[Microsoft\.Authorization/roleAssignments:"
    r"(?:RoleDefinitionId\] ForAnyOfAnyValues:GuidEquals \{(?P<guids>[^}]*)\}"
    r"|PrincipalType\] ForAnyOfAnyValues:StringEqualsIgnoreCase \{(?P<types>[^}]*)\}"
    r"|PrincipalId\] ForAnyOfAnyValues:GuidNotEquals \{(?P<others>[^}]*)\}))"
)


@dataclass(frozen=True)
class Operation:
    """A request Azure checks the condition against."""

    action: str
    # A write's request: the role it would assign, to what kind of principal.
    request_role: str | None = None
    request_type: str | None = None
    request_principal: str = "11111111-1111-1111-1111-111111111111"
    # A delete's resource: the role of the assignment it removes, and its principal's kind.
    resource_role: str | None = None
    resource_type: str | None = None


def _tokens(condition: str) -> Iterator[re.Match[str]]:
    position = 0
    while position < len(condition.rstrip()):
        match = _TOKEN.match(condition, position)
        assert match, f"unexpected text at {condition[position : position + 40]!r}"
        position = match.end()
        yield match


def _strings(listed: str) -> set[str]:
    values = [v.strip() for v in listed.split(",")]
    assert all(re.fullmatch(r"'[^']+'", v) for v in values), f"unquoted string in {listed!r}"
    return {v[1:-1].casefold() for v in values}


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
        if token["guids"] is not None:
            return functools.partial(role_in, token["source"], token["guids"]), at + 1
        if token["others"] is not None:
            return functools.partial(principal_not_in, token["others"]), at + 1
        return functools.partial(type_in, token["source"], token["types"]), at + 1

    def role_in(source: str, guids: str) -> bool:
        role = operation.request_role if source == "Request" else operation.resource_role
        assert role is not None, f"@{source} role read for {operation.action}"
        return role.lower() in {g.strip().lower() for g in guids.split(",")}

    def principal_not_in(guids: str) -> bool:
        assert operation.action == WRITE, "@Request principal read for a delete"
        return operation.request_principal.lower() not in {
            g.strip().lower() for g in guids.split(",")
        }

    def type_in(source: str, types: str) -> bool:
        kind = operation.request_type if source == "Request" else operation.resource_type
        assert kind is not None, f"@{source} principal type read for {operation.action}"
        return kind.casefold() in _strings(types)

    check, end = expression(0)
    assert end == len(tokens), "trailing tokens"
    return check()


def may_assign(condition: str, role: str, principal_type: str = "ServicePrincipal") -> bool:
    return allows(condition, Operation(WRITE, request_role=role, request_type=principal_type))


def may_unassign(condition: str, role: str, principal_type: str = "ServicePrincipal") -> bool:
    return allows(condition, Operation(DELETE, resource_role=role, resource_type=principal_type))


def may_manage(condition: str, role: str, principal_type: str) -> bool:
    """Both assign and remove: a condition that allows one but not the other is a bug."""
    assigns = may_assign(condition, role, principal_type)
    assert assigns == may_unassign(condition, role, principal_type), (role, principal_type)
    return assigns


DEPLOY: Final = assignment_condition(assignable(DEPLOY_ROLES))
SHARED: Final = assignment_condition(assignable(SHARED_SCOPE_ROLES))
READ_SHARED: Final = assignment_condition(assignable(READ_SHARED_SCOPE_ROLES))
MODEL_REGISTRY: Final = assignment_condition(assignable(MODEL_REGISTRY_GRANTS))
ROLE_NAMES: Final = {guid: name for name, guid in {**BUILT_IN_ROLES, **AZURE_ML_ONLY_ROLES}.items()}


# -- the condition ---------------------------------------------------------------------------


def test_the_program_roles_are_the_built_in_roles_it_grants() -> None:
    assert set(PROGRAM_ROLES) == set(BUILT_IN_ROLES.values())
    assert set(DEPLOY_ROLES) == {*PROGRAM_ROLES, *AZURE_ML_ROLES}


@pytest.mark.parametrize("role", sorted(BUILT_IN_ROLES))
@pytest.mark.parametrize("principal_type", ["ServicePrincipal", "Group"])
def test_the_condition_lets_the_deploy_identity_assign_and_remove_each_program_role(
    role: str, principal_type: str
) -> None:
    assert may_manage(DEPLOY, BUILT_IN_ROLES[role], principal_type)


@pytest.mark.parametrize("role", [*ACCESS_MANAGERS, KEY_VAULT_ADMINISTRATOR, CONTRIBUTOR])
@pytest.mark.parametrize("principal_type", TYPES)
def test_the_condition_refuses_owner_user_access_administrator_and_other_roles(
    role: str, principal_type: str
) -> None:
    for condition in (DEPLOY, SHARED, READ_SHARED, MODEL_REGISTRY):
        assert not may_manage(condition, role, principal_type)


def test_the_condition_leaves_every_other_action_alone() -> None:
    for action in (
        "Microsoft.Storage/storageAccounts/write",
        "Microsoft.Authorization/locks/write",
    ):
        assert allows(DEPLOY, Operation(action))


# -- issue #22: whom the deploy identity may grant to, and never Contributor ------------------

# Microsoft's example, verbatim (the PowerShell one-liner): Backup Contributor and Backup Reader,
# to users and groups alone. learn.microsoft.com/azure/role-based-access-control/
# delegate-role-assignments-examples#example-constrain-roles-and-principal-types
BACKUP_CONTRIBUTOR: Final = "5e467623-bb1f-42f4-a55d-6e525e11384b"
BACKUP_READER: Final = "a795c7a0-d4a2-40c1-ae25-d81f01202912"
DOCUMENTED: Final = (
    "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR "
    "(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:"
    "GuidEquals {5e467623-bb1f-42f4-a55d-6e525e11384b, a795c7a0-d4a2-40c1-ae25-d81f01202912} "
    "AND @Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:"
    "StringEqualsIgnoreCase {'User', 'Group'})) AND "
    "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR "
    "(@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:"
    "GuidEquals {5e467623-bb1f-42f4-a55d-6e525e11384b, a795c7a0-d4a2-40c1-ae25-d81f01202912} "
    "AND @Resource[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:"
    "StringEqualsIgnoreCase {'User', 'Group'}))"
)


def test_one_set_of_principal_types_gives_the_documented_condition_verbatim() -> None:
    allowed = {BACKUP_READER: ("Group", "User"), BACKUP_CONTRIBUTOR: ("User", "Group")}
    assert assignment_condition(allowed, exclude_holder=False) == DOCUMENTED


def test_no_identity_may_grant_a_role_to_itself(full_run: ProgramRun) -> None:
    held = [
        r
        for r in full_run.of_type("azure-native:authorization:RoleAssignment")
        if r.inputs.get("condition")
    ]
    assert held
    for assignment in held:
        condition, holder = assignment.inputs["condition"], assignment.inputs["principalId"]
        storage_reader = BUILT_IN_ROLES["Storage Blob Data Reader"]
        to_itself = Operation(WRITE, storage_reader, "ServicePrincipal", request_principal=holder)
        to_another = Operation(WRITE, storage_reader, "ServicePrincipal")
        assert not allows(condition, to_itself)
        assert allows(condition, to_another) or storage_reader not in condition


_PAIR: Final = re.compile(
    r"@(?P<source>Request|Resource)\[Microsoft\.Authorization/roleAssignments:RoleDefinitionId\]"
    r" ForAnyOfAnyValues:GuidEquals \{(?P<guids>[^}]*)\} AND "
    r"@(?P=source)\[Microsoft\.Authorization/roleAssignments:PrincipalType\]"
    r" ForAnyOfAnyValues:StringEqualsIgnoreCase \{(?P<types>[^}]*)\}"
)


def pairs(branch: str, source: str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """The (role GUIDs, principal types) pairs of one branch, as written."""
    found = [
        (
            tuple(g.strip() for g in m["guids"].split(",")),
            tuple(t.strip().strip("'") for t in m["types"].split(",")),
        )
        for m in _PAIR.finditer(branch)
    ]
    assert all(m["source"] == source for m in _PAIR.finditer(branch)), branch
    return found


@pytest.mark.parametrize(
    "condition",
    [DEPLOY, SHARED, READ_SHARED, MODEL_REGISTRY],
    ids=["deploy", "shared", "read-shared", "registry"],
)
def test_each_condition_has_the_documented_shape_for_write_and_delete(condition: str) -> None:
    # "(write branch) AND (delete branch)": the write reads @Request, the delete @Resource, and
    # both allow the same roles to the same principal types.
    write, separator, delete = condition.partition(
        ") AND ((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'}))"
    )
    assert separator
    assert write.startswith(
        "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR ("
    )
    assert "@Resource" not in write and "@Request" not in delete
    assert pairs(write, "Request") == pairs(delete, "Resource")
    written = pairs(write, "Request")
    assert written
    # Each GUID once, sorted within its set; each set of types in the documented order.
    guids = [g for group, _ in written for g in group]
    assert len(guids) == len(set(guids))
    for group, types in written:
        assert list(group) == sorted(group)
        assert list(types) == [t for t in TYPES if t in types]


def test_conditions_are_deterministic() -> None:
    shuffled = dict(reversed(list(assignable(DEPLOY_ROLES).items())))
    assert assignment_condition(shuffled) == DEPLOY
    assert assignment_condition(assignable(reversed(DEPLOY_ROLES))) == DEPLOY


def test_the_deploy_condition_allows_each_role_exactly_its_principal_types() -> None:
    for guid, allowed in ASSIGNABLE_TO.items():
        for principal_type in TYPES:
            assert may_manage(DEPLOY, guid, principal_type) == (principal_type in allowed), (
                ROLE_NAMES[guid],
                principal_type,
            )


def test_contributor_is_in_no_condition(full_run: ProgramRun) -> None:
    assert "Contributor" not in BUILT_IN_ROLES
    assert "Contributor" not in ACCESS_SCOPES
    conditions = {
        r.inputs["condition"].replace(r.inputs["principalId"], ASSIGNEE)
        for r in full_run.of_type("azure-native:authorization:RoleAssignment")
        if r.inputs.get("condition")
    }
    assert conditions >= {DEPLOY, SHARED, READ_SHARED}
    for condition in (*conditions, MODEL_REGISTRY):
        assert CONTRIBUTOR not in condition.lower()
        assert not any(may_manage(condition, CONTRIBUTOR, t) for t in TYPES)


def test_a_user_may_be_assigned_only_the_roles_the_matrix_gives_people() -> None:
    for guid in DEPLOY_ROLES:
        assert may_manage(DEPLOY, guid, "User") == (ROLE_NAMES[guid] in USER_ROLES), guid
    # A workload identity's role: never a person's.
    assert not may_manage(DEPLOY, APPROVER, "User")
    assert not may_manage(SHARED, APPROVER, "User")
    assert not may_manage(MODEL_REGISTRY, APPROVER, "User")
    # What people do get: through mlops:access, as data scientists or compute instance users.
    for role in ("AzureML Data Scientist", "Storage File Data Privileged Contributor", "Reader"):
        assert may_manage(DEPLOY, BUILT_IN_ROLES[role], "User")
    assert may_manage(MODEL_REGISTRY, BUILT_IN_ROLES["AzureML Registry User"], "User")


def test_user_roles_are_what_access_entries_name_and_the_matrix_gives_people() -> None:
    people = {*PEOPLE, "accessEntry"}
    given = {
        row.role
        for row in MATRIX
        if people & set(row.principals) and not row.by_azure and row.role != AS_CONFIGURED
    }
    assert set(USER_ROLES) == {*ACCESS_SCOPES, *given}
    assert "Azure AI Enterprise Network Connection Approver" not in USER_ROLES


def test_the_roles_azure_ml_assigns_for_the_program_are_covered_for_managed_identities() -> None:
    # AcrPull (clusters and endpoints), Storage Blob Data Reader and AzureML Metrics Writer
    # (endpoints): learn.microsoft.com, concept-endpoints-online-auth, automatic role assignment.
    assert set(AZURE_ML_ROLES) == {
        BUILT_IN_ROLES["AcrPull"],
        BUILT_IN_ROLES["Storage Blob Data Reader"],
        METRICS_WRITER,
    }
    guids = {name: guid for guid, name in ROLE_NAMES.items()}
    for row in MATRIX:
        if row.by_azure and row.role in guids:
            assert may_manage(DEPLOY, guids[row.role], "ServicePrincipal"), row
    # The program never grants Metrics Writer itself: to managed identities alone.
    assert not may_manage(DEPLOY, METRICS_WRITER, "User")
    assert not may_manage(DEPLOY, METRICS_WRITER, "Group")
    assert METRICS_WRITER not in BUILT_IN_ROLES.values()


def _condition_for(scope: str) -> str:
    """The condition the deploy identity's assignment on ``scope`` carries: the deploy role's in
    the stack's subscription, else RBAC Administrator's on the model registry or a shared scope."""
    if scope.split("/")[2] == MOCK_SUBSCRIPTION_ID:
        return DEPLOY
    if "/providers/Microsoft.MachineLearningServices/registries/" in scope:
        return MODEL_REGISTRY
    return SHARED


def test_every_role_and_principal_type_the_program_registers_is_allowed(
    stack_runs: dict[str, ProgramRun], real_stack_runs: dict[str, ProgramRun]
) -> None:
    """Slow (2-4 s): it reads every fixture and repository stack's run, which the first test
    that asks for them in a worker evaluates (or waits for)."""
    refused: list[tuple[str, str, str, str]] = []
    checked = 0
    for name, run in [*stack_runs.items(), *(("real " + k, v) for k, v in real_stack_runs.items())]:
        for assignment in run.of_type("azure-native:authorization:RoleAssignment"):
            role = assignment.inputs["roleDefinitionId"].rsplit("/", 1)[-1]
            # The condition reads the principal type from the request: it must be stated.
            principal_type = assignment.inputs["principalType"]
            condition = _condition_for(assignment.inputs["scope"])
            checked += 1
            if not may_manage(condition, role, principal_type):
                refused.append((name, ROLE_NAMES.get(role, role), principal_type, assignment.name))
    assert checked
    assert refused == []


# -- shared scopes and the model registry ------------------------------------------------------


def test_shared_scopes_allow_what_the_matrix_grants_there_never_contributor() -> None:
    for role in ("AcrPull", "AcrPush", "Key Vault Secrets User", "Storage Blob Data Reader"):
        assert may_assign(SHARED, BUILT_IN_ROLES[role])
    for role in (CONTRIBUTOR, BUILT_IN_ROLES["Reader"], BUILT_IN_ROLES["AzureML Data Scientist"]):
        assert not may_assign(SHARED, role)
    assert not any(may_assign(SHARED, role) for role in ACCESS_MANAGERS)
    # The workspace identity approves its private endpoints to the datastores' accounts.
    assert may_manage(SHARED, APPROVER, "ServicePrincipal")


def test_shared_scopes_allow_every_role_the_matrix_grants_on_a_datastore() -> None:
    datastores = {*DATASTORE_SCOPES, "datastoreAccounts"}
    rows = [row for row in MATRIX if row.scope in datastores]
    assert rows
    for row in rows:
        assert BUILT_IN_ROLES[row.role] in SHARED_SCOPE_ROLES, row


def test_the_model_registry_allows_its_roles_and_the_workspace_approval() -> None:
    assert set(MODEL_REGISTRY_GRANTS) == {BUILT_IN_ROLES[r] for r in MODEL_REGISTRY_ROLES}
    assert {row.role for row in MATRIX if row.scope == "modelRegistry"} <= set(MODEL_REGISTRY_ROLES)
    assert may_manage(MODEL_REGISTRY, APPROVER, "ServicePrincipal")
    assert not may_manage(MODEL_REGISTRY, BUILT_IN_ROLES["AzureML Data Scientist"], "Group")


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
    state_keys = {
        r.inputs["roleDefinitionId"]
        for r in full_run.of_type("azure-native:authorization:RoleDefinition")
        if "state key" in r.inputs["roleName"]
    }
    assert len(state_keys) == 2  # the state key reader and user roles: data actions alone
    assert others == {
        BUILT_IN_ROLES["Reader"],
        BUILT_IN_ROLES["Storage Blob Data Reader"],
        BUILT_IN_ROLES["Storage Blob Data Contributor"],
        # Approves private endpoint connections (read and approve them, no access management).
        BUILT_IN_ROLES["Azure AI Enterprise Network Connection Approver"],
        *state_keys,
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
    assert not missing, f"declare what deploying {missing} takes: offline/resource_types.py"


def test_the_deploy_role_allows_every_action_of_every_type() -> None:
    actions = deploy_actions()
    for token, needed in DEPLOY_ACTIONS.items():
        for action in needed:
            assert any(covers(granted, action) for granted in actions), (token, action)


def test_the_deploy_role_reads_everything() -> None:
    assert READ_ANYTHING in deploy_actions()


def test_the_deploy_role_cannot_manage_access_beyond_role_assignments() -> None:
    authorization = {a for a in deploy_actions() if a.startswith("Microsoft.Authorization/")}
    assert authorization == {"Microsoft.Authorization/locks/write", WRITE, DELETE}
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
