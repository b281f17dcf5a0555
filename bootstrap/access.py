"""Who may do what: the custom roles, and per stack a deploy identity and a preview identity.

- The deploy identity of a stack may deploy the main program into the stack's subscription
  (the deploy role, whose role assignment writes and deletes are limited by an ABAC condition to
  the roles the program grants and those Azure ML assigns on its behalf, each to the kinds of
  principal it may go to), assign the roles the program grants outside its subscription on the
  stack's shared scopes and the shared model registry (with the same limit), read and write its
  own stack's state container, and encrypt and decrypt with its own stack's key.
- A preview identity may read: Reader where the stack deploys, Storage Blob Data Reader on the
  stack's state container, decrypt with the stack's key. It can change neither Azure nor state.
- State administrators (Entra groups) may read and write every stack's state and encrypt with
  every key: they create stacks and repair state.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization

from bootstrap.config import BootstrapSettings, StackAccess
from bootstrap.grants import Grant, Principal, assign, built_in, scope_label
from bootstrap.identities import (
    Federation,
    PipelineIdentity,
    PipelineIdentityArgs,
    azure_devops_connection,
    github_environment,
)
from bootstrap.roles import (
    BLOB_DATA_CONTRIBUTOR,
    BLOB_DATA_READER,
    DEPLOY_ROLES,
    KEY_VAULT_CRYPTO_USER,
    MODEL_REGISTRY_GRANTS,
    RBAC_ADMINISTRATOR,
    READER,
    SHARED_SCOPE_ROLES,
    STATE_KEY_DECRYPT_DATA_ACTIONS,
    assignable,
    assignment_condition,
    deploy_actions,
    stable_guid,
)
from bootstrap.state import StateBackend
from settings.roles import BUILT_IN_ROLES

DEPLOY_ROLE = "mlops deploy"
STATE_KEY_READER_ROLE = "mlops state key reader"


def _subscription(scope: str) -> str:
    return scope.split("/")[2]


class PipelineRoles(pulumi.ComponentResource):
    """The custom roles: one deploy role per stack, assignable only in that stack's
    subscription, and one decrypt-only role for the state keys."""

    def __init__(
        self, name: str, settings: BootstrapSettings, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops-bootstrap:access:PipelineRoles", name, None, opts)
        seed = settings.assignment_seed
        self._guids: dict[str, str] = {}
        self.deploy: dict[str, authorization.RoleDefinition] = {}
        for stack in settings.stacks:
            guid = self._guids[stack.name] = stable_guid(seed, "deploy-role", stack.name)
            self.deploy[stack.name] = authorization.RoleDefinition(
                f"{name}-deploy-{stack.name}",
                role_definition_id=guid,
                scope=stack.subscription_scope,
                role_name=f"{settings.prefix} {DEPLOY_ROLE} ({stack.name})",
                description=(
                    f"Deploys the mlops stack {stack.name}: the resource types the program "
                    "manages, locks, reads, and role assignments (constrained by a condition "
                    "on each assignment of this role)"
                ),
                role_type="CustomRole",
                # No data actions: a role with Microsoft.Storage data actions cannot carry a
                # condition that compares GUIDs (learn.microsoft.com, "Delegate Azure access
                # management to others", known issues).
                permissions=[authorization.PermissionArgs(actions=list(deploy_actions()))],
                assignable_scopes=[stack.subscription_scope],
                opts=pulumi.ResourceOptions(parent=self),
            )
        state_scope = f"/subscriptions/{settings.subscription_id}"
        self._key_reader_guid = stable_guid(seed, "state-key-reader")
        self.state_key_reader = authorization.RoleDefinition(
            f"{name}-state-key-reader",
            role_definition_id=self._key_reader_guid,
            scope=state_scope,
            role_name=f"{settings.prefix} {STATE_KEY_READER_ROLE}",
            description="Decrypts a stack's Pulumi data key: reads its secrets, encrypts none",
            role_type="CustomRole",
            permissions=[
                authorization.PermissionArgs(data_actions=list(STATE_KEY_DECRYPT_DATA_ACTIONS))
            ],
            assignable_scopes=[state_scope],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})

    def deploy_grant(self, stack: StackAccess) -> Grant:
        return Grant(
            role=DEPLOY_ROLE,
            role_guid=self._guids[stack.name],
            role_definition_id=self.deploy[stack.name].id,
            scope=stack.subscription_scope,
            scope_label=f"subscription-{stack.name}",
            condition=assignment_condition(assignable(DEPLOY_ROLES)),
        )

    def state_key_reader_grant(self, stack: str, key_id: pulumi.Input[str]) -> Grant:
        return Grant(
            role=STATE_KEY_READER_ROLE,
            role_guid=self._key_reader_guid,
            role_definition_id=self.state_key_reader.id,
            scope=key_id,
            scope_label=f"key-{stack}",
        )


@dataclass(frozen=True)
class BootstrapContext:
    """What every identity shares, built once in ``__main__.py``."""

    settings: BootstrapSettings
    tenant_id: pulumi.Input[str]
    resource_group_name: pulumi.Input[str]
    state: StateBackend
    roles: PipelineRoles

    def identity(
        self,
        name: str,
        purpose: str,
        federations: tuple[Federation, ...],
        grants: tuple[Grant, ...],
        opts: pulumi.ResourceOptions | None = None,
    ) -> PipelineIdentity:
        """A pipeline identity named ``id-<prefix>-mlops-<purpose>``."""
        settings = self.settings
        return PipelineIdentity(
            name,
            PipelineIdentityArgs(
                identity_name=settings.names.identity(purpose),
                resource_group_name=self.resource_group_name,
                location=settings.location,
                tags=settings.all_tags,
                federations=federations,
                grants=grants,
                seed=settings.assignment_seed,
            ),
            opts,
        )

    def state_grant(self, role: str, role_guid: str, scope: pulumi.Input[str], label: str) -> Grant:
        """A built-in role on the state account's container or key."""
        return built_in(
            role,
            role_guid,
            subscription_id=self.settings.subscription_id,
            scope=scope,
            scope_label=label,
        )


