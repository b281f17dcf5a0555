"""Composition: config → resource group and state → roles → identities → outputs."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_random as random
from pulumi_azure_native import authorization, resources

from bootstrap import config
from bootstrap.access import (
    BootstrapContext,
    PipelineRoles,
    StackIdentities,
    StateAdministrators,
)
from bootstrap.azure_devops import AzureDevOpsChecks, AzureDevOpsChecksArgs
from bootstrap.github import GitHubProtections, GitHubProtectionsArgs
from bootstrap.state import StateBackend, StateBackendArgs
from settings.names import SUFFIX_LENGTH


def main() -> None:
    settings = config.from_pulumi()
    tags = settings.all_tags
    client = authorization.get_client_config_output()
    # Everything here is what every stack's deployment depends on: protected.
    kept = pulumi.ResourceOptions(protect=True)
    group = resources.ResourceGroup(
        "bootstrap",
        resource_group_name=settings.names.resource_group,
        location=settings.location,
        tags=tags,
        opts=kept,
    )
    suffix = random.RandomString(
        "name-suffix", length=SUFFIX_LENGTH, special=False, upper=False, opts=kept
    )
    state = StateBackend(
        "state",
        StateBackendArgs(
            names=settings.names,
            suffix=suffix.result,
            location=settings.location,
            tags=tags,
            tenant_id=client.tenant_id,
            resource_group_name=group.name,
            stacks=tuple(stack.name for stack in settings.stacks),
        ),
    )
    context = BootstrapContext(
        settings=settings,
        tenant_id=client.tenant_id,
        resource_group_name=group.name,
        state=state,
        roles=PipelineRoles("roles", settings),
    )
    by_name = [(stack.name, stack) for stack in settings.stacks]
    stacks = {name: StackIdentities(name, context, stack) for name, stack in by_name}
    if settings.state_administrators:
        StateAdministrators("state-administrators", context)
    # What no pipeline's own YAML can loosen: docs/delivery/pipelines.md (GitHub, Azure DevOps).
    if settings.github is not None:
        identities = tuple(stacks.values())
        GitHubProtections(
            "github", GitHubProtectionsArgs(settings.github, settings.stacks, identities)
        )
    if settings.azure_devops is not None:
        AzureDevOpsChecks(
            "azure-devops", AzureDevOpsChecksArgs(settings.azure_devops, settings.stacks)
        )

    # What the pipelines are configured with: docs/delivery/pipelines.md.
    pulumi.export("tenantId", client.tenant_id)
    pulumi.export("stateStorageAccount", state.account.name)
    pulumi.export("stateKeyVault", state.vault.name)
    pulumi.export("stacks", {name: _stack_outputs(s, stacks[name], state) for name, s in by_name})
    if settings.github is not None:
        pulumi.export("githubEnvironments", _github_environments(settings, stacks, state))
    if settings.azure_devops is not None:
        pulumi.export("azureDevOpsVariables", _azure_devops_variables(settings, state))


def _stack_outputs(
    stack: config.StackAccess, identities: StackIdentities, state: StateBackend
) -> dict[str, Any]:
    """What a pipeline deploying, previewing or releasing to ``stack`` signs in with and logs in
    to; the release identity's principal ID is the stack's mlops:releasePipeline.principalId."""
    release = identities.release
    return {
        "subscriptionId": stack.subscription_id,
        "deployClientId": identities.deploy.client_id,
        "previewClientId": identities.preview.client_id if identities.preview else None,
        "releaseClientId": release.client_id if release else None,
        "releasePrincipalId": release.principal_id if release else None,
        "backendUrl": state.backend_url(stack.name),
        "secretsProvider": state.secrets_provider(stack.name),
    }


def _github_environments(
    settings: config.BootstrapSettings, stacks: dict[str, StackIdentities], state: StateBackend
) -> dict[str, dict[str, Any]]:
    """Per GitHub environment, the variables its jobs read (.github/workflows)."""
    environments: dict[str, dict[str, Any]] = {}
    for stack in settings.stacks:
        identities = stacks[stack.name]
        shared = {
            "AZURE_SUBSCRIPTION_ID": stack.subscription_id,
            "PULUMI_BACKEND_URL": state.backend_url(stack.name),
            "PULUMI_SECRETS_PROVIDER": state.secrets_provider(stack.name),
        }
        environments[stack.github_environment] = {
            "AZURE_CLIENT_ID": identities.deploy.client_id,
            **shared,
        }
        if identities.preview is not None:
            environments[stack.github_preview_environment] = {
                "AZURE_CLIENT_ID": identities.preview.client_id,
                **shared,
            }
        if identities.release is not None:  # deploy-model.yml: Azure ML alone, no state
            environments[stack.github_release_environment] = {
                "AZURE_CLIENT_ID": identities.release.client_id,
                "AZURE_SUBSCRIPTION_ID": stack.subscription_id,
            }
    return environments


def _azure_devops_variables(
    settings: config.BootstrapSettings, state: StateBackend
) -> dict[str, Any]:
    """The variable group's per-stack variables (.azure-pipelines/templates/pulumi-steps.yml)."""
    variables: dict[str, Any] = {}
    for stack in settings.stacks:
        suffix = stack.name.upper().replace("-", "_")
        variables[f"PULUMI_BACKEND_URL_{suffix}"] = state.backend_url(stack.name)
        variables[f"AZURE_SUBSCRIPTION_ID_{suffix}"] = stack.subscription_id
    return variables
