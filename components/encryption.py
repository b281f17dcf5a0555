"""A workspace stack's customer-managed key (``mlops:encryption``) and the identity that uses it.

Azure ML, the workspace's storage account and (where Azure supports it) its container registry
wrap their data keys with a key in Key Vault, each reaching it as one user-assigned identity:
Azure ML takes one for that
(https://learn.microsoft.com/azure/machine-learning/how-to-identity-based-service-authentication#workspace),
and a new storage account or registry takes a customer-managed key only through one
(https://learn.microsoft.com/azure/storage/common/customer-managed-keys-configure-new-account,
https://learn.microsoft.com/azure/container-registry/container-registry-customer-managed-keys).
The identity's one role, Key Vault Crypto Service Encryption User on the key's vault, comes from
the access matrix; whatever uses the key waits for that assignment (``ready``), since Azure
checks the key when the workspace, account or registry is created.

``create`` makes the key in the stack's own vault: RSA 3072 ("We recommend selecting at least
3072", https://learn.microsoft.com/azure/machine-learning/how-to-setup-customer-managed-keys),
for wrapping and unwrapping alone, rotated by Key Vault 18 months after each version's creation
(Key Vault recommends at least every two years:
https://learn.microsoft.com/azure/key-vault/keys/how-to-configure-key-rotation), its versions
never expiring, so that none a service still uses stops working. It is protected whatever
``mlops:protect`` says: without it the workspace's metadata and the storage's data are unreadable.
The vault's soft delete and purge protection keep a deleted key recoverable for 90 days, and the
vault's delete lock (a protected stack's) covers it: a lock on the key itself would add nothing, as
locks never stop data-plane deletes. ``existing`` uses the key config names, in
``keyVaultId``'s vault or the one the stack adopts, checked here to be that vault's and in the
stack's subscription (Azure ML takes a key only from a vault there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import pulumi
from pulumi_azure_native import keyvault, managedidentity

from components.access import Holder, Target, Targets, grant_all
from components.context import StackContext
from components.shared_key_vault import SharedKeyVault
from components.shared_stack import Adopted
from settings.loader import SettingsError
from settings.schema import EncryptionSettings, KeyVaultSettings

KEY_SIZE: Final = 3072
# ISO 8601 duration after a version's creation at which Key Vault makes the next one.
ROTATE_AFTER: Final = "P18M"
SCOPE: Final = "encryptionVault"


@dataclass(frozen=True)
class CustomerManagedKey:
    """What the workspace, its storage account and container registry are encrypted with."""

    # The user-assigned identity that reaches the key, by resource ID and client ID.
    identity_id: pulumi.Input[str]
    identity_client_id: pulumi.Input[str]
    # The vault holding the key: its resource ID (the workspace's keyVaultArmId) and URI.
    vault_id: pulumi.Input[str]
    vault_uri: pulumi.Input[str]
    key_name: pulumi.Input[str]
    # One version of the key, as Azure ML's workspace takes it (its kid).
    key_version_id: pulumi.Input[str]
    # The key without a version: a storage account or registry given it follows its rotations.
    key_id: pulumi.Input[str]
    # Azure ML keeps the encrypted metadata service-side (enableServiceSideCMKEncryption).
    service_side: bool
    # The stack's created container registry takes the key too (Settings.encrypts_registry).
    encrypts_registry: bool
    # What the key's users wait for: the identity's role on the vault.
    ready: Sequence[pulumi.Resource]


@dataclass(frozen=True)
class EncryptionArgs:
    encryption: EncryptionSettings
    # The vault holding the key: the stack's own (create), or the one keyId is in (existing).
    vault: Adopted
    # The config key naming that vault, for messages (mlops:encryption.keyVaultId...).
    vault_key: str
    # The stack's own vault's URI, where create makes the key.
    own_vault_uri: pulumi.Input[str] | None = None
    encrypts_registry: bool = False


def encryption_args(
    encryption: EncryptionSettings,
    key_vault: KeyVaultSettings,
    stack_vault: SharedKeyVault,
    *,
    encrypts_registry: bool,
) -> EncryptionArgs:
    """Where the key is: the stack's own vault (create), keyVaultId's, or the one the stack
    adopts (existing without keyVaultId; settings refuse it where the stack creates its vault)."""
    if encryption.mode == "create":
        own = Adopted(stack_vault.id, stack_vault.name, stack_vault.subscription_id)
        return EncryptionArgs(
            encryption,
            own,
            "mlops:keyVault",
            own_vault_uri=stack_vault.uri,
            encrypts_registry=encrypts_registry,
        )
    given = encryption.key_vault
    if given is not None:
        vault = Adopted(given.id, given.name, given.subscription_id)
        return EncryptionArgs(encryption, vault, "mlops:encryption.keyVaultId")
    adopted = Adopted(stack_vault.id, stack_vault.name, stack_vault.subscription_id)
    by = (
        "mlops:keyVault.existingId" if key_vault.existing is not None else "mlops:keyVault (shared)"
    )
    return EncryptionArgs(encryption, adopted, by)


class Encryption(pulumi.ComponentResource):
    """Exposes ``key``: the ``CustomerManagedKey`` the workspace stack encrypts with."""

    def __init__(
        self,
        name: str,
        context: StackContext,
        args: EncryptionArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("mlops:encryption:Encryption", name, None, opts)
        settings = args.encryption
        self.identity = managedidentity.UserAssignedIdentity(
            f"{name}-identity",
            resource_name_=context.names.encryption_identity,
            resource_group_name=context.resource_group_name,
            location=context.location,
            tags=context.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.key: keyvault.Key | None = None
        if settings.mode == "create":
            assert args.own_vault_uri is not None, "create makes the key in the stack's vault"
            self.key = keyvault.Key(
                f"{name}-key",
                key_name=context.names.encryption_key,
                vault_name=args.vault.name,
                resource_group_name=context.resource_group_name,
                properties=keyvault.KeyPropertiesArgs(
                    kty=keyvault.JsonWebKeyType.RSA,
                    key_size=KEY_SIZE,
                    key_ops=[
                        keyvault.JsonWebKeyOperation.WRAP_KEY,
                        keyvault.JsonWebKeyOperation.UNWRAP_KEY,
                    ],
                    rotation_policy=keyvault.RotationPolicyArgs(
                        lifetime_actions=[
                            keyvault.LifetimeActionArgs(
                                trigger=keyvault.TriggerArgs(time_after_create=ROTATE_AFTER),
                                action=keyvault.ActionArgs(
                                    type=keyvault.KeyRotationPolicyActionType.ROTATE
                                ),
                            )
                        ]
                    ),
                ),
                tags=context.tags,
                opts=pulumi.ResourceOptions(parent=self, protect=True),
            )
            vault_id: pulumi.Input[str] = args.vault.id
            vault_uri, key_name = args.own_vault_uri, self.key.name
            key_version_id: pulumi.Input[str] = self.key.key_uri_with_version
            key_id: pulumi.Input[str] = self.key.key_uri
        else:
            key = settings.key
            assert key is not None and key.version is not None, "settings require keyId's version"
            vault_id = _checked_vault(context, args, key.vault)
            vault_uri, key_name, key_version_id, key_id = (
                key.vault_uri,
                key.name,
                key.id,
                key.versionless,
            )
        holder = Holder(
            "encryptionIdentity",
            self.identity.principal_id,
            "ServicePrincipal",
            key="identity",
            label="encryption-identity",
            name="the encryption identity",
        )
        target = Target(
            vault_id, args.vault.subscription_id, key=SCOPE, label=SCOPE, name="the key's vault"
        )
        self.assignments = [
            assignment
            for _, assignment in grant_all(
                context, name, [holder], Targets({SCOPE: (target,)}), parent=self
            )
        ]
        self.customer_key = CustomerManagedKey(
            identity_id=self.identity.id,
            identity_client_id=self.identity.client_id,
            vault_id=vault_id,
            vault_uri=vault_uri,
            key_name=key_name,
            key_version_id=key_version_id,
            key_id=key_id,
            service_side=settings.service_side,
            encrypts_registry=args.encrypts_registry,
            ready=tuple(self.assignments),
        )
        self.register_outputs({"identityId": self.identity.id, "keyId": key_id})


def _checked_vault(
    context: StackContext, args: EncryptionArgs, key_vault: str
) -> pulumi.Output[str]:
    """The resource ID of the vault keyId is in, once it is known to hold the key (by name) and
    to be in the stack's subscription: Azure ML takes a key only from there
    (https://learn.microsoft.com/azure/machine-learning/how-to-setup-customer-managed-keys#limitations).
    Otherwise the preview or update stops, naming the keys to change (a SettingsError)."""

    def check(values: list[str]) -> str:
        vault_id, vault_name, vault_subscription, subscription = values
        found: list[str] = []
        if vault_name.lower() != key_vault:
            found.append(
                f"mlops:encryption.keyId: is a key of vault {key_vault}, but {args.vault_key} "
                f"is vault {vault_name}: give the vault holding the key as "
                "mlops:encryption.keyVaultId"
            )
        if vault_subscription.lower() != subscription.lower():
            found.append(
                f"{args.vault_key}: vault {vault_name} is in subscription {vault_subscription}, "
                f"but the stack deploys to {subscription}: Azure ML takes a customer-managed key "
                "only from a vault in the workspace's subscription; use a key in a vault there "
                "(mlops:encryption.keyVaultId), or mode: create"
            )
        if found:
            raise SettingsError(found)
        return vault_id

    return pulumi.Output.all(
        args.vault.id, args.vault.name, args.vault.subscription_id, context.subscription_id
    ).apply(check)
