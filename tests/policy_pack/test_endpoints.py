"""Online and batch endpoint policies."""

from __future__ import annotations

from policy.mlops_policy import endpoints
from policy.mlops_policy.properties import BATCH_ENDPOINT, ONLINE_ENDPOINT
from tests.policy_pack.conftest import (
    ResourceCase,
    resource_rule,
    resource_violations,
    subject,
    violation_tests,
)

VIOLATIONS = [
    ResourceCase(
        "endpoint-entra-id-auth",
        ONLINE_ENDPOINT,
        {"properties": {"authMode": "Key"}},
        "properties.authMode is 'Key'; set it to 'AADToken'",
    ),
    ResourceCase(
        "endpoint-managed-identity",
        BATCH_ENDPOINT,
        {"properties": {"authMode": "AADToken"}},
        "identity.type is not set; set it to 'SystemAssigned'",
    ),
]


# Every policy of the area has a violating case, and each case violates its policy once.
test_every_policy_has_a_violating_case, test_policy_fails_on_minimal_violation = violation_tests(
    endpoints.area, VIOLATIONS
)


def test_key_auth_passes_when_the_endpoint_is_tagged_as_explicitly_allowed() -> None:
    props = {"properties": {"authMode": "Key"}, "tags": {"allowKeyAuth": "true"}}
    found = resource_violations(
        resource_rule("endpoint-entra-id-auth"), subject(ONLINE_ENDPOINT, props)
    )
    assert found == []


def test_key_auth_opt_out_does_not_allow_other_auth_modes() -> None:
    props = {"properties": {"authMode": "AMLToken"}, "tags": {"allowKeyAuth": "true"}}
    found = resource_violations(
        resource_rule("endpoint-entra-id-auth"), subject(ONLINE_ENDPOINT, props)
    )
    assert found.messages and "properties.authMode is 'AMLToken'" in found.messages[0]


# A Kubernetes online endpoint (it names its compute) takes no Entra ID tokens: Azure ML tokens.
KUBERNETES = {"properties": {"authMode": "AMLToken", "compute": "/computes/aks"}}


def test_azure_ml_tokens_pass_on_a_kubernetes_endpoint() -> None:
    found = resource_violations(
        resource_rule("endpoint-entra-id-auth"), subject(ONLINE_ENDPOINT, KUBERNETES)
    )
    assert found == []


def test_azure_ml_tokens_fail_on_a_managed_endpoint() -> None:
    props = {"properties": {"authMode": "AMLToken"}}
    found = resource_violations(
        resource_rule("endpoint-entra-id-auth"), subject(ONLINE_ENDPOINT, props)
    )
    assert found.messages and "set it to 'AADToken'" in found.messages[0]


def test_key_auth_on_a_kubernetes_endpoint_needs_the_opt_out() -> None:
    props = {"properties": {"authMode": "Key", "compute": "/computes/aks"}}
    rule = resource_rule("endpoint-entra-id-auth")
    found = resource_violations(rule, subject(ONLINE_ENDPOINT, props))
    assert found.messages and "set it to 'AMLToken'" in found.messages[0]
    opted_out = {**props, "tags": {"allowKeyAuth": "true"}}
    assert resource_violations(rule, subject(ONLINE_ENDPOINT, opted_out)) == []
