"""Key Vault policies."""

from __future__ import annotations

from policy.mlops_policy import key_vault
from policy.mlops_policy.properties import KEY_VAULT, STORAGE_ACCOUNT
from tests.policy_pack.conftest import (
    ResourceCase,
    resource_rule,
    resource_violations,
    subject,
    violation_tests,
)

VIOLATIONS = [
    ResourceCase(
        "keyvault-rbac-authorization",
        KEY_VAULT,
        {"properties": {"enableRbacAuthorization": False}},
        "properties.enableRbacAuthorization is false; set it to true",
    ),
    ResourceCase(
        "keyvault-purge-protection",
        KEY_VAULT,
        {"properties": {}},
        "properties.enablePurgeProtection is not set; set it to true",
    ),
    ResourceCase(
        "keyvault-soft-delete",
        KEY_VAULT,
        {"properties": {"enableSoftDelete": False}},
        "properties.enableSoftDelete is false; set it to true",
    ),
    ResourceCase(
        "keyvault-no-public-network",
        KEY_VAULT,
        {"tags": {"environment": "qa"}, "properties": {"publicNetworkAccess": "Enabled"}},
        "properties.publicNetworkAccess is 'Enabled'; set it to 'Disabled' in qa",
    ),
]


# Every policy of the area has a violating case, and each case violates its policy once.
test_every_policy_has_a_violating_case, test_policy_fails_on_minimal_violation = violation_tests(
    key_vault.area, VIOLATIONS
)


def test_policy_ignores_other_resource_types() -> None:
    props = {"properties": {"enableRbacAuthorization": False}}
    found = resource_violations(
        resource_rule("keyvault-rbac-authorization"), subject(STORAGE_ACCOUNT, props)
    )
    assert found == []


def test_a_dev_vault_may_accept_public_traffic() -> None:
    props = {"tags": {"environment": "dev"}, "properties": {"publicNetworkAccess": "Enabled"}}
    found = resource_violations(
        resource_rule("keyvault-no-public-network"), subject(KEY_VAULT, props)
    )
    assert found == []


def test_a_shared_vault_which_other_stacks_adopt_refuses_public_traffic() -> None:
    props = {"tags": {"environment": "shared"}, "properties": {"publicNetworkAccess": "Enabled"}}
    found = resource_violations(
        resource_rule("keyvault-no-public-network"), subject(KEY_VAULT, props)
    )
    assert found != []
