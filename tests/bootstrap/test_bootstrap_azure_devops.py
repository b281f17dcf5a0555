"""The Azure DevOps side, declared by the bootstrap: the checks no pipeline YAML can remove (branch
control and, for reviewed stacks, approvals on each stack's service connections and environment),
one preview identity per stack, each federated with that stack's own preview connection, and with
Pulumi Cloud as the backend each stack's token variable groups under the same checks."""

from __future__ import annotations

from typing import Any

import pytest

from offline.engine import ProgramRun
from tests.bootstrap.conftest import (
    APPROVER_GROUP,
    CONNECTIONS,
    FULL,
    ORGANIZATION,
    ORGANIZATION_URL,
    PIPELINE_ID,
    PREVIEW_CONNECTIONS,
    PROJECT,
    PULL_REQUEST_PREVIEWS,
    RELEASE_CONNECTIONS,
    REVIEWED,
    SHARED_SUBSCRIPTION,
    STACK_NAMES,
    STACKS,
    SUBJECT_PREFIX,
    UNREVIEWED,
    identity,
    run_bootstrap,
)
from tests.bootstrap.test_bootstrap_config import problems, stack

ENTRA = "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000002/v2.0"
DEVOPS: dict[str, Any] = dict(FULL["mlops-bootstrap:azureDevOps"])
ENVIRONMENT = "azuredevops:index/environment:Environment"
BRANCH_CONTROL = "azuredevops:index/checkBranchControl:CheckBranchControl"
APPROVAL = "azuredevops:index/checkApproval:CheckApproval"
LOCK = "azuredevops:index/checkExclusiveLock:CheckExclusiveLock"
VARIABLE_GROUP = "azuredevops:index/variableGroup:VariableGroup"
MAIN_ONLY = {
    "allowedBranches": "refs/heads/main",
    "verifyBranchProtection": True,
    "ignoreUnknownProtectionStatus": False,
}


def _environment(run: ProgramRun, stack_name: str) -> Any:
    (found,) = [r for r in run.of_type(ENVIRONMENT) if r.inputs["name"] == f"mlops-{stack_name}"]
    return found


def _checks(run: ProgramRun, type_token: str, target: str) -> list[dict[str, Any]]:
    found = [
        dict(r.inputs) for r in run.of_type(type_token) if r.inputs["targetResourceId"] == target
    ]
    assert all(check["projectId"] == PROJECT for check in found)
    return found


def _targets(run: ProgramRun, stack_name: str) -> dict[str, tuple[str, str]]:
    """What protects a stack's deploys and releases: its environment and deploy and release
    connections, each with its resource type."""
    return {
        "environment": ("environment", _environment(run, stack_name).id),
        "connection": ("endpoint", CONNECTIONS[stack_name]),
        "release connection": ("endpoint", RELEASE_CONNECTIONS[stack_name]),
    }


def _subjects(run: ProgramRun, purpose: str) -> set[str]:
    owner = identity(run, purpose)
    return {
        r.inputs["subject"]
        for r in run.of_type("azure-native:managedidentity:FederatedIdentityCredential")
        if r.parent == owner.parent and r.inputs["issuer"] == ENTRA
    }


def _connection_subject(connection: str) -> str:
    return f"{SUBJECT_PREFIX}/sc/{ORGANIZATION}/{connection}"


def _refused(key: str, fragment: str, **changes: Any) -> None:
    found = problems(**changes)
    assert any(p.startswith(f"{key}: ") and fragment in p for p in found), found


# -- config ------------------------------------------------------------------------------------


def test_the_single_preview_connection_is_refused_naming_what_replaced_it() -> None:
    _refused(
        "mlops-bootstrap:azureDevOps.previewConnectionId",
        "mlops-bootstrap:stacks[i].azureDevOpsPreviewConnectionId",
        azureDevOps={**DEVOPS, "previewConnectionId": PREVIEW_CONNECTIONS["dev"]},
    )


def test_a_stack_deployed_through_azure_devops_needs_its_own_preview_connection() -> None:
    _refused(
        "mlops-bootstrap:stacks[2].azureDevOpsPreviewConnectionId",
        "is required with azureDevOpsConnectionId",
        stacks=stack(2, azureDevOpsPreviewConnectionId=None),
    )


def test_a_preview_connection_needs_the_azure_devops_settings() -> None:
    _refused(
        "mlops-bootstrap:stacks[0].azureDevOpsPreviewConnectionId",
        "needs mlops-bootstrap:azureDevOps (organizationUrl, projectId",
        azureDevOps=None,
    )


