"""The bootstrap program under Pulumi's mock engine, on fixture configs of the tests' own."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import pytest

from bootstrap.program import main
from bootstrap.roles import ASSIGNEE
from offline.engine import ProgramRun, Resource
from tests.conftest import pulumi_config
from tests.run_cache import cached_evaluation

STATE_SUBSCRIPTION: Final = "00000000-0000-0000-0000-0000000000f0"
SUBSCRIPTIONS: Final = {
    "dev": "00000000-0000-0000-0000-0000000000d1",
    "qa": "00000000-0000-0000-0000-0000000000d2",
    "prod": "00000000-0000-0000-0000-0000000000d3",
}
CONNECTIONS: Final = {
    "dev": "00000000-0000-0000-0000-00000000c0d1",
    "qa": "00000000-0000-0000-0000-00000000c0d2",
    "prod": "00000000-0000-0000-0000-00000000c0d3",
}
RELEASE_CONNECTIONS: Final = {
    "dev": "00000000-0000-0000-0000-00000000c1d1",
    "qa": "00000000-0000-0000-0000-00000000c1d2",
    "prod": "00000000-0000-0000-0000-00000000c1d3",
}
PREVIEW_CONNECTIONS: Final = {
    "dev": "00000000-0000-0000-0000-00000000c2d1",
    "qa": "00000000-0000-0000-0000-00000000c2d2",
    "prod": "00000000-0000-0000-0000-00000000c2d3",
}
ORGANIZATION_URL: Final = "https://dev.azure.com/contoso"
PROJECT: Final = "00000000-0000-0000-0000-00000000b0b0"
APPROVER_GROUP: Final = "00000000-0000-0000-0000-00000000ab00"
REVIEWER_TEAM: Final = 1234567
REVIEWER_USER: Final = 7654321
ORGANIZATION: Final = "00000000-0000-0000-0000-00000000a0a0"
SUBJECT_PREFIX: Final = "/eid1/c/pub/t/dGVuYW50/a/YXBw"
ADMIN_GROUP: Final = "00000000-0000-0000-0000-00000000ad00"
DATA_ACCOUNT: Final = (
    "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg-data"
    "/providers/Microsoft.Storage/storageAccounts/stdata"
)
PROD_REGISTRY: Final = (
    "/subscriptions/00000000-0000-0000-0000-0000000000bb/resourceGroups/rg-shared"
    "/providers/Microsoft.ContainerRegistry/registries/crshared"
)
REPOSITORY: Final = "contoso/mlops"

# Every stack reads the data account; prod alone writes its adopted registry.
DATA_READ: Final = {"scope": DATA_ACCOUNT, "access": "read"}
STACKS: Final = (
    {
        "name": "dev",
        "subscriptionId": SUBSCRIPTIONS["dev"],
        "azureDevOpsConnectionId": CONNECTIONS["dev"],
        "azureDevOpsReleaseConnectionId": RELEASE_CONNECTIONS["dev"],
        "azureDevOpsPreviewConnectionId": PREVIEW_CONNECTIONS["dev"],
        # Every merge deploys dev: no approval.
        "reviewed": False,
        "sharedScopes": [DATA_READ],
        "pullRequestPreviews": True,
    },
    {
        "name": "qa",
        "subscriptionId": SUBSCRIPTIONS["qa"],
        "azureDevOpsConnectionId": CONNECTIONS["qa"],
        "azureDevOpsReleaseConnectionId": RELEASE_CONNECTIONS["qa"],
        "azureDevOpsPreviewConnectionId": PREVIEW_CONNECTIONS["qa"],
        "sharedScopes": [DATA_READ],
        "pullRequestPreviews": True,
    },
    {
        "name": "prod",
        "subscriptionId": SUBSCRIPTIONS["prod"],
        "azureDevOpsConnectionId": CONNECTIONS["prod"],
        "azureDevOpsReleaseConnectionId": RELEASE_CONNECTIONS["prod"],
        "azureDevOpsPreviewConnectionId": PREVIEW_CONNECTIONS["prod"],
        "sharedScopes": [DATA_READ, {"scope": PROD_REGISTRY, "access": "readWrite"}],
    },
)
# The shared stack's subscription, for tests that add it to the fixture's stacks.
SHARED_SUBSCRIPTION: Final = "00000000-0000-0000-0000-0000000000d0"
# The Azure DevOps pipeline the connections, environments and variable groups admit.
PIPELINE_ID: Final = 7
STACK_NAMES: Final = [s["name"] for s in STACKS]
REVIEWED: Final = [s["name"] for s in STACKS if s.get("reviewed", True)]  # qa, prod
UNREVIEWED: Final = [s["name"] for s in STACKS if not s.get("reviewed", True)]  # dev
PULL_REQUEST_PREVIEWS: Final = [s["name"] for s in STACKS if s.get("pullRequestPreviews")]
# Everything configured: GitHub, Azure DevOps, state administrators, shared scopes.
FULL: Final[Mapping[str, Any]] = {
    "azure-native:location": "westeurope",
    "azure-native:subscriptionId": STATE_SUBSCRIPTION,
    "mlops-bootstrap:prefix": "contoso",
    "mlops-bootstrap:tags": {"costCenter": "1234"},
    "mlops-bootstrap:github": {
        "repository": REPOSITORY,
        "reviewers": {"teams": [REVIEWER_TEAM], "users": [REVIEWER_USER]},
    },
    "mlops-bootstrap:azureDevOps": {
        "organizationUrl": ORGANIZATION_URL,
        "projectId": PROJECT,
        "pipelineId": PIPELINE_ID,
        "organizationId": ORGANIZATION,
        "subjectPrefix": SUBJECT_PREFIX,
        "approvers": [APPROVER_GROUP],
    },
    "mlops-bootstrap:stateAdministrators": [ADMIN_GROUP],
    "mlops-bootstrap:stacks": list(STACKS),
}


def run_bootstrap(values: Mapping[str, Any] = FULL, **changes: Any) -> ProgramRun:
    """The bootstrap program on ``values``, with ``changes`` to its mlops-bootstrap keys (a
    None removes the key)."""
    config = dict(values)
    for key, value in changes.items():
        full = key if ":" in key else f"mlops-bootstrap:{key}"
        if value is None:
            config.pop(full, None)
        else:
            config[full] = value
    return cached_evaluation(main, "admin", pulumi_config(config))


@pytest.fixture(scope="session")
def full_run() -> ProgramRun:
    return run_bootstrap()


@dataclass(frozen=True)
class Held:
    """One role a principal holds on one scope."""

    role: str  # role definition GUID
    scope: str
    condition: str | None = None


def identity(run: ProgramRun, purpose: str) -> Resource:
    """The managed identity ``id-contoso-mlops-<purpose>``."""
    name = f"id-contoso-mlops-{purpose}"
    found = [
        r
        for r in run.resources
        if r.type == "azure-native:managedidentity:UserAssignedIdentity"
        and r.inputs.get("resourceName") == name
    ]
    assert len(found) == 1, f"expected one identity {name}"
    return found[0]


def held_by(run: ProgramRun, principal_id: str) -> set[Held]:
    """Every role assignment of ``principal_id``, as (role GUID, scope, condition); the
    condition as written before its holder was known (``ASSIGNEE`` for its ID)."""
    return {
        Held(
            r.inputs["roleDefinitionId"].rsplit("/", 1)[-1],
            r.inputs["scope"],
            (r.inputs.get("condition") or "").replace(principal_id, ASSIGNEE) or None,
        )
        for r in run.of_type("azure-native:authorization:RoleAssignment")
        if r.inputs["principalId"] == principal_id
    }


def roles_of(run: ProgramRun, purpose: str) -> set[Held]:
    return held_by(run, identity(run, purpose).outputs["principalId"])


def named(run: ProgramRun, type_token: str, name_input: str, name: str) -> Resource:
    found = [r for r in run.of_type(type_token) if r.inputs.get(name_input) == name]
    assert len(found) == 1, f"expected one {type_token} named {name}"
    return found[0]


def container_id(run: ProgramRun, stack: str) -> str:
    return named(run, "azure-native:storage:BlobContainer", "containerName", f"state-{stack}").id


def key_id(run: ProgramRun, stack: str) -> str:
    return named(run, "azure-native:keyvault:Key", "keyName", f"pulumi-{stack}").id


def custom_role(run: ProgramRun, guid: str) -> Resource:
    return named(run, "azure-native:authorization:RoleDefinition", "roleDefinitionId", guid)
