"""A pipeline's identity: a user-assigned managed identity (it can hold no secret at all), the
pipelines federated with it, and its role grants; and which pipelines each stack's identities
trust.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import pulumi
from pulumi_azure_native import authorization, managedidentity

from bootstrap.config import AzureDevOpsSettings, BootstrapSettings, StackAccess
from bootstrap.grants import Grant, Principal, assign

# GitHub's OIDC issuer, and the one audience Entra accepts (learn.microsoft.com, "Authenticate
# to Azure from GitHub Actions by OpenID Connect"; "Important considerations and restrictions
# for federated identity credentials": exactly one audience).
GITHUB_ISSUER: Final = "https://token.actions.githubusercontent.com"
AUDIENCE: Final = "api://AzureADTokenExchange"
# The workflows (.github/workflows) whose jobs sign in, each only from main: pulumi-up.yml
# previews (preview-<stack>) and deploys (<stack>) a stack; deploy-model.yml reads a stack's
# outputs (preview-<stack>) and deploys a model version (release-<stack>).
DEPLOY_WORKFLOW: Final = "pulumi-up.yml"
RELEASE_WORKFLOW: Final = "deploy-model.yml"
MAIN: Final = "refs/heads/main"


@dataclass(frozen=True)
class Federation:
    """A pipeline that may sign in as the identity: its token's issuer and exact subject."""

    name: str  # the credential's name on the identity
    issuer: pulumi.Input[str]
    subject: pulumi.Input[str]


def github_job(repository: str, environment: str, workflow: str) -> Federation:
    """Jobs of ``workflow`` as it is on main, in a run of main, running in the GitHub environment
    ``environment`` of ``repository``, and no other.

    The subject is what GitHub issues once the repository's subject template is repo, context,
    ref, job_workflow_ref (``bootstrap.github``; docs.github.com, "OpenID Connect reference",
    "Customizing the subject claims for an organization or repository"). Entra compares it
    exactly, so no pull request matches (its ref is its own merge ref, refs/pull/<number>/merge),
    nor a branch's workflow that calls pulumi-up.yml@main: its job_workflow_ref names main, but
    its ref is the branch's. Only flexible credentials (claimsMatchingExpression, in preview, not
    in pulumi-azure-native's FederatedIdentityCredential) could match more than one subject.
    """
    return Federation(
        f"github-{workflow.removesuffix('.yml')}",
        GITHUB_ISSUER,
        f"repo:{repository}:environment:{environment}:ref:{MAIN}"
        f":job_workflow_ref:{repository}/.github/workflows/{workflow}@{MAIN}",
    )


def azure_devops_connection(
    devops: AzureDevOpsSettings, tenant_id: pulumi.Input[str], connection_id: str
) -> Federation:
    """Pipelines using one service connection. Azure DevOps now issues with the Microsoft Entra
    issuer; the older https://vstoken.dev.azure.com issuer retires on 2027-07-01
    (learn.microsoft.com, "Convert service connections from the Azure DevOps issuer to the
    Microsoft Entra issuer")."""
    return Federation(
        "azure-devops",
        pulumi.Output.concat("https://login.microsoftonline.com/", tenant_id, "/v2.0"),
        f"{devops.subject_prefix}/sc/{devops.organization_id}/{connection_id}",
    )


def deploy_federations(
    settings: BootstrapSettings, tenant_id: pulumi.Input[str], stack: StackAccess
) -> tuple[Federation, ...]:
    """Who deploys ``stack``: pulumi-up.yml's job in the GitHub environment <stack>, and the
    stack's Azure DevOps service connection, as configured."""
    github, devops = settings.github, settings.azure_devops
    found: list[Federation] = []
    if github is not None:
        found.append(github_job(github.repository, stack.github_environment, DEPLOY_WORKFLOW))
    if devops is not None and stack.azure_devops_connection_id is not None:
        found.append(azure_devops_connection(devops, tenant_id, stack.azure_devops_connection_id))
    return tuple(found)


def preview_federations(
    settings: BootstrapSettings, tenant_id: pulumi.Input[str], stack: StackAccess
) -> tuple[Federation, ...]:
    """Who reads ``stack``: in the GitHub environment preview-<stack>, pulumi-up.yml's preview
    before an approval and, where models are released, deploy-model.yml's read of the outputs;
    and the stack's own Azure DevOps preview connection."""
    github, devops = settings.github, settings.azure_devops
    found: list[Federation] = []
    if github is not None:
        environment = stack.github_preview_environment
        found.append(github_job(github.repository, environment, DEPLOY_WORKFLOW))
        if stack.releases:
            found.append(github_job(github.repository, environment, RELEASE_WORKFLOW))
    if devops is not None and stack.azure_devops_preview_connection_id is not None:
        connection = stack.azure_devops_preview_connection_id
        found.append(azure_devops_connection(devops, tenant_id, connection))
    return tuple(found)


def release_federations(
    settings: BootstrapSettings, tenant_id: pulumi.Input[str], stack: StackAccess
) -> tuple[Federation, ...]:
    """Who releases models into ``stack``: deploy-model.yml's job in the GitHub environment
    release-<stack>, and the stack's Azure DevOps release connection."""
    github, devops = settings.github, settings.azure_devops
    found: list[Federation] = []
    if github is not None:
        environment = stack.github_release_environment
        found.append(github_job(github.repository, environment, RELEASE_WORKFLOW))
    if devops is not None and stack.azure_devops_release_connection_id is not None:
        connection = stack.azure_devops_release_connection_id
        found.append(azure_devops_connection(devops, tenant_id, connection))
    return tuple(found)


@dataclass(frozen=True)
class PipelineIdentityArgs:
    identity_name: str
    resource_group_name: pulumi.Input[str]
    location: str
    tags: Mapping[str, str]
    federations: tuple[Federation, ...]
    grants: tuple[Grant, ...]
    # Makes the identity's role assignment names this bootstrap's own.
    seed: str


class PipelineIdentity(pulumi.ComponentResource):
    """Exposes ``client_id`` (what a pipeline signs in with) and ``principal_id``."""

    def __init__(
        self, name: str, args: PipelineIdentityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops-bootstrap:identity:PipelineIdentity", name, None, opts)
        self.identity = managedidentity.UserAssignedIdentity(
            f"{name}-identity",
            resource_name_=args.identity_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Azure refuses concurrent writes of credentials on one identity (409): one at a time
        # (learn.microsoft.com, "Important considerations and restrictions for federated
        # identity credentials").
        self.credentials: list[managedidentity.FederatedIdentityCredential] = []
        for federation in args.federations:
            previous = self.credentials[-1:]
            self.credentials.append(
                managedidentity.FederatedIdentityCredential(
                    f"{name}-{federation.name}",
                    federated_identity_credential_resource_name=federation.name,
                    resource_name_=self.identity.name,
                    resource_group_name=args.resource_group_name,
                    issuer=federation.issuer,
                    subject=federation.subject,
                    audiences=[AUDIENCE],
                    opts=pulumi.ResourceOptions(parent=self, depends_on=previous or None),
                )
            )
        principal = Principal(self.identity.principal_id, name)
        self.role_assignments: list[authorization.RoleAssignment] = [
            assign(name, args.seed, principal, grant, self) for grant in args.grants
        ]
        self.client_id: pulumi.Output[str] = self.identity.client_id
        self.principal_id: pulumi.Output[str] = self.identity.principal_id
        self.register_outputs({"clientId": self.client_id, "principalId": self.principal_id})
