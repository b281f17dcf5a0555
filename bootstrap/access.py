"""Who may do what: the custom roles, and per stack a deploy, a preview and a release identity.

- The deploy identity of a stack may deploy the main program into the stack's subscription
  (the deploy role, whose role assignment writes and deletes are limited by an ABAC condition to
  the roles the program grants and those Azure ML assigns on its behalf, each to the kinds of
  principal it may go to), assign on each of the stack's own shared scopes the roles its access
  there allows (read: the read-only datastores' roles alone) and on the shared model registry the
  registry's roles (with the same limit), read and write its own stack's state container, and
  encrypt and decrypt with its own stack's key (the state key user role: never change the key).
- A preview identity may read: Reader where the stack deploys, Storage Blob Data Reader on the
  stack's state container, decrypt with the stack's key (Pulumi decrypts the data key to open
  the stack). It can change neither Azure nor state, and only main's runs sign in as it (its
  federated credentials; ``pullRequestPreviews`` opens Azure DevOps pull requests to dev-like
  stacks).
- A release identity (every stack but shared) holds nothing from the bootstrap: the stack's own
  program grants it its roles (``mlops:releasePipeline``, the access matrix), in that stack alone.
- State administrators (Entra groups) may read and write every stack's state and encrypt and
  decrypt with every key: they create stacks and repair state.
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
    deploy_federations,
    preview_federations,
    release_federations,
)
from bootstrap.roles import (
    BLOB_DATA_CONTRIBUTOR,
    BLOB_DATA_READER,
    DEPLOY_ROLES,
    MODEL_REGISTRY_GRANTS,
    RBAC_ADMINISTRATOR,
    READ_SHARED_SCOPE_ROLES,
    READER,
    SHARED_SCOPE_ROLES,
    STATE_KEY_DECRYPT_DATA_ACTIONS,
    STATE_KEY_USE_DATA_ACTIONS,
    assignable,
    assignment_condition,
    deploy_actions,
    stable_guid,
)
from bootstrap.state import StateBackend
from settings.roles import BUILT_IN_ROLES

DEPLOY_ROLE = "mlops deploy"
STATE_KEY_READER_ROLE = "mlops state key reader"
STATE_KEY_USER_ROLE = "mlops state key user"
# What the deploy identity may assign on a shared scope, by the access the stack needs there.
SHARED_SCOPE_ROLES_BY_ACCESS = {"read": READ_SHARED_SCOPE_ROLES, "readWrite": SHARED_SCOPE_ROLES}


def _subscription(scope: str) -> str:
    return scope.split("/")[2]


class PipelineRoles(pulumi.ComponentResource):
    """The custom roles: one deploy role per stack, assignable only in that stack's
    subscription, and two for the state keys: decrypt only, and encrypt and decrypt."""

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
                    "manages, placing (never lifting) locks, reads, and role assignments "
                    "(constrained by a condition on each assignment of this role)"
                ),
                role_type="CustomRole",
                # No data actions: a role with Microsoft.Storage data actions cannot carry a
                # condition that compares GUIDs (learn.microsoft.com, "Delegate Azure access
                # management to others", known issues).
                permissions=[authorization.PermissionArgs(actions=list(deploy_actions()))],
                assignable_scopes=[stack.subscription_scope],
                opts=pulumi.ResourceOptions(parent=self),
            )
        self._state_key_guids: dict[str, str] = {}
        self.state_key_roles = {
            role: self._state_key_role(name, settings, role, description, data_actions)
            for role, description, data_actions in (
                (
                    STATE_KEY_READER_ROLE,
                    "Decrypts a stack's Pulumi data key: reads its secrets, encrypts none",
                    STATE_KEY_DECRYPT_DATA_ACTIONS,
                ),
                (
                    STATE_KEY_USER_ROLE,
                    "Encrypts and decrypts a stack's Pulumi data key; cannot change the key",
                    STATE_KEY_USE_DATA_ACTIONS,
                ),
            )
        }
        self.register_outputs({})

    def _state_key_role(
        self,
        name: str,
        settings: BootstrapSettings,
        role: str,
        description: str,
        data_actions: tuple[str, ...],
    ) -> authorization.RoleDefinition:
        # state-key-reader, state-key-user: the logical name and the GUID's label alike.
        kind = role.removeprefix("mlops ").replace(" ", "-")
        state_scope = f"/subscriptions/{settings.subscription_id}"
        guid = self._state_key_guids[role] = stable_guid(settings.assignment_seed, kind)
        return authorization.RoleDefinition(
            f"{name}-{kind}",
            role_definition_id=guid,
            scope=state_scope,
            role_name=f"{settings.prefix} {role}",
            description=description,
            role_type="CustomRole",
            permissions=[authorization.PermissionArgs(data_actions=list(data_actions))],
            assignable_scopes=[state_scope],
            opts=pulumi.ResourceOptions(parent=self),
        )

    def deploy_grant(self, stack: StackAccess) -> Grant:
        return Grant(
            role=DEPLOY_ROLE,
            role_guid=self._guids[stack.name],
            role_definition_id=self.deploy[stack.name].id,
            scope=stack.subscription_scope,
            scope_label=f"subscription-{stack.name}",
            condition=assignment_condition(assignable(DEPLOY_ROLES)),
        )

    def state_key_grant(self, role: str, scope: pulumi.Input[str], label: str) -> Grant:
        """``role``, one of the state key roles, on a stack's key or on the vault."""
        return Grant(
            role=role,
            role_guid=self._state_key_guids[role],
            role_definition_id=self.state_key_roles[role].id,
            scope=scope,
            scope_label=label,
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


def _model_registry(context: BootstrapContext, stack: StackAccess) -> tuple[str, ...]:
    return tuple(filter(None, (context.settings.model_registry_of(stack),)))


def deploy_grants(context: BootstrapContext, stack: StackAccess) -> tuple[Grant, ...]:
    registry = _model_registry(context, stack)
    return (
        context.roles.deploy_grant(stack),
        # Outside its subscription the program grants only what the matrix and mlops:access
        # give there (datastores, an adopted registry or vault), and on a scope the stack only
        # reads, only the read-only datastores' roles: role assignment management for those
        # roles alone.
        *(
            _assigning(shared.scope, "shared", SHARED_SCOPE_ROLES_BY_ACCESS[shared.access])
            for shared in stack.shared_scopes
        ),
        # On the shared model registry: the registry roles of the access matrix alone.
        *(_assigning(scope, "model-registry", MODEL_REGISTRY_GRANTS) for scope in registry),
        # The workspace's outbound private endpoints to those scopes are approved on creation.
        *(_approving(shared.scope, "shared") for shared in stack.shared_scopes),
        *(_approving(scope, "model-registry") for scope in registry),
        context.state_grant(
            "Storage Blob Data Contributor",
            BLOB_DATA_CONTRIBUTOR,
            context.state.containers[stack.name].id,
            f"container-{stack.name}",
        ),
        context.roles.state_key_grant(
            STATE_KEY_USER_ROLE, context.state.keys[stack.name].id, f"key-{stack.name}"
        ),
    )


def read_grants(context: BootstrapContext, stack: StackAccess) -> tuple[Grant, ...]:
    """What previewing a stack takes, and no write anywhere."""
    key = context.state.keys[stack.name].id
    decrypt = context.roles.state_key_grant(STATE_KEY_READER_ROLE, key, f"key-{stack.name}")
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
                *(shared.scope for shared in stack.shared_scopes),
                *_model_registry(context, stack),
            )
        ),
        # Secrets stay ciphertext in the checkpoint: without the key it reveals none.
        context.state_grant(
            "Storage Blob Data Reader",
            BLOB_DATA_READER,
            context.state.containers[stack.name].id,
            f"container-{stack.name}",
        ),
        decrypt,
    )


