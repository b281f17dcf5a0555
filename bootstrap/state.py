"""Where the main program's stacks keep their state and encrypt their secrets.

One storage account holds one container per stack, so each identity can be granted its own
stack's state and nothing else; one Key Vault holds one key per stack for Pulumi's
``azurekeyvault://`` secrets provider, for the same reason. Everything is Entra-only and
protected: losing it loses every stack's record of what it deployed. Both send their audit logs
to a Log Analytics workspace beside them: who read or wrote which state, who decrypted with
which key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import pulumi
from pulumi_azure_native import keyvault, monitor, operationalinsights, storage

from bootstrap.config import BootstrapNames

# Days a deleted or overwritten state file (blob versions too), a deleted container, or a
# deleted vault or key can be recovered.
STATE_RETENTION_DAYS: Final = 30
KEY_VAULT_RETENTION_DAYS: Final = 90
KEY_SIZE: Final = 3072
# Days the state's and the keys' audit logs are kept: a year of who read and who decrypted.
# https://learn.microsoft.com/azure/azure-monitor/logs/data-retention-configure
LOG_RETENTION_DAYS: Final = 365
# Every read, write and delete of a state blob, with the caller's identity.
# https://learn.microsoft.com/azure/azure-monitor/reference/supported-logs/microsoft-storage-storageaccounts-blobservices-logs
STATE_LOG_CATEGORIES: Final = ("StorageRead", "StorageWrite", "StorageDelete")
# Every Key Vault request, decrypt operations on the keys included, with the caller's identity.
# https://learn.microsoft.com/azure/key-vault/general/logging
KEY_LOG_CATEGORIES: Final = ("AuditEvent",)


@dataclass(frozen=True)
class StateBackendArgs:
    names: BootstrapNames
    # The bootstrap's pulumi-random suffix, for the globally unique names.
    suffix: pulumi.Output[str]
    location: str
    tags: Mapping[str, str]
    tenant_id: pulumi.Input[str]
    resource_group_name: pulumi.Input[str]
    stacks: tuple[str, ...]


class StateBackend(pulumi.ComponentResource):
    """Exposes per stack its ``containers``, ``keys``, backend URL and secrets provider URL."""

    def __init__(
        self, name: str, args: StateBackendArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops-bootstrap:state:StateBackend", name, None, opts)
        kept = pulumi.ResourceOptions(parent=self, protect=True)
        group = args.resource_group_name

        self.account = storage.StorageAccount(
            f"{name}-storage",
            account_name=args.suffix.apply(args.names.storage_account),
            resource_group_name=group,
            location=args.location,
            kind=storage.Kind.STORAGE_V2,
            sku=storage.SkuArgs(name=storage.SkuName.STANDARD_ZRS),
            access_tier=storage.AccessTier.HOT,
            minimum_tls_version=storage.MinimumTlsVersion.TLS1_2,
            enable_https_traffic_only=True,
            allow_blob_public_access=False,
            # Entra ID only: no account key or SAS can read or write any stack's state.
            allow_shared_key_access=False,
            default_to_o_auth_authentication=True,
            allow_cross_tenant_replication=False,
            encryption=storage.EncryptionArgs(
                key_source=storage.KeySource.MICROSOFT_STORAGE,
                require_infrastructure_encryption=True,
                services=storage.EncryptionServicesArgs(
                    blob=storage.EncryptionServiceArgs(enabled=True, key_type="Account"),
                ),
            ),
            # Hosted CI runners have no fixed addresses: access is by Entra role, not network.
            public_network_access=storage.PublicNetworkAccess.ENABLED,
            tags=args.tags,
            opts=kept,
        )
        retention = storage.DeleteRetentionPolicyArgs(enabled=True, days=STATE_RETENTION_DAYS)
        self.blob_service = storage.BlobServiceProperties(
            f"{name}-blob-service",
            account_name=self.account.name,
            resource_group_name=group,
            blob_services_name="default",
            # Every checkpoint Pulumi overwrites stays recoverable as a version.
            is_versioning_enabled=True,
            delete_retention_policy=retention,
            container_delete_retention_policy=retention,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.containers: dict[str, storage.BlobContainer] = {
            stack: storage.BlobContainer(
                f"{name}-container-{stack}",
                container_name=args.names.container(stack),
                account_name=self.account.name,
                resource_group_name=group,
                public_access=storage.PublicAccess.NONE,
                opts=pulumi.ResourceOptions(
                    parent=self, protect=True, depends_on=[self.blob_service]
                ),
            )
            for stack in args.stacks
        }

        self.vault = keyvault.Vault(
            f"{name}-vault",
            vault_name=args.suffix.apply(args.names.key_vault),
            resource_group_name=group,
            location=args.location,
            tags=args.tags,
            properties=keyvault.VaultPropertiesArgs(
                tenant_id=args.tenant_id,
                sku=keyvault.SkuArgs(family="A", name=keyvault.SkuName.STANDARD),
                # Azure RBAC, so a role can be granted on one key.
                enable_rbac_authorization=True,
                enable_soft_delete=True,
                soft_delete_retention_in_days=KEY_VAULT_RETENTION_DAYS,
                enable_purge_protection=True,
                enabled_for_deployment=False,
                enabled_for_disk_encryption=False,
                enabled_for_template_deployment=False,
                # As for the storage account: hosted runners have no fixed addresses.
                public_network_access="Enabled",
                network_acls=keyvault.NetworkRuleSetArgs(
                    default_action="Allow", bypass="AzureServices"
                ),
            ),
            opts=kept,
        )
        self.keys: dict[str, keyvault.Key] = {
            stack: keyvault.Key(
                f"{name}-key-{stack}",
                key_name=args.names.key(stack),
                vault_name=self.vault.name,
                resource_group_name=group,
                # No rotation policy: the azurekeyvault:// URL names the key, not a version,
                # and a new version could not decrypt the data keys the old one encrypted.
                properties=keyvault.KeyPropertiesArgs(
                    kty=keyvault.JsonWebKeyType.RSA,
                    key_size=KEY_SIZE,
                    key_ops=[
                        keyvault.JsonWebKeyOperation.ENCRYPT,
                        keyvault.JsonWebKeyOperation.DECRYPT,
                    ],
                ),
                tags=args.tags,
                opts=kept,
            )
            for stack in args.stacks
        }

        self.logs = operationalinsights.Workspace(
            f"{name}-logs",
            workspace_name=args.names.log_analytics,
            resource_group_name=group,
            location=args.location,
            sku=operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
            retention_in_days=LOG_RETENTION_DAYS,
            tags=args.tags,
            opts=kept,
        )
        self.diagnostics = [
            monitor.DiagnosticSetting(
                f"{name}-{label}-diagnostics",
                name="audit-to-log-analytics",
                resource_uri=resource_uri,
                workspace_id=self.logs.id,
                # Resource-specific tables (StorageBlobLogs, AZKVAuditLogs).
                log_analytics_destination_type="Dedicated",
                logs=[
                    monitor.DiagnosticsLogSettingsArgs(category=category, enabled=True)
                    for category in categories
                ],
                opts=pulumi.ResourceOptions(parent=self),
            )
            for label, resource_uri, categories in (
                ("blob", self.blob_service.id, STATE_LOG_CATEGORIES),
                ("vault", self.vault.id, KEY_LOG_CATEGORIES),
            )
        ]
        self.register_outputs(
            {
                "storageAccountName": self.account.name,
                "keyVaultName": self.vault.name,
                "logAnalyticsWorkspaceId": self.logs.id,
            }
        )

    def backend_url(self, stack: str) -> pulumi.Output[str]:
        """What ``pulumi login`` takes to reach ``stack``'s state, and only that."""
        return pulumi.Output.concat(
            "azblob://", self.containers[stack].name, "?storage_account=", self.account.name
        )

    def secrets_provider(self, stack: str) -> pulumi.Output[str]:
        """What ``pulumi stack init --secrets-provider`` takes for ``stack`` (public cloud)."""
        return pulumi.Output.concat(
            "azurekeyvault://", self.vault.name, ".vault.azure.net/keys/", self.keys[stack].name
        )