@pytest.mark.parametrize("key", ["organizationUrl", "projectId"])
def test_where_the_checks_go_is_required(key: str) -> None:
    _refused(
        f"mlops-bootstrap:azureDevOps.{key}",
        "is required",
        azureDevOps={k: v for k, v in DEVOPS.items() if k != key},
    )


def test_an_organization_url_that_is_not_one_is_refused() -> None:
    _refused(
        "mlops-bootstrap:azureDevOps.organizationUrl",
        "must be the organization's URL, https://dev.azure.com/<organization>",
        azureDevOps={**DEVOPS, "organizationUrl": "contoso"},
    )


def test_approvers_are_required_while_a_reviewed_stack_deploys_through_azure_devops() -> None:
    _refused(
        "mlops-bootstrap:azureDevOps.approvers",
        "list at least one approver while a reviewed stack deploys through a service connection "
        "(mlops-bootstrap:stacks[1] (qa), mlops-bootstrap:stacks[2] (prod))",
        azureDevOps={**DEVOPS, "approvers": []},
    )


def test_an_approver_is_an_id() -> None:
    _refused(
        "mlops-bootstrap:azureDevOps.approvers[0]",
        "must be a GUID",
        azureDevOps={**DEVOPS, "approvers": ["ml-platform@contoso.example"]},
    )


def test_an_approver_listed_twice_is_refused() -> None:
    _refused(
        "mlops-bootstrap:azureDevOps.approvers[1]",
        "repeats approvers[0]",
        azureDevOps={**DEVOPS, "approvers": [APPROVER_GROUP, APPROVER_GROUP.upper()]},
    )


# -- checks on the service connections and environments ---------------------------------------


def test_the_provider_works_in_the_configured_organization(full_run: ProgramRun) -> None:
    (provider,) = full_run.of_type("pulumi:providers:azuredevops")
    assert provider.inputs["orgServiceUrl"] == ORGANIZATION_URL


@pytest.mark.parametrize("stack_name", STACK_NAMES)
def test_each_stack_deployed_through_azure_devops_gets_its_environment(
    full_run: ProgramRun, stack_name: str
) -> None:
    assert _environment(full_run, stack_name).inputs["projectId"] == PROJECT


def test_a_stack_without_a_connection_gets_no_environment() -> None:
    run = run_bootstrap(stacks=[*STACKS, {"name": "shared", "subscriptionId": SHARED_SUBSCRIPTION}])
    names = {r.inputs["name"] for r in run.of_type(ENVIRONMENT)}
    assert names == {f"mlops-{s}" for s in STACK_NAMES}


@pytest.mark.parametrize("stack_name", STACK_NAMES)
def test_an_environment_deploys_one_run_at_a_time(full_run: ProgramRun, stack_name: str) -> None:
    environment = _environment(full_run, stack_name).id
    (lock,) = _checks(full_run, LOCK, environment)
    assert lock["targetResourceType"] == "environment"


@pytest.mark.parametrize("stack_name", STACK_NAMES)
@pytest.mark.parametrize("target", ["environment", "connection", "release connection"])
def test_deploys_and_releases_run_from_protected_main_only(
    full_run: ProgramRun, stack_name: str, target: str
) -> None:
    kind, resource = _targets(full_run, stack_name)[target]
    (check,) = _checks(full_run, BRANCH_CONTROL, resource)
    assert check["targetResourceType"] == kind
    assert {key: check[key] for key in MAIN_ONLY} == MAIN_ONLY


@pytest.mark.parametrize("stack_name", REVIEWED)
@pytest.mark.parametrize("target", ["environment", "connection", "release connection"])
def test_deploys_and_releases_of_a_reviewed_stack_wait_for_an_approver(
    full_run: ProgramRun, stack_name: str, target: str
) -> None:
    kind, resource = _targets(full_run, stack_name)[target]
    (approval,) = _checks(full_run, APPROVAL, resource)
    assert approval["targetResourceType"] == kind
    assert approval["approvers"] == [APPROVER_GROUP]
    assert approval["requesterCanApprove"] is False


@pytest.mark.parametrize("stack_name", UNREVIEWED)
@pytest.mark.parametrize("target", ["environment", "connection", "release connection"])
def test_an_unreviewed_stack_waits_for_no_approval(
    full_run: ProgramRun, stack_name: str, target: str
) -> None:
    _, resource = _targets(full_run, stack_name)[target]
    assert _checks(full_run, APPROVAL, resource) == []


@pytest.mark.parametrize("stack_name", [s for s in STACK_NAMES if s not in PULL_REQUEST_PREVIEWS])
def test_a_preview_connection_whose_stack_pull_requests_may_not_read_runs_for_main_only(
    full_run: ProgramRun, stack_name: str
) -> None:
    (check,) = _checks(full_run, BRANCH_CONTROL, PREVIEW_CONNECTIONS[stack_name])
    assert check["targetResourceType"] == "endpoint"
    assert {key: check[key] for key in MAIN_ONLY} == MAIN_ONLY


