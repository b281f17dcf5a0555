"""A pipeline's identity: a user-assigned managed identity (it can hold no secret at all), the
pipelines federated with it, and its role grants.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import pulumi
from pulumi_azure_native import authorization, managedidentity

from bootstrap.config import AzureDevOpsSettings
from bootstrap.grants import Grant, Principal, assign

# GitHub's OIDC issuer, and the one audience Entra accepts (learn.microsoft.com, "Authenticate
# to Azure from GitHub Actions by OpenID Connect"; "Important considerations and restrictions
# for federated identity credentials": exactly one audience).
GITHUB_ISSUER: Final = "https://token.actions.githubusercontent.com"
AUDIENCE: Final = "api://AzureADTokenExchange"


@dataclass(frozen=True)
class Federation:
    """A pipeline that may sign in as the identity: its token's issuer and exact subject."""

    name: str  # the credential's name on the identity
    issuer: pulumi.Input[str]
    subject: pulumi.Input[str]


def github_environment(repository: str, environment: str) -> Federation:
    """Jobs of ``repository`` running in the GitHub environment ``environment``, and no other."""
    return Federation("github", GITHUB_ISSUER, f"repo:{repository}:environment:{environment}")


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
