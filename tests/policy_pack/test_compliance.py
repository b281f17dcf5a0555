"""The compliance area: a regulated workspace's customer-managed key, high business impact and
managed online endpoints' logs, mandatory in prod and advisory in dev and qa."""

from __future__ import annotations

from typing import Any, Final

from pulumi_policy import EnforcementLevel

from policy.mlops_policy import compliance
from policy.mlops_policy.compliance import ENDPOINT_LOG_CATEGORIES
from policy.mlops_policy.properties import DIAGNOSTIC_SETTING, ML_WORKSPACE, ONLINE_ENDPOINT
from tests.policy_pack.conftest import (
    GROUP_ID,
    StackCase,
    stack_resource,
    stack_rule,
    stack_violations,
    violation_tests,
)

WORKSPACE_ID: Final = f"{GROUP_ID}/providers/Microsoft.MachineLearningServices/workspaces/mlw-test"
ENDPOINT_ID: Final = f"{WORKSPACE_ID}/onlineEndpoints/churn-score"
LOGS_ID: Final = f"{GROUP_ID}/providers/Microsoft.OperationalInsights/workspaces/log-test"
KEY: Final = {
    "keyVaultProperties": {
        "keyIdentifier": "https://kv-test.vault.azure.net/keys/cmk/0123456789abcdef",
        "keyVaultArmId": f"{GROUP_ID}/providers/Microsoft.KeyVault/vaults/kv-test",
    }
}


def workspace(environment: str = "prod", regulated: bool = True, **props: Any) -> Any:
    tags = {"environment": environment, **({"compliance": "regulated"} if regulated else {})}
    values = {"id": WORKSPACE_ID, "name": "mlw-test", "tags": tags, "encryption": KEY}
    return stack_resource(ML_WORKSPACE, "workspace", {**values, "hbiWorkspace": True, **props})


def endpoint(**props: Any) -> Any:
    values = {
        "id": ENDPOINT_ID,
        "workspaceName": "mlw-test",
        "properties": {"authMode": "AADToken"},
    }
    return stack_resource(ONLINE_ENDPOINT, "churn-score", {**values, **props})


def logs(*categories: str) -> Any:
    entries = [{"category": c, "enabled": True} for c in categories]
    values = {"resourceUri": ENDPOINT_ID, "workspaceId": LOGS_ID, "logs": entries}
    return stack_resource(DIAGNOSTIC_SETTING, "churn-score-logs", values)


CASES: Final = [
    StackCase(
        "compliance-regulated-prod",
        (workspace(hbiWorkspace=False),),
        "workspace",
        "has hbiWorkspace false: a regulated workspace is high business impact; set "
        "mlops:highBusinessImpact: true",
    ),
    StackCase(
        "compliance-regulated-advisory",
        (workspace("qa", encryption=None),),
        "workspace",
        "a regulated workspace is encrypted with a customer-managed key; set mlops:encryption.mode",
    ),
]

test_cases_cover_every_policy, test_each_case_is_reported_once = violation_tests(
    compliance.area, CASES
)


def test_prod_is_mandatory_and_dev_and_qa_advisory() -> None:
    prod, advisory = (
        stack_rule("compliance-regulated-prod"),
        stack_rule("compliance-regulated-advisory"),
    )
    assert prod.enforcement_level is EnforcementLevel.MANDATORY
    assert advisory.enforcement_level is EnforcementLevel.ADVISORY
    qa = [workspace("qa", encryption=None, hbiWorkspace=None)]
    assert len(stack_violations(advisory, qa)) == 2
    assert stack_violations(prod, qa) == []


def test_a_managed_online_endpoint_needs_all_three_log_categories() -> None:
    rule = stack_rule("compliance-regulated-prod")
    whole = [workspace(), endpoint(), logs(*ENDPOINT_LOG_CATEGORIES)]
    assert stack_violations(rule, whole) == []
    partial = [workspace(), endpoint(), logs(*ENDPOINT_LOG_CATEGORIES[:2])]
    (found,) = stack_violations(rule, partial).messages
    assert "without AmlOnlineEndpointEventLog" in found
    assert "mlops:endpointLogs.enabled: true" in found
    assert len(stack_violations(rule, [workspace(), endpoint()])) == 1


def test_a_kubernetes_online_endpoint_has_no_resource_logs_to_require() -> None:
    on_cluster = endpoint(properties={"authMode": "AMLToken", "compute": "aks-id"})
    assert (
        stack_violations(stack_rule("compliance-regulated-prod"), [workspace(), on_cluster]) == []
    )


def test_a_standard_workspace_is_not_judged() -> None:
    bare = workspace(regulated=False, encryption=None, hbiWorkspace=None)
    for name in ("compliance-regulated-prod", "compliance-regulated-advisory"):
        assert stack_violations(stack_rule(name), [bare, endpoint()]) == []