@pytest.mark.parametrize("stack_name", PULL_REQUEST_PREVIEWS)
def test_a_preview_connection_of_a_stack_pull_requests_preview_runs_for_main_and_them(
    full_run: ProgramRun, stack_name: str
) -> None:
    (check,) = _checks(full_run, BRANCH_CONTROL, PREVIEW_CONNECTIONS[stack_name])
    assert check["allowedBranches"] == "refs/heads/main,refs/pull/*"
    # A pull request's merge ref is no protected branch.
    assert check["verifyBranchProtection"] is False


@pytest.mark.parametrize("stack_name", STACK_NAMES)
def test_a_preview_connection_waits_for_no_approval(full_run: ProgramRun, stack_name: str) -> None:
    assert _checks(full_run, APPROVAL, PREVIEW_CONNECTIONS[stack_name]) == []


# -- who signs in through which connection ------------------------------------------------------


@pytest.mark.parametrize("stack_name", STACK_NAMES)
def test_a_deploy_identity_trusts_its_stack_deploy_connection_alone(
    full_run: ProgramRun, stack_name: str
) -> None:
    assert _subjects(full_run, f"deploy-{stack_name}") == {
        _connection_subject(CONNECTIONS[stack_name])
    }


@pytest.mark.parametrize("stack_name", STACK_NAMES)
def test_each_stack_preview_connection_signs_in_as_that_stack_preview_identity_alone(
    full_run: ProgramRun, stack_name: str
) -> None:
    assert _subjects(full_run, f"preview-{stack_name}") == {
        _connection_subject(PREVIEW_CONNECTIONS[stack_name])
    }


def test_no_identity_previews_every_stack(full_run: ProgramRun) -> None:
    names = {
        r.inputs["resourceName"]
        for r in full_run.of_type("azure-native:managedidentity:UserAssignedIdentity")
    }
    assert "id-contoso-mlops-preview-azure-devops" not in names


# -- with Pulumi Cloud: each stack's tokens in variable groups of its own -------------------------


@pytest.fixture(scope="module")
def cloud_run() -> ProgramRun:
    return run_bootstrap(azureDevOps={**DEVOPS, "pulumiCloud": True})


def _group(run: ProgramRun, name: str) -> Any:
    (found,) = [r for r in run.of_type(VARIABLE_GROUP) if r.inputs["name"] == name]
    return found


def test_token_variable_groups_exist_only_with_pulumi_cloud(
    full_run: ProgramRun, cloud_run: ProgramRun
) -> None:
    # The bootstrap's own backend needs no token.
    assert full_run.of_type(VARIABLE_GROUP) == []
    names = {r.inputs["name"] for r in cloud_run.of_type(VARIABLE_GROUP)}
    assert names == {f"mlops-{s}" for s in STACK_NAMES} | {
        f"mlops-preview-{s}" for s in STACK_NAMES
    }


def test_a_stack_without_connections_gets_no_token_variable_groups() -> None:
    stacks = [*STACKS, {"name": "shared", "subscriptionId": SHARED_SUBSCRIPTION}]
    run = run_bootstrap(azureDevOps={**DEVOPS, "pulumiCloud": True}, stacks=stacks)
    names = {r.inputs["name"] for r in run.of_type(VARIABLE_GROUP)}
    assert not {"mlops-shared", "mlops-preview-shared"} & names


@pytest.mark.parametrize("stack_name", STACK_NAMES)
@pytest.mark.parametrize("group", ["mlops-{}", "mlops-preview-{}"])
def test_a_token_group_holds_an_empty_secret_token_and_is_never_updated(
    cloud_run: ProgramRun, stack_name: str, group: str
) -> None:
    found = _group(cloud_run, group.format(stack_name))
    assert found.inputs["projectId"] == PROJECT
    # Only the pipelines authorized on it by hand.
    assert found.inputs["allowAccess"] is False
    # The bootstrap never holds a token: a person sets it after the first `pulumi up`.
    (variable,) = found.inputs["variables"]
    assert variable == {"name": "PULUMI_ACCESS_TOKEN", "isSecret": True}
    # Any update would send the empty value over the token set since.
    assert {"variables", "name", "description", "allowAccess"} <= set(found.ignore_changes)


