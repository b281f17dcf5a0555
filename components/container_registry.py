"""A created container registry: one environment's (inside ``WorkspaceStack``) or the shared one
(the shared stack's ``SharedContainerRegistry``, which dev, qa and prod adopt with
``mlops:containerRegistry.existingId``). Both come from ``create_container_registry``."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization, containerregistry

from components.context import StackContext
from components.encryption import CustomerManagedKey


@dataclass(frozen=True)
class ContainerRegistryArgs:
    # Basic, Standard or Premium: only Premium has private endpoints, network rules and zone
    # redundancy (settings require Premium wherever a registry must be private).
    sku: str
    # Refuse public network access (a Premium registry only): clients and managed networks then
    # reach it through private endpoints.
    private: bool
    # Survive the loss of an availability zone (Premium only; chosen at creation only).
    zone_redundant: bool
    # Encrypt with this customer-managed key (Premium; chosen at creation, never removed).
    customer_key: CustomerManagedKey | None = None


def create_container_registry(
    name: str, context: StackContext, args: ContainerRegistryArgs, *, parent: pulumi.Resource
) -> tuple[containerregistry.Registry, authorization.ManagementLockByScope | None]:
    """The registry ``{name}-registry`` (admin user and anonymous pull off, trusted Azure services
    pass its network rules), protected and locked in a protected stack, as a child of
    ``parent``; and its lock."""
    premium = args.sku == "Premium"
    key = args.customer_key
    registry = containerregistry.Registry(
        f"{name}-registry",
        registry_name=context.unique_name(context.names.container_registry),
        resource_group_name=context.resource_group_name,
        location=context.location,
        sku=containerregistry.SkuArgs(name=args.sku),
        admin_user_enabled=False,
        anonymous_pull_enabled=False,
        public_network_access=(
            containerregistry.PublicNetworkAccess.DISABLED
            if args.private and premium
            else containerregistry.PublicNetworkAccess.ENABLED
        ),
        network_rule_bypass_options=containerregistry.NetworkRuleBypassOptions.AZURE_SERVICES,
        zone_redundancy=(
            containerregistry.ZoneRedundancy.ENABLED
            if premium and args.zone_redundant
            else containerregistry.ZoneRedundancy.DISABLED
        ),
        # A customer-managed key only at creation, through a user-assigned identity, never
        # disabled; the key without a version, which the registry follows as it rotates:
        # https://learn.microsoft.com/azure/container-registry/container-registry-customer-managed-keys
        identity=(
            containerregistry.IdentityPropertiesArgs(
                type=containerregistry.ResourceIdentityType.USER_ASSIGNED,
                user_assigned_identities=pulumi.Output.from_input(key.identity_id).apply(
                    lambda identity: {identity: containerregistry.UserIdentityPropertiesArgs()}
                ),
            )
            if key is not None
            else None
        ),
        encryption=(
            containerregistry.EncryptionPropertyArgs(
                status=containerregistry.EncryptionStatus.ENABLED,
                key_vault_properties=containerregistry.KeyVaultPropertiesArgs(
                    identity=key.identity_client_id, key_identifier=key.key_id
                ),
            )
            if key is not None
            else None
        ),
        tags=context.tags,
        # Zone redundancy is chosen when a registry is created and Azure cannot change it
        # later: an existing registry must never be replaced for it.
        opts=pulumi.ResourceOptions(
            parent=parent,
            protect=context.protect,
            ignore_changes=["zoneRedundancy"],
            depends_on=list(key.ready) if key is not None else None,
        ),
    )
    return registry, context.lock(f"{name}-registry-lock", registry, parent=parent)


class SharedContainerRegistry(pulumi.ComponentResource):
    """The shared stack's container registry, which dev, qa and prod adopt (their
    ``mlops:containerRegistry.existingId``). Exposes ``id`` and ``login_server``."""

    def __init__(
        self,
        name: str,
        context: StackContext,
        args: ContainerRegistryArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("mlops:registry:SharedContainerRegistry", name, None, opts)
        self.registry, self.lock = create_container_registry(name, context, args, parent=self)
        self.id: pulumi.Output[str] = self.registry.id
        self.login_server: pulumi.Output[str] = self.registry.login_server
        self.register_outputs({"id": self.id, "loginServer": self.login_server})
