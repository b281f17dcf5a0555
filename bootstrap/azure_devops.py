"""The Azure DevOps checks that no pipeline YAML can remove: a run's YAML is its branch's own, so
"main only" and approvals hold only where they sit on the service connections and environments
themselves (learn.microsoft.com, "Define approvals and checks").

Per stack that deploys through Azure DevOps: its environment mlops-<stack>, created here, with an
exclusive lock (the deploy stages' lockBehavior: sequential); on that environment and on the
stack's deploy and release connections, branch control (refs/heads/main, protected) and, for a
reviewed stack, an approval; on its preview connection, branch control. With Pulumi Cloud as the
backend (``azureDevOps.pulumiCloud``), also the stack's variable groups: mlops-<stack>, for its
deploy stage's write token, under the checks of its deploy connection, and mlops-preview-<stack>,
for its previews' read-only token, under those of its preview connection. The provider signs in
to ``mlops-bootstrap:azureDevOps.organizationUrl`` with the AZDO_PERSONAL_ACCESS_TOKEN environment
variable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pulumi
import pulumi_azuredevops as azuredevops

from bootstrap.config import AzureDevOpsSettings, StackAccess

MAIN_REF: Final = "refs/heads/main"
# A pull request's run (Build.SourceBranch refs/pull/<number>/merge).
PULL_REQUEST_REFS: Final = "refs/pull/*"
# Resource types of the checks API.
ENDPOINT: Final = "endpoint"
ENVIRONMENT: Final = "environment"
VARIABLE_GROUP: Final = "variablegroup"
# What a variable group of tokens holds: this secret, which a person sets after the bootstrap.
TOKEN: Final = "PULUMI_ACCESS_TOKEN"
# The group is created and never updated: the provider sends every variable's value from its
# state with any update, the empty token too, over what a person set since
# (microsoft/terraform-provider-azuredevops#1433). project_id is not listed: a new project is a
# new group.
CREATED_ONLY: Final = ("variables", "name", "description", "allow_access")


@dataclass(frozen=True)
class AzureDevOpsChecksArgs:
    settings: AzureDevOpsSettings
    stacks: tuple[StackAccess, ...]


class AzureDevOpsChecks(pulumi.ComponentResource):
    """Exposes ``environments``: per stack that deploys through Azure DevOps, its environment;
    and ``variable_groups``: with Pulumi Cloud, per stack its groups mlops-<stack> and
    mlops-preview-<stack> by name."""

    def __init__(
        self, name: str, args: AzureDevOpsChecksArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops-bootstrap:azureDevOps:AzureDevOpsChecks", name, None, opts)
        self._name = name
        self._settings = args.settings
        provider = azuredevops.Provider(
            f"{name}-provider",
            org_service_url=args.settings.organization_url,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._child = pulumi.ResourceOptions(parent=self, provider=provider)
        self.environments: dict[str, azuredevops.Environment] = {}
        self.variable_groups: dict[str, azuredevops.VariableGroup] = {}
        for stack in args.stacks:
            self._stack(stack)
        self.register_outputs({})

    def _stack(self, stack: StackAccess) -> None:
        prefix = f"{self._name}-{stack.name}"
        protected: list[tuple[str, str, pulumi.Input[str]]] = []
        previewed: list[tuple[str, str, pulumi.Input[str]]] = []
        if stack.azure_devops_connection_id is not None:
            environment = azuredevops.Environment(
                prefix,
                project_id=self._settings.project_id,
                name=stack.azure_devops_environment,
                description=f"Deploys of the mlops stack {stack.name} (azure-pipelines.yml)",
                opts=self._child,
            )
            self.environments[stack.name] = environment
            azuredevops.CheckExclusiveLock(
                f"{prefix}-environment-lock",
                project_id=self._settings.project_id,
                target_resource_type=ENVIRONMENT,
                target_resource_id=environment.id,
                opts=self._child,
            )
            protected += [
                ("environment", ENVIRONMENT, environment.id),
                ("connection", ENDPOINT, stack.azure_devops_connection_id),
            ]
            if self._settings.pulumi_cloud:
                # Its deploy stage's token, which may write the stack: as its deploy connection.
                group = self._variable_group(
                    f"{prefix}-variable-group",
                    stack.azure_devops_variable_group,
                    f"PULUMI_ACCESS_TOKEN of {stack.name}'s deploys: a Pulumi Cloud token that "
                    f"may write the stack {stack.name} alone",
                )
                protected.append(("variable-group", VARIABLE_GROUP, group.id))
        if stack.azure_devops_release_connection_id is not None:
            protected.append(
                ("release-connection", ENDPOINT, stack.azure_devops_release_connection_id)
            )
        for label, kind, target in protected:
            self._branch_control(f"{prefix}-{label}", kind, target, (MAIN_REF,))
            if stack.reviewed:
                self._approval(f"{prefix}-{label}", kind, target, stack)
        if stack.azure_devops_preview_connection_id is not None:
            # A preview changes nothing, but decrypts its stack's secrets: main's runs, and pull
            # requests' where those may read them (pullRequestPreviews).
            branches = (MAIN_REF, *((PULL_REQUEST_REFS,) if stack.pull_request_previews else ()))
            self._branch_control(
                f"{prefix}-preview-connection",
                ENDPOINT,
                stack.azure_devops_preview_connection_id,
                branches,
            )
            previewed.append(
                ("preview-connection", ENDPOINT, stack.azure_devops_preview_connection_id)
            )
            if self._settings.pulumi_cloud:
                # Its previews' token, which only reads the stack: as its preview connection.
                group = self._variable_group(
                    f"{prefix}-preview-variable-group",
                    stack.azure_devops_preview_variable_group,
                    f"PULUMI_ACCESS_TOKEN of {stack.name}'s previews: a Pulumi Cloud token that "
                    f"may only read the stack {stack.name}",
                )
                self._branch_control(
                    f"{prefix}-preview-variable-group", VARIABLE_GROUP, group.id, branches
                )
                previewed.append(("preview-variable-group", VARIABLE_GROUP, group.id))
        for label, kind, target in protected + previewed:
            if label != "release-connection":  # the ML release pipeline's: authorized by hand
                self._authorize(f"{prefix}-{label}", kind, target)

    def _variable_group(self, name: str, group: str, description: str) -> azuredevops.VariableGroup:
        found = azuredevops.VariableGroup(
            name,
            project_id=self._settings.project_id,
            name=group,
            description=f"{description} (set by hand; the mlops bootstrap never changes it)",
            # Only the pipelines authorized on the group, by hand, may use it.
            allow_access=False,
            # Secret and empty: the bootstrap never holds a token.
            variables=[azuredevops.VariableGroupVariableArgs(name=TOKEN, is_secret=True)],
            opts=pulumi.ResourceOptions.merge(
                self._child, pulumi.ResourceOptions(ignore_changes=list(CREATED_ONLY))
            ),
        )
        self.variable_groups[group] = found
        return found

    def _branch_control(
        self, name: str, kind: str, target: pulumi.Input[str], branches: tuple[str, ...]
    ) -> None:
        # A pull request's merge ref is no protected branch: protection is verified where only
        # main may run.
        verified = branches == (MAIN_REF,)
        azuredevops.CheckBranchControl(
            f"{name}-branch-control",
            project_id=self._settings.project_id,
            target_resource_type=kind,
            target_resource_id=target,
            display_name=f"Only {', '.join(branches)}",
            allowed_branches=",".join(branches),
            verify_branch_protection=verified,
            ignore_unknown_protection_status=False,
            opts=self._child,
        )

    def _authorize(self, name: str, kind: str, target: pulumi.Input[str]) -> None:
        """This pipeline alone may use the resource (its "all pipelines" permission stays off)."""
        azuredevops.PipelineAuthorization(
            f"{name}-pipeline",
            project_id=self._settings.project_id,
            resource_id=target,
            type=kind,
            pipeline_id=self._settings.pipeline_id,
            opts=self._child,
        )

    def _approval(
        self, name: str, kind: str, target: pulumi.Input[str], stack: StackAccess
    ) -> None:
        azuredevops.CheckApproval(
            f"{name}-approval",
            project_id=self._settings.project_id,
            target_resource_type=kind,
            target_resource_id=target,
            approvers=list(self._settings.approvers),
            # Whoever started the run cannot approve it alone.
            requester_can_approve=False,
            instructions=f"A deploy or model release of {stack.name}: approve what you have read.",
            opts=self._child,
        )
