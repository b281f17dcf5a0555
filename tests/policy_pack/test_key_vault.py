"""Key Vault policies."""

from __future__ import annotations

import pytest

from policy.mlops_policy import key_vault
from policy.mlops_policy.properties import KEY_VAULT, STORAGE_ACCOUNT
from tests.policy_pack.conftest import (
    ResourceCase,
    assert_covers,
    assert_reported_once,
    case_id,
    resource_rule,
    resource_violations,
    subject,
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


def test_every_key_vault_policy_has_a_violating_case() -> None:
    assert_covers(key_vault.area, VIOLATIONS)


@pytest.mark.parametrize("case", VIOLATIONS, ids=case_id)
def test_policy_fails_on_minimal_violation(case: ResourceCase) -> None:
    assert_reported_once(case)


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
