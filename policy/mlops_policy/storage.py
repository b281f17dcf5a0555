"""Storage accounts and their blob services: Entra ID only, encrypted, recoverable, private."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from pulumi_policy import ResourceValidationArgs, Severity

from .properties import (
    BLOB_SERVICE,
    PRIVATE_ENVIRONMENTS,
    STORAGE_ACCOUNT,
    get,
    refuse_public_network,
    require,
    same,
    show,
)
from .rules import Area

MIN_SOFT_DELETE_DAYS: Final = 7

area = Area()


@area.resource_rule(
    "storage-minimum-tls",
    "Storage accounts refuse TLS versions older than 1.2.",
    STORAGE_ACCOUNT,
)
def storage_minimum_tls(args: ResourceValidationArgs) -> Iterator[str]:
    found = get(args.props, "minimumTlsVersion")
    if not (same(found, "TLS1_2") or same(found, "TLS1_3")):
        yield f"minimumTlsVersion is {show(found)}; set it to 'TLS1_2' (or 'TLS1_3')"


@area.resource_rule(
    "storage-https-only",
    "Storage accounts accept HTTPS traffic only.",
    STORAGE_ACCOUNT,
)
def storage_https_only(args: ResourceValidationArgs) -> Iterator[str]:
    yield from require(
        args.props,
        ("enableHttpsTrafficOnly",),
        True,
        "data and tokens must never travel in clear text",
    )


@area.resource_rule(
    "storage-no-public-blob-access",
    "Storage accounts allow no anonymous (public) blob access.",
    STORAGE_ACCOUNT,
)
def storage_no_public_blob_access(args: ResourceValidationArgs) -> Iterator[str]:
    yield from require(
        args.props,
        ("allowBlobPublicAccess",),
        False,
        "no container of an ML workspace's storage may ever be readable anonymously",
    )


@area.resource_rule(
    "storage-no-shared-key-access",
    "Storage accounts disable shared key access: Microsoft Entra ID only.",
    STORAGE_ACCOUNT,
)
def storage_no_shared_key_access(args: ResourceValidationArgs) -> Iterator[str]:
    yield from require(
        args.props,
        ("allowSharedKeyAccess",),
        False,
        "account keys and the SAS tokens signed with them bypass Entra ID and RBAC",
    )


@area.resource_rule(
    "storage-infrastructure-encryption",
    "Storage accounts encrypt data twice, with infrastructure encryption.",
    STORAGE_ACCOUNT,
)
def storage_infrastructure_encryption(args: ResourceValidationArgs) -> Iterator[str]:
    yield from require(
        args.props,
        ("encryption", "requireInfrastructureEncryption"),
        True,
        "it can only be chosen when the account is created",
    )


@area.resource_rule(
    "storage-no-cross-tenant-replication",
    "Storage accounts do not replicate objects to other Microsoft Entra tenants.",
    STORAGE_ACCOUNT,
)
def storage_no_cross_tenant_replication(args: ResourceValidationArgs) -> Iterator[str]:
    yield from require(
        args.props,
        ("allowCrossTenantReplication",),
        False,
        "object replication to another tenant copies training data out of the organization",
    )


@area.resource_rule(
    "storage-no-public-network",
    "In qa and prod, storage accounts refuse public network access (private endpoints only).",
    STORAGE_ACCOUNT,
    environments=PRIVATE_ENVIRONMENTS,
)
def storage_no_public_network(args: ResourceValidationArgs) -> Iterator[str]:
    yield from refuse_public_network(
        args.props,
        ("publicNetworkAccess",),
        "models and datasets are reached through private endpoints only",
    )


def _retention(props: Any, policy_key: str, what: str) -> Iterator[str]:
    enabled = get(props, policy_key, "enabled")
    days = get(props, policy_key, "days")
    if enabled is not True:
        yield (
            f"{policy_key}.enabled is {show(enabled)}; set it to true with days >= "
            f"{MIN_SOFT_DELETE_DAYS}: a deleted {what} must stay recoverable"
        )
    elif not isinstance(days, int | float) or days < MIN_SOFT_DELETE_DAYS:
        yield (
            f"{policy_key}.days is {show(days)}; keep deleted {what}s for at least "
            f"{MIN_SOFT_DELETE_DAYS} days"
        )


@area.resource_rule(
    "storage-blob-soft-delete",
    f"Blob services keep deleted blobs for at least {MIN_SOFT_DELETE_DAYS} days.",
    BLOB_SERVICE,
    severity=Severity.MEDIUM,
)
def storage_blob_soft_delete(args: ResourceValidationArgs) -> Iterator[str]:
    yield from _retention(args.props, "deleteRetentionPolicy", "blob")


@area.resource_rule(
    "storage-container-soft-delete",
    f"Blob services keep deleted containers for at least {MIN_SOFT_DELETE_DAYS} days.",
    BLOB_SERVICE,
    severity=Severity.MEDIUM,
)
def storage_container_soft_delete(args: ResourceValidationArgs) -> Iterator[str]:
    yield from _retention(args.props, "containerDeleteRetentionPolicy", "container")
