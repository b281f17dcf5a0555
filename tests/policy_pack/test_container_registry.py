"""Container registry policies."""

from __future__ import annotations

import pytest

from policy.mlops_policy import container_registry
from policy.mlops_policy.properties import REGISTRY
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


def test_every_container_registry_policy_has_a_violating_case() -> None:
    assert_covers(container_registry.area, VIOLATIONS)


@pytest.mark.parametrize("case", VIOLATIONS, ids=case_id)
def test_policy_fails_on_minimal_violation(case: ResourceCase) -> None:
    assert_reported_once(case)


def test_versioned_type_tokens_are_checked_too() -> None:
    found = resource_violations(
        resource_rule("registry-admin-user-disabled"),
        subject("azure-native:containerregistry/v20230701:Registry", {"adminUserEnabled": True}),
    )
    assert len(found) == 1
