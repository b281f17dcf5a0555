"""Role grants: what role on what scope, and the one function that assigns one.

Assignment names are GUIDs derived from the bootstrap's seed, the principal, the scope and the
role, so a re-run never creates a second assignment; logical names are derived from the same
labels, so adding or removing a grant never renames another.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization

from bootstrap.roles import CONDITION_VERSION, for_principal, stable_guid


@dataclass(frozen=True)
class Grant:
    """One role on one scope, optionally with an ABAC condition."""

    role: str  # the role's name, for descriptions and logical names
    role_guid: str
    role_definition_id: pulumi.Input[str]
    scope: pulumi.Input[str]
    # Names the scope in assignment names: stable however the grants list changes.
    scope_label: str
    condition: str | None = None

    @property
    def slug(self) -> str:
        return f"{self.role.lower().replace(' ', '-')}-{self.scope_label}"


def built_in(
    role: str,
    role_guid: str,
    *,
    subscription_id: pulumi.Input[str],
    scope: pulumi.Input[str],
    scope_label: str,
    condition: str | None = None,
) -> Grant:
    """A built-in role, addressed in the subscription that holds ``scope``."""
    return Grant(
        role=role,
        role_guid=role_guid,
        role_definition_id=pulumi.Output.concat(
            "/subscriptions/",
            subscription_id,
            "/providers/Microsoft.Authorization/roleDefinitions/",
            role_guid,
        ),
        scope=scope,
        scope_label=scope_label,
        condition=condition,
    )


def scope_label(kind: str, resource_id: str) -> str:
    """A short label for a scope given by ID in config: the same ID, the same label."""
    return f"{kind}-{hashlib.sha256(resource_id.lower().encode()).hexdigest()[:10]}"


@dataclass(frozen=True)
class Principal:
    principal_id: pulumi.Input[str]
    label: str  # names the principal in assignment names, e.g. deploy-dev
    principal_type: str = "ServicePrincipal"


def assign(
    name: str, seed: str, principal: Principal, grant: Grant, parent: pulumi.Resource
) -> authorization.RoleAssignment:
    """Assign ``grant`` to ``principal`` as a child of ``parent``."""
    return authorization.RoleAssignment(
        f"{name}-{grant.slug}",
        role_assignment_name=stable_guid(
            seed, "assignment", grant.scope_label, principal.label, grant.role_guid
        ),
        scope=grant.scope,
        principal_id=principal.principal_id,
        # Stated, so Azure does not look up a just-created identity the directory may not
        # have replicated yet.
        principal_type=principal.principal_type,
        role_definition_id=grant.role_definition_id,
        description=f"{grant.role} for {principal.label} (mlops bootstrap)",
        condition=(
            pulumi.Output.from_input(principal.principal_id).apply(
                lambda principal_id: for_principal(condition, principal_id)
            )
            if (condition := grant.condition)
            else None
        ),
        condition_version=CONDITION_VERSION if grant.condition else None,
        opts=pulumi.ResourceOptions(parent=parent),
    )
