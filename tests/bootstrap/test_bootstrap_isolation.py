"""Per-stack isolation: each stack's deploy identity reaches its own subscription and the shared
scopes its own entry lists, with the access listed there, and the config refuses stacks that
could reach each other."""

from __future__ import annotations

import json

import pytest

from bootstrap import config
from bootstrap.roles import (
    RBAC_ADMINISTRATOR,
    READ_SHARED_SCOPE_ROLES,
    SHARED_SCOPE_ROLES,
    assignable,
    assignment_condition,
)
from components.access import MATRIX
from offline.engine import ProgramRun
from settings.datastores import READ_ONLY_DATASTORE_SCOPES, SERVICES
from settings.roles import BUILT_IN_ROLES
from tests.bootstrap.conftest import (
    DATA_ACCOUNT,
    FULL,
    PROD_REGISTRY,
    STACKS,
    SUBSCRIPTIONS,
    Held,
    roles_of,
)
from tests.bootstrap.test_bootstrap_config import problems, stack
from tests.bootstrap.test_bootstrap_roles import may_assign, may_manage
from tests.conftest import pulumi_config

CONTRIBUTOR = BUILT_IN_ROLES["Storage Blob Data Contributor"]
READER = BUILT_IN_ROLES["Storage Blob Data Reader"]
APPROVER = BUILT_IN_ROLES["Azure AI Enterprise Network Connection Approver"]
IN_PROD = f"/subscriptions/{SUBSCRIPTIONS['prod']}/resourceGroups/rg-data"


def refused(found: tuple[str, ...], key: str, fragment: str) -> bool:
    """Whether ``found`` refuses ``key``, saying ``fragment``."""
    return any(p.startswith(f"{key}: ") and fragment in p for p in found)


def _on(run: ProgramRun, purpose: str, scope: str) -> set[Held]:
    return {held for held in roles_of(run, purpose) if held.scope == scope}


# -- who reaches a shared scope ------------------------------------------------------------------


@pytest.mark.parametrize("purpose", ["deploy-dev", "preview-dev", "deploy-qa", "preview-qa"])
def test_a_scope_only_prod_lists_reaches_no_other_stack_identity(
    full_run: ProgramRun, purpose: str
) -> None:
    assert _on(full_run, purpose, PROD_REGISTRY) == set()


def test_top_level_shared_scopes_are_refused_naming_the_key() -> None:
    found = problems(sharedScopes=[DATA_ACCOUNT])
    assert refused(found, "mlops-bootstrap:sharedScopes", "mlops-bootstrap:stacks[i].sharedScopes")


def test_a_shared_scope_given_as_a_plain_id_says_what_an_entry_is() -> None:
    found = problems(stacks=stack(0, sharedScopes=[DATA_ACCOUNT]))
    assert refused(
        found,
        "mlops-bootstrap:stacks[0].sharedScopes[0]",
        f"{{scope: {DATA_ACCOUNT}, access: read}}",
    )


def test_a_shared_scope_needs_read_or_read_write_access() -> None:
    found = problems(stacks=stack(0, sharedScopes=[{"scope": DATA_ACCOUNT, "access": "write"}]))
    assert refused(found, "mlops-bootstrap:stacks[0].sharedScopes[0].access", "read, readWrite")


def test_a_stack_listing_a_scope_twice_isrefused() -> None:
    twice = [
        {"scope": DATA_ACCOUNT, "access": "read"},
        {"scope": DATA_ACCOUNT, "access": "readWrite"},
    ]
    found = problems(stacks=stack(0, sharedScopes=twice))
    assert refused(found, "mlops-bootstrap:stacks[0].sharedScopes[1].scope", "sharedScopes[0]")


# -- separate subscriptions ----------------------------------------------------------------------


def test_two_stacks_in_one_subscription_arerefused() -> None:
    found = problems(stacks=stack(2, subscriptionId=SUBSCRIPTIONS["dev"]))
    assert refused(
        found,
        "mlops-bootstrap:stacks[2].subscriptionId",
        "subscription of mlops-bootstrap:stacks[0] (dev)",
    )


def test_a_shared_scope_in_another_stacks_subscription_isrefused() -> None:
    found = problems(stacks=stack(0, sharedScopes=[{"scope": IN_PROD, "access": "read"}]))
    assert refused(
        found,
        "mlops-bootstrap:stacks[0].sharedScopes[0].scope",
        "subscription of mlops-bootstrap:stacks[2] (prod)",
    )


# -- read-only scopes ----------------------------------------------------------------------------


def test_read_only_scopes_allow_the_roles_the_matrix_gives_on_read_only_datastores() -> None:
    read_only = {*READ_ONLY_DATASTORE_SCOPES, "datastoreAccounts"}
    given = {BUILT_IN_ROLES[r.role] for r in MATRIX if r.scope in read_only and not r.by_azure}
    readers = {BUILT_IN_ROLES[service.reader] for service in SERVICES}
    assert set(READ_SHARED_SCOPE_ROLES) == given == {*readers, APPROVER}
    assert set(READ_SHARED_SCOPE_ROLES) < set(SHARED_SCOPE_ROLES)


def test_on_a_read_only_scope_the_deploy_identity_may_assign_no_data_contributor_role(
    full_run: ProgramRun,
) -> None:
    (held,) = {h for h in _on(full_run, "deploy-dev", DATA_ACCOUNT) if h.role == RBAC_ADMINISTRATOR}
    assert held.condition == assignment_condition(assignable(READ_SHARED_SCOPE_ROLES))
    assert not may_assign(held.condition, CONTRIBUTOR)
    assert not may_assign(held.condition, CONTRIBUTOR, "Group")