@pytest.mark.parametrize("stack_name", STACK_NAMES)
def test_a_deploy_token_group_is_read_from_protected_main_only(
    cloud_run: ProgramRun, stack_name: str
) -> None:
    group = _group(cloud_run, f"mlops-{stack_name}").id
    (check,) = _checks(cloud_run, BRANCH_CONTROL, group)
    assert check["targetResourceType"] == "variablegroup"
    assert {key: check[key] for key in MAIN_ONLY} == MAIN_ONLY


@pytest.mark.parametrize("stack_name", REVIEWED)
def test_a_deploy_token_group_of_a_reviewed_stack_waits_for_an_approver(
    cloud_run: ProgramRun, stack_name: str
) -> None:
    group = _group(cloud_run, f"mlops-{stack_name}").id
    (approval,) = _checks(cloud_run, APPROVAL, group)
    assert approval["targetResourceType"] == "variablegroup"
    assert approval["approvers"] == [APPROVER_GROUP]
    assert approval["requesterCanApprove"] is False


@pytest.mark.parametrize("stack_name", UNREVIEWED)
def test_a_deploy_token_group_of_an_unreviewed_stack_waits_for_no_approval(
    cloud_run: ProgramRun, stack_name: str
) -> None:
    assert _checks(cloud_run, APPROVAL, _group(cloud_run, f"mlops-{stack_name}").id) == []


@pytest.mark.parametrize("stack_name", [s for s in STACK_NAMES if s not in PULL_REQUEST_PREVIEWS])
def test_a_preview_token_group_whose_stack_pull_requests_may_not_read_is_for_main_only(
    cloud_run: ProgramRun, stack_name: str
) -> None:
    group = _group(cloud_run, f"mlops-preview-{stack_name}").id
    (check,) = _checks(cloud_run, BRANCH_CONTROL, group)
    assert check["targetResourceType"] == "variablegroup"
    assert {key: check[key] for key in MAIN_ONLY} == MAIN_ONLY


@pytest.mark.parametrize("stack_name", PULL_REQUEST_PREVIEWS)
def test_a_preview_token_group_of_a_stack_pull_requests_preview_is_for_main_and_them(
    cloud_run: ProgramRun, stack_name: str
) -> None:
    group = _group(cloud_run, f"mlops-preview-{stack_name}").id
    (check,) = _checks(cloud_run, BRANCH_CONTROL, group)
    assert check["targetResourceType"] == "variablegroup"
    assert check["allowedBranches"] == "refs/heads/main,refs/pull/*"
    assert check["verifyBranchProtection"] is False


@pytest.mark.parametrize("stack_name", STACK_NAMES)
def test_a_preview_token_group_waits_for_no_approval(
    cloud_run: ProgramRun, stack_name: str
) -> None:
    assert _checks(cloud_run, APPROVAL, _group(cloud_run, f"mlops-preview-{stack_name}").id) == []


def test_a_stack_whose_token_group_would_be_the_shared_group_is_refused() -> None:
    _refused(
        "mlops-bootstrap:stacks[1].name",
        "names the variable group mlops-pulumi, which is the pipeline's shared variable group",
        azureDevOps={**DEVOPS, "pulumiCloud": True},
        stacks=stack(1, name="pulumi", environment="qa"),
    )


def test_a_stack_whose_token_group_would_be_another_stack_preview_group_is_refused() -> None:
    _refused(
        "mlops-bootstrap:stacks[1].name",
        "names the variable group mlops-preview-dev, which is the preview variable group of the "
        "stack dev",
        azureDevOps={**DEVOPS, "pulumiCloud": True},
        stacks=stack(1, name="preview-dev", environment="qa"),
    )


PIPELINE_AUTHORIZATION = "azuredevops:index/pipelineAuthorization:PipelineAuthorization"


def test_only_the_pipeline_is_authorized_on_each_checked_resource(full_run: ProgramRun) -> None:
    # Each release connection is the ML release pipeline's, authorized by hand.
    releases = set(RELEASE_CONNECTIONS.values())
    checked = {
        (r.inputs["targetResourceType"], r.inputs["targetResourceId"])
        for r in full_run.of_type(BRANCH_CONTROL)
        if r.inputs["targetResourceId"] not in releases
    }
    authorized = {
        (r.inputs["type"], r.inputs["resourceId"]): r.inputs["pipelineId"]
        for r in full_run.of_type(PIPELINE_AUTHORIZATION)
    }
    assert checked
    assert set(authorized) == checked
    assert set(authorized.values()) == {PIPELINE_ID}


def test_the_pipeline_id_is_required() -> None:
    devops = {k: v for k, v in DEVOPS.items() if k != "pipelineId"}
    found = problems(azureDevOps=devops)
    assert any(p.startswith("mlops-bootstrap:azureDevOps.pipelineId: ") for p in found), found
