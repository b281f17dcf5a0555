"""mlops:compliance (regulated) and mlops:defender (aiServices): what the settings refuse, the
tag the workspace carries, what the policy pack's compliance area reports (mandatory in prod,
advisory in dev and qa), the subscription's Defender for AI services pricing, and nothing of
either when they are off. The regulated example (docs/examples/Pulumi.prod-regulated.yaml)
previews clean."""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import Any, Final

import pytest

from offline.diagram import EXAMPLES
from offline.engine import ProgramRun, Resource, file_config
from offline.journeys import evaluate
from offline.policies import check
from policy.mlops_policy.compliance import COMPLIANCE_TAG, ENDPOINT_LOG_CATEGORIES
from settings.endpoint_logs import CATEGORIES
from settings.values import PROGRAM_TAGS
from tests.conftest import (
    REAL_STACKS,
    load_settings,
    of_type,
    only,
    problem_at,
    pulumi_config,
    real_run,
    required_network,
    settings_problems,
)
from tests.run_cache import cached_run

EXAMPLE: Final = EXAMPLES / "Pulumi.prod-regulated.yaml"
BASE: Final = {
    "azure-native:location": "westeurope",
    "mlops:prefix": "contoso",
    "mlops:alerts": {"emails": ["ml-platform@contoso.example"]},
    "mlops:budget": {"monthlyAmount": 5000},
}
ONLINE: Final = [{"name": "churn-score", "kind": "online"}]
CONTROLS: Final = {
    "encryption": {"mode": "create"},
    "highBusinessImpact": True,
    "endpointLogs": {"enabled": True},
}
WORKSPACE: Final = "machinelearningservices:Workspace"
PRICING: Final = "security:Pricing"
DIAGNOSTICS: Final = "monitor:DiagnosticSetting"


@functools.cache
def example_run() -> ProgramRun:
    config, secrets = file_config(EXAMPLE)
    return cached_run("prod", config, secrets)


def compliance_violations(run: ProgramRun) -> list[Any]:
    return [v for v in check(run).violations if v.policy.startswith("compliance-")]


def with_outputs(run: ProgramRun, resource: Resource, **changes: Any) -> ProgramRun:
    changed = replace(resource, outputs={**resource.outputs, **changes})
    return replace(run, resources=tuple(changed if r is resource else r for r in run.resources))


# ---------------------------------------------------------------- settings


def test_both_keys_are_off_by_default() -> None:
    found = load_settings(BASE, "qa")
    assert (found.compliance, found.defender.ai_services) == ("standard", False)


def test_regulated_prod_names_each_missing_control() -> None:
    found = problem_at(
        settings_problems(BASE, "prod", compliance="regulated", endpoints=ONLINE),
        "mlops:compliance",
    )
    assert "mlops:encryption.mode" in found
    assert "mlops:highBusinessImpact: true" in found
    assert "mlops:endpointLogs.enabled: true" in found
    assert "new stack" in found


def test_regulated_prod_without_a_managed_online_endpoint_needs_no_endpoint_logs() -> None:
    found = problem_at(
        settings_problems(BASE, "prod", compliance="regulated", highBusinessImpact=True),
        "mlops:compliance",
    )
    assert "mlops:encryption.mode" in found
    assert "highBusinessImpact" not in found and "endpointLogs" not in found


def test_regulated_prod_with_every_control_loads() -> None:
    found = load_settings(BASE, "prod", compliance="regulated", endpoints=ONLINE, **CONTROLS)
    assert found.compliance == "regulated"


@pytest.mark.parametrize("stack", ["dev", "qa"])
def test_regulated_dev_and_qa_load_without_the_controls_the_policy_pack_advises(
    stack: str,
) -> None:
    assert load_settings(BASE, stack, compliance="regulated").compliance == "regulated"


def test_compliance_and_defender_are_refused_in_the_shared_stack() -> None:
    found = settings_problems(BASE, "shared", compliance="regulated", defender={"aiServices": True})
    assert problem_at(found, "mlops:compliance")
    assert problem_at(found, "mlops:defender")


def test_the_compliance_tag_is_the_programs() -> None:
    assert COMPLIANCE_TAG in PROGRAM_TAGS
    found = settings_problems(BASE, "dev", tags={"Compliance": "regulated"})
    assert problem_at(found, "mlops:tags.Compliance") == (
        "mlops:tags.Compliance: is set by the program; remove it from config"
    )