def _assigning(scope: str, label: str, roles: tuple[str, ...]) -> Grant:
    """Role assignment management on a scope outside the stack's own, for ``roles`` alone, each
    to the kinds of principal it may go to."""
    return built_in(
        "Role Based Access Control Administrator",
        RBAC_ADMINISTRATOR,
        subscription_id=_subscription(scope),
        scope=scope,
        scope_label=scope_label(label, scope),
        condition=assignment_condition(assignable(roles)),
    )


def _approving(scope: str, label: str) -> Grant:
    """Approval of private endpoint connections on a scope outside the stack's own: "the user
    identity that initiates the creation of the private endpoint" needs it as well as the
    workspace identity (how-to-managed-network, Prerequisites), and the deploy identity creates
    the workspace's outbound rules."""
    return built_in(
        "Azure AI Enterprise Network Connection Approver",
        BUILT_IN_ROLES["Azure AI Enterprise Network Connection Approver"],
        subscription_id=_subscription(scope),
        scope=scope,
        scope_label=scope_label(f"{label}-approver", scope),
    )


def deploy_grants(context: BootstrapContext, stack: StackAccess) -> tuple[Grant, ...]:
    outside = (
        *((scope, "shared") for scope in context.settings.shared_scopes_of(stack)),
        *(
            (registry, "model-registry")
            for registry in filter(None, (context.settings.model_registry_of(stack),))
        ),
    )
    return (
        context.roles.deploy_grant(stack),
        # Outside its subscription the program grants only what the matrix and mlops:access
        # give there (datastores, an adopted registry or vault): role assignment management for
        # those roles alone.
        *(
            _assigning(scope, "shared", SHARED_SCOPE_ROLES)
            for scope in context.settings.shared_scopes_of(stack)
        ),
        # On the shared model registry: the registry roles of the access matrix alone.
        *(
            _assigning(registry, "model-registry", MODEL_REGISTRY_GRANTS)
            for registry in filter(None, (context.settings.model_registry_of(stack),))
        ),
        # The workspace's outbound private endpoints to those scopes are approved on creation.
        *(_approving(scope, label) for scope, label in outside),
        context.state_grant(
            "Storage Blob Data Contributor",
            BLOB_DATA_CONTRIBUTOR,
            context.state.containers[stack.name].id,
            f"container-{stack.name}",
        ),
        context.state_grant(
            "Key Vault Crypto User",
            KEY_VAULT_CRYPTO_USER,
            context.state.keys[stack.name].id,
            f"key-{stack.name}",
        ),
    )


