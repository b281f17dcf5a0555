"""One release identity per stack: each signs in only from its own stack's release pipelines and
holds no role from the bootstrap, so approving a release of one stack yields nothing in another."""

from __future__ import annotations

import pytest

from offline.engine import ProgramRun
from tests.bootstrap.conftest import (
    FULL,
    REPOSITORY,
    SHARED_SUBSCRIPTION,
    STACK_NAMES,
    STACKS,
    SUBSCRIPTIONS,
    identity,
    roles_of,
    run_bootstrap,
)
from tests.bootstrap.test_bootstrap_config import problems
from tests.bootstrap.test_bootstrap_isolation import refused


def _subjects(run: ProgramRun, purpose: str) -> set[str]:
    owner = identity(run, purpose)
    return {
        r.inputs["subject"]
        for r in run.of_type("azure-native:managedidentity:FederatedIdentityCredential")
        if r.parent == owner.parent
    }


@pytest.mark.parametrize("stack", STACK_NAMES)
def test_a_release_identity_per_stack_trusts_only_its_release_environment(
    full_run: ProgramRun, stack: str
) -> None:
    github = {s for s in _subjects(full_run, f"release-{stack}") if s.startswith("repo:")}
    assert github
    assert all(s.startswith(f"repo:{REPOSITORY}:environment:release-{stack}:") for s in github)


@pytest.mark.parametrize("stack", STACK_NAMES)
def test_a_release_identity_trusts_its_stack_azure_devops_release_connection(
    full_run: ProgramRun, stack: str
) -> None:
    (entry,) = [s for s in STACKS if s["name"] == stack]
    connections = {s.rsplit("/", 1)[-1] for s in _subjects(full_run, f"release-{stack}")}
    assert entry["azureDevOpsReleaseConnectionId"] in connections


@pytest.mark.parametrize("stack", STACK_NAMES)
def test_a_release_identity_holds_no_role_from_the_bootstrap(
    full_run: ProgramRun, stack: str
) -> None:
    assert roles_of(full_run, f"release-{stack}") == set()


def test_release_identities_are_distinct(full_run: ProgramRun) -> None:
    principals = {
        identity(full_run, f"release-{stack}").outputs["principalId"] for stack in STACK_NAMES
    }
    assert len(principals) == len(STACK_NAMES)


def test_the_shared_stack_has_no_release_identity() -> None:
    shared = {"name": "shared", "subscriptionId": SHARED_SUBSCRIPTION}
    run = run_bootstrap(FULL, stacks=[*STACKS, shared])
    names = {
        r.inputs["resourceName"]
        for r in run.of_type("azure-native:managedidentity:UserAssignedIdentity")
    }
    assert "id-contoso-mlops-release-shared" not in names
    assert run.outputs["stacks"]["shared"]["releasePrincipalId"] is None


def test_a_release_connection_on_the_shared_stack_isrefused() -> None:
    shared = {
        "name": "shared",
        "subscriptionId": SHARED_SUBSCRIPTION,
        "azureDevOpsReleaseConnectionId": "00000000-0000-0000-0000-00000000c1d0",
    }
    found = problems(stacks=[*STACKS, shared])
    assert refused(found, "mlops-bootstrap:stacks[3].azureDevOpsReleaseConnectionId", "shared")


@pytest.mark.parametrize("stack", STACK_NAMES)
def test_outputs_give_each_stack_its_release_principal_for_mlops_release_pipeline(
    full_run: ProgramRun, stack: str
) -> None:
    release = identity(full_run, f"release-{stack}").outputs
    outputs = full_run.outputs["stacks"][stack]
    assert outputs["releasePrincipalId"] == release["principalId"]
    assert outputs["releaseClientId"] == release["clientId"]


@pytest.mark.parametrize("stack", STACK_NAMES)
def test_outputs_give_each_release_environment_its_identity_and_subscription(
    full_run: ProgramRun, stack: str
) -> None:
    assert full_run.outputs["githubEnvironments"][f"release-{stack}"] == {
        "AZURE_CLIENT_ID": full_run.outputs["stacks"][stack]["releaseClientId"],
        "AZURE_SUBSCRIPTION_ID": SUBSCRIPTIONS[stack],
    }