def test_the_pack_names_the_endpoint_log_categories_the_program_sends() -> None:
    assert tuple(c.name for c in CATEGORIES) == ENDPOINT_LOG_CATEGORIES


# ---------------------------------------------------------------- the program


def test_the_regulated_example_previews_clean_with_every_control() -> None:
    run = example_run()
    assert check(run).violations == ()
    report = evaluate(run)
    assert report.broken == ()
    assert any(r.journey.key == "customerManagedKey" and r.hops for r in report.results)
    workspace = only(run, WORKSPACE)
    assert workspace.inputs["tags"][COMPLIANCE_TAG] == "regulated"
    assert workspace.inputs["hbiWorkspace"] is True
    assert workspace.inputs["encryption"]["keyVaultProperties"]["keyIdentifier"]


def test_defender_sets_the_subscriptions_ai_plan_and_keeps_it_when_the_stack_goes() -> None:
    pricing = only(example_run(), PRICING)
    assert pricing.inputs == {
        "pricingName": "AI",
        "pricingTier": "Standard",
        "scopeId": "/subscriptions/00000000-0000-0000-0000-000000000001",
    }
    assert pricing.retain_on_delete and "extensions" not in pricing.inputs


@pytest.mark.parametrize("stack", REAL_STACKS)
def test_the_repository_stacks_take_neither_key(stack: str) -> None:
    run = real_run(stack)
    assert not of_type(run, PRICING)
    assert all(COMPLIANCE_TAG not in (r.inputs.get("tags") or {}) for r in run.resources)


# ---------------------------------------------------------------- the policy pack


def test_prod_without_a_customer_managed_key_is_a_mandatory_violation() -> None:
    run = example_run()
    found = compliance_violations(with_outputs(run, only(run, WORKSPACE), encryption=None))
    assert [(v.policy, v.mandatory) for v in found] == [("compliance-regulated-prod", True)]
    assert "mlops:encryption.mode" in found[0].message
    assert found[0].fix is not None and found[0].fix.key == "mlops:compliance"


def test_prod_without_high_business_impact_is_a_mandatory_violation() -> None:
    run = example_run()
    found = compliance_violations(with_outputs(run, only(run, WORKSPACE), hbiWorkspace=False))
    assert [(v.policy, v.mandatory) for v in found] == [("compliance-regulated-prod", True)]
    assert "mlops:highBusinessImpact: true" in found[0].message


def test_prod_without_an_endpoints_logs_is_a_mandatory_violation() -> None:
    run = example_run()
    logs = [
        r
        for r in of_type(run, DIAGNOSTICS)
        if "logs" in r.outputs
        and any(log.get("category") == CATEGORIES[0].name for log in r.outputs["logs"])
    ]
    assert len(logs) == 1
    first = logs[0]
    partial = [log for log in first.outputs["logs"] if log["category"] != CATEGORIES[1].name]
    found = compliance_violations(with_outputs(run, first, logs=partial))
    assert [(v.policy, v.mandatory) for v in found] == [("compliance-regulated-prod", True)]
    assert CATEGORIES[1].name in found[0].message
    assert "mlops:endpointLogs.enabled: true" in found[0].message
    removed = replace(run, resources=tuple(r for r in run.resources if r is not first))
    assert len(compliance_violations(removed)) == 1


def test_a_regulated_qa_workspace_without_the_controls_is_only_advised() -> None:
    config = {
        **BASE,
        **required_network("qa"),
        "mlops:compliance": "regulated",
        "mlops:endpoints": ONLINE,
    }
    run = cached_run("qa", pulumi_config(config))
    found = compliance_violations(run)
    assert {(v.policy, v.mandatory) for v in found} == {("compliance-regulated-advisory", False)}
    assert len(found) == 3  # the key, high business impact, the endpoint's logs
    assert not check(run).mandatory


def test_a_standard_workspace_is_not_judged() -> None:
    run = example_run()
    workspace = only(run, WORKSPACE)
    tags = {k: v for k, v in workspace.outputs["tags"].items() if k != COMPLIANCE_TAG}
    assert (
        compliance_violations(
            with_outputs(run, workspace, tags=tags, encryption=None, hbiWorkspace=None)
        )
        == []
    )
