"""The preview runs the policy pack as ``pulumi preview --policy-pack policy`` does.

A mandatory violation ends the preview with status 1 and says, in config terms, which key fixes
it, beside the policy's own message, in every format.
"""

from __future__ import annotations

import json
from typing import Final

import pytest

from offline.engine import ROOT, ProgramRun, file_config
from offline.plan import Plan
from offline.policies import CONFIG_FIXES, POLICY_COUNT, check
from offline.preview import FORMATS, main, render
from policy.mlops_policy import RULES
from settings.loader import CONFIG_KEYS
from tests.run_cache import cached_run

FIXTURES: Final = ROOT / "tests" / "fixtures" / "preview"
UNPROTECTED_PROD: Final = FIXTURES / "unprotected-prod.yaml"
CLEAN_DEV: Final = FIXTURES / "Pulumi.dev.yaml"
ADVICE: Final = "prod protects its data: set `mlops:protect: true`"


@pytest.fixture(scope="module")
def unprotected_prod() -> ProgramRun:
    config, secret_keys = file_config(UNPROTECTED_PROD)
    return cached_run("prod", config, secret_keys)


def test_an_unprotected_prod_violates_the_pack_s_protection_policies(
    unprotected_prod: ProgramRun,
) -> None:
    report = check(unprotected_prod)

    assert {v.policy for v in report.mandatory} == {
        "prod-data-protected",
        "prod-resource-locks",
    }


def test_the_violation_keeps_the_policy_s_own_message(unprotected_prod: ProgramRun) -> None:
    found = next(v for v in check(unprotected_prod).violations if v.policy == "prod-data-protected")

    assert found.fix is not None and found.fix.advice == ADVICE
    assert "is not protected; register it with protect=True" in found.message
    assert found.urn is not None


@pytest.mark.parametrize("fmt", FORMATS)
def test_violations_are_shown_in_config_terms_in_every_format(
    unprotected_prod: ProgramRun, fmt: str
) -> None:
    rendered = render(Plan(unprotected_prod), fmt, check(unprotected_prod))

    assert ADVICE in rendered
    assert "is not protected; register it with protect=True" in rendered


def test_json_lists_each_violation_with_its_fix(unprotected_prod: ProgramRun) -> None:
    data = json.loads(render(Plan(unprotected_prod), "json", check(unprotected_prod)))

    policies = data["policies"]
    assert policies["mandatoryViolations"] == len(policies["violations"]) > 0
    found = next(v for v in policies["violations"] if v["policy"] == "prod-data-protected")
    assert found["enforcement"] == "mandatory"
    assert found["fix"] == {"key": "mlops:protect", "advice": ADVICE}


def test_a_mandatory_violation_ends_the_preview_with_status_1_and_the_fix(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["--stack", "prod", "--config-file", str(UNPROTECTED_PROD)])

    captured = capsys.readouterr()
    assert status == 1
    assert "Previewing stack prod offline" in captured.out  # the preview is still printed
    assert f"prod-data-protected: {ADVICE}" in captured.err


def test_a_stack_within_the_policies_passes_with_status_0(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["--config-file", str(CLEAN_DEV), "--format", "markdown"])

    assert status == 0
    assert f"{POLICY_COUNT} policies, no violations" in capsys.readouterr().out


def test_every_config_fix_is_for_a_policy_of_the_pack_and_a_config_key() -> None:
    assert set(CONFIG_FIXES) <= set(RULES)
    assert {fix.key for fix in CONFIG_FIXES.values()} <= set(CONFIG_KEYS)


def test_every_config_fix_names_its_key() -> None:
    for fix in CONFIG_FIXES.values():
        assert f"`{fix.key}" in fix.advice
