"""What every component of one stack shares, built once in ``__main__.py``.

``StackContext`` carries where the stack lives (subscription, tenant, resource group, region),
how its resources are tagged and named, whether data-bearing resources are protected, and the
seed that makes its role assignment names its own. ``StackContext.grant`` is the one way a
component creates a role assignment (components call it through components/access.py, the
access matrix); ``StackContext.lock`` the one way it locks a resource against deletion.

``WorkspacePlacement`` adds what resources created inside the workspace (compute, endpoints)
share; the workspace stack exposes one once the workspace exists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization

from components.roles import assignment_guid, role_definition_id
from settings.names import Names
from settings.roles import BUILT_IN_ROLES

# The one name of every delete lock the program places; docs/operations/data-safety.md uses it.
LOCK_NAME = "mlops-do-not-delete"


@dataclass(frozen=True)
class StackContext:
    location: str
    tags: Mapping[str, str]
    tenant_id: pulumi.Input[str]
    # The subscription the stack deploys into (the deployment identity's).
    subscription_id: pulumi.Input[str]
    resource_group_name: pulumi.Input[str]
    resource_group_id: pulumi.Input[str]
    names: Names
    # The stack's pulumi-random suffix, kept in state, for names that must be unique.
    name_suffix: pulumi.Output[str]
    # What makes this stack's role assignment names its own (see components.roles).
    assignment_seed: str
    # Data-bearing resources are protected against deletion by Pulumi, and locked in Azure.
    protect: bool

    def unique_name(self, namer: Callable[[str], str]) -> pulumi.Output[str]:
        """A physical name that takes the stack's suffix, e.g. ``unique_name(names.workspace)``."""
        return self.name_suffix.apply(namer)

    def regional_name(self, name: str) -> pulumi.Output[str]:
        """Compute instance and endpoint names: unique per Azure region thanks to the suffix."""
        return self.name_suffix.apply(lambda suffix: Names.regional(name, suffix))

    def lock(
        self, resource_name: str, resource: pulumi.CustomResource, *, parent: pulumi.Resource
    ) -> authorization.ManagementLockByScope | None:
        """In a protected stack, a CanNotDelete lock on ``resource`` itself, so that neither a
        click in the portal nor a script deletes it with its data.

        On the resource, not its resource group: a group lock would stop Azure ML compute
        clusters from scaling in and block removing any role assignment in the group.
        https://learn.microsoft.com/azure/azure-resource-manager/management/lock-resources#considerations-before-applying-your-locks
        """
        if not self.protect:
            return None
        return authorization.ManagementLockByScope(
            resource_name,
            lock_name=LOCK_NAME,
            scope=resource.id,
            level=authorization.LockLevel.CAN_NOT_DELETE,
            notes="Holds an Azure ML environment's data. Remove deliberately, see the README.",
            opts=pulumi.ResourceOptions(parent=parent, protect=True),
        )

    def grant(
        self,
        resource_name: str,
        *,
        role: str,
        scope: pulumi.Input[str],
        scope_label: str,
        principal_id: pulumi.Input[str],
        principal_label: str,
        principal_type: str,
        parent: pulumi.Resource,
        description: str,
        subscription_id: pulumi.Input[str] | None = None,
        aliases: Sequence[pulumi.Alias] = (),
    ) -> authorization.RoleAssignment:
        """Grant the built-in ``role`` (by name) on ``scope`` to one principal.

        The assignment's name is a GUID derived from this stack's seed, the labels and the role,
        so a re-run never creates a second assignment. The role definition is addressed in
        ``subscription_id``, the subscription that holds the scope: this stack's by default.
        """
        role_guid = BUILT_IN_ROLES[role]
        return authorization.RoleAssignment(
            resource_name,
            role_assignment_name=assignment_guid(
                self.assignment_seed, scope_label, principal_label, role_guid
            ),
            scope=scope,
            principal_id=principal_id,
            principal_type=principal_type,
            role_definition_id=role_definition_id(
                self.subscription_id if subscription_id is None else subscription_id, role_guid
            ),
            description=description,
            opts=pulumi.ResourceOptions(parent=parent, aliases=list(aliases) or None),
        )


@dataclass(frozen=True)
class WorkspacePlacement:
    """The workspace that compute and endpoints are created in, and its network mode."""

    workspace_name: pulumi.Input[str]
    # Nodes need no public IP when the workspace's managed network carries their traffic.
    managed_network: bool
    # The team's subnet every compute's nodes join (mlops:network.computeSubnetId, with
    # isolation customerManaged), with no public IP either; None elsewhere.
    compute_subnet: str | None = None
