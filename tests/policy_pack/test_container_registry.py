"""Container registry policies."""

from __future__ import annotations

import pytest

from policy.mlops_policy import container_registry
from policy.mlops_policy.properties import REGISTRY
from tests.policy_pack.conftest import (
    ResourceCase,
    resource_rule,
    resource_violations,
    subject,
    violation_tests,
)

VIOLATIONS = [
    ResourceCase(
        "registry-no-public-network",
        REGISTRY,
        {"tags": {"environment": "qa"}, "publicNetworkAccess": "Enabled"},
        "publicNetworkAccess is 'Enabled'; set it to 'Disabled' in qa",
    ),
    ResourceCase(
        "registry-prod-zone-redundant",
        REGISTRY,
        {"tags": {"environment": "prod"}, "sku": {"name": "Premium"}, "zoneRedundancy": "Disabled"},
        "zoneRedundancy is 'Disabled'; set it to 'Enabled' when the registry is created",
    ),
    ResourceCase(
        "registry-admin-user-disabled",
        REGISTRY,
        {"adminUserEnabled": True},
        "adminUserEnabled is true; set it to false",
    ),
    ResourceCase(
        "registry-anonymous-pull-disabled",
        REGISTRY,
        {"anonymousPullEnabled": True},
        "anonymousPullEnabled is true; set it to false",
    ),
]


# Every policy of the area has a violating case, and each case violates its policy once.
test_every_policy_has_a_violating_case, test_policy_fails_on_minimal_violation = violation_tests(
    container_registry.area, VIOLATIONS
)


def test_versioned_type_tokens_are_checked_too() -> None:
    found = resource_violations(
        resource_rule("registry-admin-user-disabled"),
        subject("azure-native:containerregistry/v20230701:Registry", {"adminUserEnabled": True}),
    )
    assert len(found) == 1


@pytest.mark.parametrize(
    "props",
    [
        {"tags": {"environment": "prod"}, "sku": {"name": "Standard"}},
        {"tags": {"environment": "qa"}, "sku": {"name": "Premium"}, "zoneRedundancy": "Disabled"},
    ],
    ids=["standard-in-prod", "premium-in-qa"],
)
def test_zone_redundancy_is_asked_of_premium_registries_in_prod_only(props: dict) -> None:
    found = resource_violations(
        resource_rule("registry-prod-zone-redundant"), subject(REGISTRY, props)
    )
    assert found == []


def test_a_shared_registry_which_other_stacks_adopt_refuses_public_traffic() -> None:
    props = {"tags": {"environment": "shared"}, "publicNetworkAccess": "Enabled"}
    found = resource_violations(
        resource_rule("registry-no-public-network"), subject(REGISTRY, props)
    )
    assert found.messages == [
        "publicNetworkAccess is 'Enabled'; set it to 'Disabled' in shared: images are pushed and "
        "pulled through private endpoints only (Premium)"
    ]
