"""Storage account and blob service policies."""

from __future__ import annotations

from policy.mlops_policy import storage
from policy.mlops_policy.properties import BLOB_SERVICE, STORAGE_ACCOUNT
from tests.policy_pack.conftest import (
    ResourceCase,
    resource_rule,
    resource_violations,
    subject,
    violation_tests,
)

VIOLATIONS = [
    ResourceCase(
        "storage-minimum-tls",
        STORAGE_ACCOUNT,
        {"minimumTlsVersion": "TLS1_0"},
        "minimumTlsVersion is 'TLS1_0'; set it to 'TLS1_2'",
    ),
    ResourceCase(
        "storage-https-only",
        STORAGE_ACCOUNT,
        {"enableHttpsTrafficOnly": False},
        "enableHttpsTrafficOnly is false; set it to true",
    ),
    ResourceCase(
        "storage-no-public-blob-access",
        STORAGE_ACCOUNT,
        {"allowBlobPublicAccess": True},
        "allowBlobPublicAccess is true; set it to false",
    ),
    ResourceCase(
        "storage-no-shared-key-access",
        STORAGE_ACCOUNT,
        {"allowSharedKeyAccess": True},
        "allowSharedKeyAccess is true; set it to false",
    ),
    ResourceCase(
        "storage-infrastructure-encryption",
        STORAGE_ACCOUNT,
        {"encryption": {"keySource": "Microsoft.Storage"}},
        "encryption.requireInfrastructureEncryption is not set; set it to true",
    ),
    ResourceCase(
        "storage-no-cross-tenant-replication",
        STORAGE_ACCOUNT,
        {"allowCrossTenantReplication": True},
        "allowCrossTenantReplication is true; set it to false",
    ),
    ResourceCase(
        "storage-no-public-network",
        STORAGE_ACCOUNT,
        {"tags": {"environment": "prod"}},
        "publicNetworkAccess is not set; set it to 'Disabled' in prod",
    ),
    ResourceCase(
        "storage-blob-soft-delete",
        BLOB_SERVICE,
        {"deleteRetentionPolicy": {"enabled": False}},
        "deleteRetentionPolicy.enabled is false; set it to true with days >= 7",
    ),
    ResourceCase(
        "storage-container-soft-delete",
        BLOB_SERVICE,
        {"containerDeleteRetentionPolicy": {"enabled": True, "days": 1.0}},
        "containerDeleteRetentionPolicy.days is 1; keep deleted containers for at least 7 days",
    ),
]


def test_shared_key_access_passes_only_with_its_visible_opt_out_marker() -> None:
    rule = resource_rule("storage-no-shared-key-access")
    marked = {"allowSharedKeyAccess": True, "tags": {"allowSharedKeyAccess": "true"}}
    assert resource_violations(rule, subject(STORAGE_ACCOUNT, marked)) == []
    unmarked = {"allowSharedKeyAccess": True, "tags": {"allowSharedKeyAccess": "yes"}}
    assert len(resource_violations(rule, subject(STORAGE_ACCOUNT, unmarked))) == 1


# Every policy of the area has a violating case, and each case violates its policy once.
test_every_policy_has_a_violating_case, test_policy_fails_on_minimal_violation = violation_tests(
    storage.area, VIOLATIONS
)
