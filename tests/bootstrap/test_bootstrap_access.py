"""Who gets what: each identity holds exactly its roles on exactly its scopes, previews write
nothing, and each stack's state and key are reachable only by that stack's pipelines."""

from __future__ import annotations

import pytest

from bootstrap.roles import (
    BLOB_DATA_CONTRIBUTOR,
    BLOB_DATA_READER,
    DEPLOY_ROLES,
    MODEL_REGISTRY_GRANTS,
    RBAC_ADMINISTRATOR,
    READ_SHARED_SCOPE_ROLES,
    READER,
    SHARED_SCOPE_ROLES,
    assignable,
    assignment_condition,
)
from offline.engine import ProgramRun
from settings.loader import SettingsError
from settings.roles import BUILT_IN_ROLES, MODEL_REGISTRY_ROLES
from tests.bootstrap.conftest import (
    ADMIN_GROUP,
    DATA_ACCOUNT,
    FULL,
    PROD_REGISTRY,
    SHARED_SUBSCRIPTION,
    STACK_NAMES,
    STACKS,
    SUBSCRIPTIONS,
    Held,
    container_id,
    custom_role,
    held_by,
    identity,
    key_id,
    roles_of,
    run_bootstrap,
)

# The deploy identity creates the workspace's outbound private endpoints, which its creator must
# be allowed to approve as well (how-to-managed-network, Prerequisites).
APPROVER = BUILT_IN_ROLES["Azure AI Enterprise Network Connection Approver"]


def _shared_scopes(stack: str) -> dict[str, tuple[str, ...]]:
    """The fixture's shared scopes of ``stack``, each with the roles its access allows."""
    return {
        DATA_ACCOUNT: READ_SHARED_SCOPE_ROLES,
        **({PROD_REGISTRY: SHARED_SCOPE_ROLES} if stack == "prod" else {}),
    }


def _custom_guid(run: ProgramRun, role_name: str) -> str:
    (role,) = [
        r
        for r in run.of_type("azure-native:authorization:RoleDefinition")
        if r.inputs["roleName"] == role_name
    ]
    return role.inputs["roleDefinitionId"]


@pytest.mark.parametrize("stack", STACK_NAMES)
def test_deploy_identity_holds_exactly_its_roles_on_exactly_its_scopes(
    full_run: ProgramRun, stack: str
) -> None:
    deploy_role = _custom_guid(full_run, f"contoso mlops deploy ({stack})")
    key_user = _custom_guid(full_run, "contoso mlops state key user")
    program = assignment_condition(assignable(DEPLOY_ROLES))
    assert roles_of(full_run, f"deploy-{stack}") == {
        Held(deploy_role, f"/subscriptions/{SUBSCRIPTIONS[stack]}", program),
        *(
            Held(RBAC_ADMINISTRATOR, scope, assignment_condition(assignable(roles)))
            for scope, roles in _shared_scopes(stack).items()
        ),
        *(Held(APPROVER, scope) for scope in _shared_scopes(stack)),
        Held(BLOB_DATA_CONTRIBUTOR, container_id(full_run, stack)),
        Held(key_user, key_id(full_run, stack)),
    }


@pytest.mark.parametrize("stack", STACK_NAMES)
def test_preview_identity_holds_exactly_read_roles_on_its_stack(
    full_run: ProgramRun, stack: str
) -> None:
    key_reader = _custom_guid(full_run, "contoso mlops state key reader")
    assert roles_of(full_run, f"preview-{stack}") == {
        Held(READER, f"/subscriptions/{SUBSCRIPTIONS[stack]}"),
        *(Held(READER, scope) for scope in _shared_scopes(stack)),
        Held(BLOB_DATA_READER, container_id(full_run, stack)),
        # Pulumi decrypts the stack's data key to open it; only main's runs sign in as it.
        Held(key_reader, key_id(full_run, stack)),
    }


