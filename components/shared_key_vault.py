"""The workspace's Key Vault: created for this stack, or an existing shared vault adopted."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import keyvault

from components.context import StackContext
from components.shared_stack import Adopted

# Days a deleted vault, or a deleted secret, key or certificate in it, can be recovered.
KEY_VAULT_SOFT_DELETE_RETENTION_DAYS = 90


@dataclass(frozen=True)
class SharedKeyVaultArgs:
    # With a managed network the workspace reaches the vault through a private endpoint, which
    # Azure ML creates only when the vault refuses public network access (trusted Azure
    # services still pass): https://learn.microsoft.com/azure/machine-learning/how-to-managed-network
    # With the team's network (customerManaged), through the stack's inbound private endpoint.
    deny_public_network: bool
    # A vault to adopt instead of creating one (named after the stack's names otherwise).
    existing: Adopted | None = None


class SharedKeyVault(pulumi.ComponentResource):
    """Exposes ``id``, ``name``, ``uri`` and ``subscription_id`` whether the vault is created or
    adopted; a created vault is locked against deletion in a protected stack."""

    def __init__(
        self,
        name: str,
        context: StackContext,
        args: SharedKeyVaultArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("mlops:keyvault:SharedKeyVault", name, None, opts)
        self.vault: keyvault.Vault | None = None
        self.lock = None
        if args.existing is not None:
            # Adopted, not managed: another stack or team owns its lifecycle (and its locks).
            self.id: pulumi.Output[str] = pulumi.Output.from_input(args.existing.id)
            self.name: pulumi.Output[str] = pulumi.Output.from_input(args.existing.name)
            self.subscription_id: pulumi.Input[str] = args.existing.subscription_id
        else:
            self.vault = keyvault.Vault(
                f"{name}-vault",
                vault_name=context.unique_name(context.names.key_vault),
                resource_group_name=context.resource_group_name,
                location=context.location,
                tags=context.tags,
                properties=keyvault.VaultPropertiesArgs(
                    tenant_id=context.tenant_id,
                    sku=keyvault.SkuArgs(family="A", name=keyvault.SkuName.STANDARD),
                    enable_rbac_authorization=True,
                    enable_soft_delete=True,
                    soft_delete_retention_in_days=KEY_VAULT_SOFT_DELETE_RETENTION_DAYS,
                    enable_purge_protection=True,
                    enabled_for_deployment=False,
                    enabled_for_disk_encryption=False,
                    enabled_for_template_deployment=False,
                    public_network_access="Disabled" if args.deny_public_network else "Enabled",
                    network_acls=keyvault.NetworkRuleSetArgs(
                        default_action="Deny" if args.deny_public_network else "Allow",
                        bypass="AzureServices",
                    ),
                ),
                opts=pulumi.ResourceOptions(parent=self, protect=context.protect),
            )
            self.id = self.vault.id
            self.name = self.vault.name
            self.subscription_id = context.subscription_id
            self.lock = context.lock(f"{name}-vault-lock", self.vault, parent=self)
        self.uri: pulumi.Output[str] = (
            self.vault.properties.apply(lambda p: p.vault_uri or "")
            if self.vault is not None
            # An adopted vault is not read (it may sit in another subscription); in Azure's
            # public cloud its URI follows from its name.
            else self.name.apply(lambda n: f"https://{n}.vault.azure.net/")
        )
        self.register_outputs({"id": self.id, "name": self.name, "uri": self.uri})
