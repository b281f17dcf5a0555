"""Key Vault: RBAC only, a deleted vault stays recoverable, private in qa and prod."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import ResourceValidationArgs

from .properties import (
    KEY_VAULT,
    PRIVATE_DEPENDENCY_ENVIRONMENTS,
    refuse_public_network,
    require,
)
from .rules import Area

area = Area()


@area.resource_rule(
    "keyvault-rbac-authorization",
    "Key Vaults authorize data-plane access with Azure RBAC, not vault access policies.",
    KEY_VAULT,
)
def keyvault_rbac_authorization(args: ResourceValidationArgs) -> Iterator[str]:
    yield from require(
        args.props,
        ("properties", "enableRbacAuthorization"),
        True,
        "access policies cannot be scoped to one secret or audited as role assignments are",
    )


@area.resource_rule(
    "keyvault-purge-protection",
    "Key Vaults have purge protection enabled.",
    KEY_VAULT,
)
def keyvault_purge_protection(args: ResourceValidationArgs) -> Iterator[str]:
    yield from require(
        args.props,
        ("properties", "enablePurgeProtection"),
        True,
        "without it a deleted vault, and the workspace's secrets with it, can be purged for "
        "good before its retention period ends",
    )


@area.resource_rule(
    "keyvault-soft-delete",
    "Key Vaults have soft delete enabled.",
    KEY_VAULT,
)
def keyvault_soft_delete(args: ResourceValidationArgs) -> Iterator[str]:
    yield from require(
        args.props,
        ("properties", "enableSoftDelete"),
        True,
        "a deleted vault and its secrets must stay recoverable",
    )


@area.resource_rule(
    "keyvault-no-public-network",
    "In qa, prod and shared, Key Vaults refuse public network access (private endpoints only).",
    KEY_VAULT,
    environments=PRIVATE_DEPENDENCY_ENVIRONMENTS,
)
def keyvault_no_public_network(args: ResourceValidationArgs) -> Iterator[str]:
    yield from refuse_public_network(
        args.props,
        ("properties", "publicNetworkAccess"),
        "the workspace's managed network and the team's network reach it through private "
        "endpoints (trusted Azure services still pass)",
    )