@pytest.mark.parametrize("purpose", [f"preview-{s}" for s in STACK_NAMES])
def test_preview_identities_can_change_nothing(full_run: ProgramRun, purpose: str) -> None:
    for held in roles_of(full_run, purpose):
        if held.role in (READER, BLOB_DATA_READER):
            continue
        (permissions,) = custom_role(full_run, held.role).inputs["permissions"]
        assert not permissions.get("actions")
        assert permissions["dataActions"] == [
            "Microsoft.KeyVault/vaults/keys/read",
            "Microsoft.KeyVault/vaults/keys/decrypt/action",
        ]


@pytest.mark.parametrize("stack", STACK_NAMES)
def test_a_stack_state_container_is_written_only_by_its_deploy_identity_and_administrators(
    full_run: ProgramRun, stack: str
) -> None:
    account = full_run.named("state-storage").id
    container = container_id(full_run, stack)
    writers = {
        r.inputs["principalId"]
        for r in full_run.of_type("azure-native:authorization:RoleAssignment")
        if r.inputs["scope"] in (container, account)
        and r.inputs["roleDefinitionId"].endswith(BLOB_DATA_CONTRIBUTOR)
    }
    deploy = identity(full_run, f"deploy-{stack}").outputs["principalId"]
    assert writers == {deploy, ADMIN_GROUP}


def _reaching(run: ProgramRun, scope: str) -> set[str]:
    return {
        r.inputs["principalId"]
        for r in run.of_type("azure-native:authorization:RoleAssignment")
        if r.inputs["scope"] == scope
    }


def _principals(run: ProgramRun, *purposes: str) -> set[str]:
    return {identity(run, purpose).outputs["principalId"] for purpose in purposes}


@pytest.mark.parametrize("stack", STACK_NAMES)
def test_a_stack_state_container_is_reached_only_by_that_stack_pipelines(
    full_run: ProgramRun, stack: str
) -> None:
    own = _principals(full_run, f"deploy-{stack}", f"preview-{stack}")
    assert _reaching(full_run, container_id(full_run, stack)) == own


@pytest.mark.parametrize("stack", STACK_NAMES)
def test_a_stack_key_is_reached_only_by_its_deploy_and_preview_identities(
    full_run: ProgramRun, stack: str
) -> None:
    own = _principals(full_run, f"deploy-{stack}", f"preview-{stack}")
    assert _reaching(full_run, key_id(full_run, stack)) == own


def test_no_pipeline_identity_holds_anything_on_the_state_account_or_vault_itself(
    full_run: ProgramRun,
) -> None:
    whole = {full_run.named("state-storage").id, full_run.named("state-vault").id}
    holders = {
        r.inputs["principalId"]
        for r in full_run.of_type("azure-native:authorization:RoleAssignment")
        if r.inputs["scope"] in whole
    }
    assert holders == {ADMIN_GROUP}


def test_state_administrators_read_and_write_every_stack_and_encrypt_with_every_key(
    full_run: ProgramRun,
) -> None:
    assert held_by(full_run, ADMIN_GROUP) == {
        Held(BLOB_DATA_CONTRIBUTOR, full_run.named("state-storage").id),
        Held(
            _custom_guid(full_run, "contoso mlops state key user"), full_run.named("state-vault").id
        ),
    }
    groups = [
        r
        for r in full_run.of_type("azure-native:authorization:RoleAssignment")
        if r.inputs["principalId"] == ADMIN_GROUP
    ]
    assert {r.inputs["principalType"] for r in groups} == {"Group"}


def test_pipeline_identities_are_assigned_as_service_principals(full_run: ProgramRun) -> None:
    # Azure then skips the directory lookup a just-created identity may not pass yet.
    for assignment in full_run.of_type("azure-native:authorization:RoleAssignment"):
        if assignment.inputs["principalId"] != ADMIN_GROUP:
            assert assignment.inputs["principalType"] == "ServicePrincipal"