class StackIdentities(pulumi.ComponentResource):
    """One stack's deploy identity; with GitHub or an Azure DevOps preview connection, its
    preview identity; and but for shared, its release identity. Who may sign in as each:
    ``bootstrap.identities`` (deploy_federations, preview_federations, release_federations)."""

    def __init__(
        self,
        name: str,
        context: BootstrapContext,
        stack: StackAccess,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("mlops-bootstrap:access:StackIdentities", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.deploy = context.identity(
            f"{name}-deploy",
            f"deploy-{stack.name}",
            deploy_federations(context.settings, context.tenant_id, stack),
            deploy_grants(context, stack),
            child,
        )
        preview = preview_federations(context.settings, context.tenant_id, stack)
        self.preview: PipelineIdentity | None = None
        if preview:
            self.preview = context.identity(
                f"{name}-preview",
                f"preview-{stack.name}",
                preview,
                read_grants(context, stack),
                child,
            )
        # No role from here: the stack's own program grants it its roles, in that stack alone,
        # so approving a release of one stack signs in to no other.
        release = release_federations(context.settings, context.tenant_id, stack)
        self.release: PipelineIdentity | None = None
        if stack.releases and release:
            self.release = context.identity(
                f"{name}-release", f"release-{stack.name}", release, (), child
            )
        self.register_outputs({})


class StateAdministrators(pulumi.ComponentResource):
    """Entra groups that create the stacks (``pulumi stack init`` encrypts a new data key) and
    repair state: every container, and the state key user role on the whole vault."""

    def __init__(
        self, name: str, context: BootstrapContext, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops-bootstrap:access:StateAdministrators", name, None, opts)
        state = context.state
        grants = (
            context.state_grant(
                "Storage Blob Data Contributor", BLOB_DATA_CONTRIBUTOR, state.account.id, "account"
            ),
            context.roles.state_key_grant(STATE_KEY_USER_ROLE, state.vault.id, "vault"),
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