def test_on_a_read_only_scope_the_deploy_identity_may_assign_read_and_approval(
    full_run: ProgramRun,
) -> None:
    (held,) = {h for h in _on(full_run, "deploy-dev", DATA_ACCOUNT) if h.role == RBAC_ADMINISTRATOR}
    assert may_assign(held.condition, READER)
    assert may_assign(held.condition, APPROVER)


def test_on_a_read_write_scope_the_deploy_identity_may_assign_data_contributor(
    full_run: ProgramRun,
) -> None:
    (held,) = {
        h for h in _on(full_run, "deploy-prod", PROD_REGISTRY) if h.role == RBAC_ADMINISTRATOR
    }
    assert held.condition == assignment_condition(assignable(SHARED_SCOPE_ROLES))
    assert may_assign(held.condition, CONTRIBUTOR)


def test_every_role_a_stack_grants_on_an_account_it_only_reads_is_allowed_there(
    stack_runs: dict[str, ProgramRun], real_stack_runs: dict[str, ProgramRun]
) -> None:
    # A stack whose datastores on an account are all readOnly lists it with access: read.
    allowed = assignment_condition(assignable(READ_SHARED_SCOPE_ROLES))
    checked = 0
    for run in [*stack_runs.values(), *real_stack_runs.values()]:
        stores = json.loads(run.config.get("mlops:datastores", "[]"))
        accounts = {s["storageAccountId"].lower() for s in stores}
        written = {s["storageAccountId"].lower() for s in stores if not s.get("readOnly", True)}
        for assignment in run.of_type("azure-native:authorization:RoleAssignment"):
            scope = assignment.inputs["scope"].lower()
            if any(scope.startswith(account) for account in accounts - written):
                role = assignment.inputs["roleDefinitionId"].rsplit("/", 1)[-1]
                assert may_manage(allowed, role, assignment.inputs["principalType"]), assignment
                checked += 1
    assert checked


SHARED_STACK = {"name": "shared", "subscriptionId": "00000000-0000-0000-0000-0000000000d0"}
SHARED_GROUP = "/subscriptions/00000000-0000-0000-0000-0000000000d0/resourceGroups/rg-shared"
SHARED_VAULT = f"{SHARED_GROUP}/providers/Microsoft.KeyVault/vaults/kv-shared"


def test_a_stack_may_adopt_a_resource_of_the_shared_stacks_subscription() -> None:
    adopting = stack(0, sharedScopes=[{"scope": SHARED_VAULT, "access": "readWrite"}])
    values = {**FULL, "mlops-bootstrap:stacks": [*adopting, SHARED_STACK]}
    loaded = config.load(pulumi_config(values), project="mlops-bootstrap", stack="admin")
    assert [s.scope for s in loaded.stacks[0].shared_scopes] == [SHARED_VAULT]


def test_a_resource_group_of_the_shared_stacks_subscription_is_refused() -> None:
    adopting = stack(0, sharedScopes=[{"scope": SHARED_GROUP, "access": "readWrite"}])
    found = problems(stacks=[*adopting, SHARED_STACK])
    assert refused(
        found,
        "mlops-bootstrap:stacks[0].sharedScopes[0].scope",
        "name the resource the stack adopts",
    )


# -- what a pull request or an unreviewed stack may reach ----------------------------------------


@pytest.mark.parametrize(
    ("name", "environment"), [("prod", None), ("prod-eu", "prod"), ("shared", None)]
)
def test_a_prod_or_shared_stack_is_never_opened_to_pull_request_previews(
    name: str, environment: str | None
) -> None:
    entry = {"name": name, "subscriptionId": "00000000-0000-0000-0000-0000000000e1"}
    entry |= {"pullRequestPreviews": True} | ({"environment": environment} if environment else {})
    found = problems(stacks=[*STACKS, entry])
    assert any(
        p.startswith(f"mlops-bootstrap:stacks[{len(STACKS)}].pullRequestPreviews: must stay false")
        for p in found
    ), found


def test_a_stack_named_for_no_environment_says_which_before_previewing_pull_requests() -> None:
    entry = {
        "name": "staging",
        "subscriptionId": "00000000-0000-0000-0000-0000000000e1",
        "pullRequestPreviews": True,
    }
    found = problems(stacks=[*STACKS, entry])
    assert any(
        p.startswith(f"mlops-bootstrap:stacks[{len(STACKS)}].environment: is required")
        for p in found
    )


def test_an_unreviewed_stack_may_only_read_where_a_reviewed_stack_reaches() -> None:
    stacks = [dict(s) for s in STACKS]
    reviewed = next(s for s in stacks if s.get("reviewed", True) and s.get("sharedScopes"))
    unreviewed_index, unreviewed = next(
        (i, s) for i, s in enumerate(stacks) if not s.get("reviewed", True)
    )
    guarded = reviewed["sharedScopes"][0]["scope"]
    unreviewed["sharedScopes"] = [{"scope": guarded, "access": "readWrite"}]
    found = problems(stacks=stacks)
    key = f"mlops-bootstrap:stacks[{unreviewed_index}].sharedScopes[0].access: must be read"
    assert any(p.startswith(key) for p in found), found