def test_without_github_the_identities_are_those_azure_devops_connections_sign_in_as() -> None:
    run = run_bootstrap(github=None)
    names = {
        r.inputs["resourceName"]
        for r in run.of_type("azure-native:managedidentity:UserAssignedIdentity")
    }
    # Each fixture stack has a deploy, a preview and a release connection.
    assert names == {
        f"id-contoso-mlops-{purpose}-{s}"
        for s in STACK_NAMES
        for purpose in ("deploy", "preview", "release")
    }


def test_role_assignment_names_are_deterministic_guids(full_run: ProgramRun) -> None:
    names = [
        r.inputs["roleAssignmentName"]
        for r in full_run.of_type("azure-native:authorization:RoleAssignment")
    ]
    assert len(set(names)) == len(names)
    again = run_bootstrap()
    assert names == [
        r.inputs["roleAssignmentName"]
        for r in again.of_type("azure-native:authorization:RoleAssignment")
    ]
    assert all(len(name) == 36 and name.count("-") == 4 for name in names)


def test_adding_a_stack_renames_and_changes_nothing_that_exists(full_run: ProgramRun) -> None:
    staging = {"name": "staging", "subscriptionId": "00000000-0000-0000-0000-0000000000d4"}
    grown = run_bootstrap(FULL, stacks=[*STACKS, staging])
    # The ruleset of main alone changes: pull requests wait for the new stack's preview too.
    ruleset = "github:index/repositoryRuleset:RepositoryRuleset"
    before = {r.urn: r.inputs for r in full_run.resources if r.type != ruleset}
    after = {r.urn: r.inputs for r in grown.resources}
    assert before.keys() <= after.keys()
    assert {urn: after[urn] for urn in before} == before
    assert roles_of(grown, "deploy-staging")


# -- the shared stack's Azure ML registry ------------------------------------------------------

MODEL_REGISTRY = (
    f"/subscriptions/{SHARED_SUBSCRIPTION}/resourceGroups/rg-contoso-mlops-shared"
    "/providers/Microsoft.MachineLearningServices/registries/mlr-contoso-shared-abc123"
)


@pytest.fixture(scope="module")
def registry_run() -> ProgramRun:
    """dev and the shared stack, with the shared stack's registry configured."""
    return run_bootstrap(
        FULL,
        stacks=[
            {"name": "shared", "subscriptionId": SHARED_SUBSCRIPTION},
            {"name": "dev", "subscriptionId": SUBSCRIPTIONS["dev"]},
        ],
        modelRegistryId=MODEL_REGISTRY,
    )


def test_a_stack_may_assign_only_the_registry_roles_on_the_shared_model_registry(
    registry_run: ProgramRun,
) -> None:
    on_registry = {h for h in roles_of(registry_run, "deploy-dev") if h.scope == MODEL_REGISTRY}
    condition = assignment_condition(assignable(MODEL_REGISTRY_GRANTS))
    assert on_registry == {
        Held(RBAC_ADMINISTRATOR, MODEL_REGISTRY, condition),
        Held(APPROVER, MODEL_REGISTRY),
    }
    # The matrix's registry roles (AzureML Registry User, Reader, the workspace's private
    # endpoint approval), each to the principal types it may go to.
    assert {BUILT_IN_ROLES[role] for role in MODEL_REGISTRY_ROLES} == set(MODEL_REGISTRY_GRANTS)


def test_a_stack_preview_reads_the_shared_model_registry(registry_run: ProgramRun) -> None:
    assert Held(READER, MODEL_REGISTRY) in roles_of(registry_run, "preview-dev")


def test_the_shared_stack_grants_nothing_on_its_own_registry(registry_run: ProgramRun) -> None:
    for purpose in ("deploy-shared", "preview-shared"):
        assert not {h for h in roles_of(registry_run, purpose) if h.scope == MODEL_REGISTRY}


def test_the_model_registry_id_must_name_an_azure_ml_registry() -> None:
    wrong = MODEL_REGISTRY.replace(
        "MachineLearningServices/registries", "ContainerRegistry/registries"
    )
    with pytest.raises(SettingsError, match="mlops-bootstrap:modelRegistryId"):
        run_bootstrap(modelRegistryId=wrong)