def read_grants(context: BootstrapContext, stack: StackAccess) -> tuple[Grant, ...]:
    """What previewing a stack takes, and no write anywhere."""
    return (
        built_in(
            "Reader",
            READER,
            subscription_id=stack.subscription_id,
            scope=stack.subscription_scope,
            scope_label=f"subscription-{stack.name}",
        ),
        *(
            built_in(
                "Reader",
                READER,
                subscription_id=_subscription(scope),
                scope=scope,
                scope_label=scope_label("shared", scope),
            )
            for scope in (
                *context.settings.shared_scopes_of(stack),
                *filter(None, (context.settings.model_registry_of(stack),)),
            )
        ),
        context.state_grant(
            "Storage Blob Data Reader",
            BLOB_DATA_READER,
            context.state.containers[stack.name].id,
            f"container-{stack.name}",
        ),
        context.roles.state_key_reader_grant(stack.name, context.state.keys[stack.name].id),
    )


def _deploy_federations(context: BootstrapContext, stack: StackAccess) -> tuple[Federation, ...]:
    """The stack's GitHub environment and its Azure DevOps service connection, as configured."""
    github, devops = context.settings.github, context.settings.azure_devops
    found: list[Federation] = []
    if github is not None:
        found.append(github_environment(github.repository, stack.github_environment))
    if devops is not None and stack.azure_devops_connection_id is not None:
        connection = stack.azure_devops_connection_id
        found.append(azure_devops_connection(devops, context.tenant_id, connection))
    return tuple(found)


class StackIdentities(pulumi.ComponentResource):
    """One stack's deploy identity and, with GitHub, its preview identity."""

    def __init__(
        self,
        name: str,
        context: BootstrapContext,
        stack: StackAccess,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("mlops-bootstrap:access:StackIdentities", name, None, opts)
        settings = context.settings
        child = pulumi.ResourceOptions(parent=self)
        github = settings.github
        self.deploy = context.identity(
            f"{name}-deploy",
            f"deploy-{stack.name}",
            _deploy_federations(context, stack),
            deploy_grants(context, stack),
            child,
        )
        # Azure DevOps previews every stack with one connection (see azure_devops_preview).
        self.preview: PipelineIdentity | None = None
        if github is not None:
            self.preview = context.identity(
                f"{name}-preview",
                f"preview-{stack.name}",
                (github_environment(github.repository, stack.github_preview_environment),),
                read_grants(context, stack),
                child,
            )
        self.register_outputs({})


def azure_devops_preview(context: BootstrapContext) -> PipelineIdentity | None:
    """The identity of the Azure DevOps preview connection, which previews every stack: it
    reads each one, and writes none."""
    devops = context.settings.azure_devops
    if devops is None or devops.preview_connection_id is None:
        return None
    return context.identity(
        "preview-azure-devops",
        "preview-azure-devops",
        (azure_devops_connection(devops, context.tenant_id, devops.preview_connection_id),),
        tuple(g for stack in context.settings.stacks for g in read_grants(context, stack)),
    )


class StateAdministrators(pulumi.ComponentResource):
    """Entra groups that create the stacks (``pulumi stack init`` encrypts a new data key) and
    repair state: every container and every key."""

    def __init__(
        self, name: str, context: BootstrapContext, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops-bootstrap:access:StateAdministrators", name, None, opts)
        state = context.state
        grants = (
            context.state_grant(
                "Storage Blob Data Contributor", BLOB_DATA_CONTRIBUTOR, state.account.id, "account"
            ),
            context.state_grant(
                "Key Vault Crypto User", KEY_VAULT_CRYPTO_USER, state.vault.id, "vault"
            ),
        )
        seed = context.settings.assignment_seed
        self.role_assignments = [
            assign(
                f"{name}-{group}", seed, Principal(group, f"group-{group}", "Group"), grant, self
            )
            for group in context.settings.state_administrators
            for grant in grants
        ]
        self.register_outputs({})
