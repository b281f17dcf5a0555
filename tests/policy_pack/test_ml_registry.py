"""Azure ML registry policies: protected, and private unless config opens them."""

from __future__ import annotations

from typing import Any

import pytest

from policy.mlops_policy import ml_registry
from policy.mlops_policy.properties import ML_REGISTRY
from tests.policy_pack.conftest import (
    ResourceCase,
    StackCase,
    resource_rule,
    resource_violations,
    stack_resource,
    stack_rule,
    stack_violations,
    subject,
    violation_tests,
)

PUBLIC = "ml-registry-public-network"

VIOLATIONS: list[ResourceCase | StackCase] = [
    ResourceCase(
        PUBLIC,
        ML_REGISTRY,
        {"tags": {"environment": "shared"}, "publicNetworkAccess": "Enabled"},
        "publicNetworkAccess is 'Enabled'; set it to 'Disabled' (workspaces reach the registry",
    ),
    StackCase(
        "ml-registry-protected",
        (stack_resource(ML_REGISTRY, "registry", {"tags": {"environment": "shared"}}),),
        "registry",
        "registry is not protected; register it with protect=True",
    ),
]


# Every policy of the area has a violating case, and each case violates its policy once.
test_every_policy_has_a_violating_case, test_policy_fails_on_minimal_violation = violation_tests(
    ml_registry.area, VIOLATIONS
)


def public_registry(environment: str, **tags: str) -> dict[str, Any]:
    return {"tags": {"environment": environment, **tags}, "publicNetworkAccess": "Enabled"}


def test_a_registry_config_opened_may_accept_public_traffic() -> None:
    opened = public_registry("shared", allowPublicNetworkAccess="true")
    assert not resource_violations(resource_rule(PUBLIC), subject(ML_REGISTRY, opened))


def test_a_private_registry_passes() -> None:
    private = {"tags": {"environment": "shared"}, "publicNetworkAccess": "Disabled"}
    assert not resource_violations(resource_rule(PUBLIC), subject(ML_REGISTRY, private))


@pytest.mark.parametrize("environment", ["qa", "prod"])
def test_qa_and_prod_registries_refuse_public_traffic_even_when_opened(environment: str) -> None:
    opened = public_registry(environment, allowPublicNetworkAccess="true")
    found = resource_violations(resource_rule(PUBLIC), subject(ML_REGISTRY, opened))
    assert found.messages == [
        "publicNetworkAccess is 'Enabled'; set it to 'Disabled' in qa and prod: promoted models "
        "are reached through private endpoints only"
    ]


def test_a_protected_registry_passes() -> None:
    registry = stack_resource(ML_REGISTRY, "registry", {}, protect=True)
    assert not stack_violations(stack_rule("ml-registry-protected"), [registry])
