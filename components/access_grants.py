"""The role assignments listed in ``mlops:access``: people, groups and pipelines, from config.

Those grants were reviewed with the stack's config. They sit apart from every other role
assignment (those go to workload identities) so that the policy pack can tell them by their
parent's type, ``mlops:access:AccessGrants``, and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization

from components.context import StackContext
from settings.schema import AccessGrant


@dataclass(frozen=True)
class AccessGrantsArgs:
    grants: tuple[AccessGrant, ...]
    # What a grant's scope names (the resource group comes from the context).
    workspace_id: pulumi.Input[str]
    storage_account_id: pulumi.Input[str]
    key_vault_id: pulumi.Input[str]
    # None without a registry; settings refuse registry grants then.
    registry_id: pulumi.Input[str] | None
    # The component the grants were children of before they had their own (WorkspaceStack):
    # aliased, so moving them here keeps their state and replaces nothing.
    previous_parent: pulumi.Resource | None = None


class AccessGrants(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        context: StackContext,
        args: AccessGrantsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("mlops:access:AccessGrants", name, None, opts)
        scopes: dict[str, pulumi.Input[str] | None] = {
            "workspace": args.workspace_id,
            "resourceGroup": context.resource_group_id,
            "storage": args.storage_account_id,
            "keyVault": args.key_vault_id,
            "registry": args.registry_id,
        }
        aliases = (
            [] if args.previous_parent is None else [pulumi.Alias(parent=args.previous_parent)]
        )
        self.assignments: list[authorization.RoleAssignment] = []
        for grant in args.grants:
            scope = scopes[grant.scope]
            assert scope is not None, "settings refuse registry grants without a registry"
            self.assignments.append(
                context.grant(
                    f"{name}-{grant.scope}-{grant.principal_id}-{grant.role_guid[:8]}",
                    role=grant.role,
                    scope=scope,
                    scope_label=grant.scope,
                    principal_id=grant.principal_id,
                    principal_label=grant.principal_id,
                    principal_type=grant.principal_type,
                    parent=self,
                    description=f"mlops:access {grant.role} on the {grant.scope}",
                    aliases=aliases,
                )
            )
        self.register_outputs({})
