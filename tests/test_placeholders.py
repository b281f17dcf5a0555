"""Placeholders (#24 item 3): values still the example's are a warning in a preview and refused
by `pulumi up` (``settings.placeholders`` holds the rule)."""

from __future__ import annotations

import json
import re

import pytest

import settings
from offline.engine import ProgramRun, evaluate, run_program, settings_error, stack_config
from offline.plan import Plan
from offline.preview import main, render_json, render_markdown, render_text
from settings.placeholders import find, reason
from tests.conftest import REAL_STACKS
from tests.run_cache import cached_run

ZERO_GUID = "00000000-0000-0000-0000-00000000d5a1"
REAL_GUID = "5f1c2e3a-7b4d-4c8e-9a0b-1d2e3f405162"
SECRET_VALUE = "https://hooks.example.com/s3cret-only-in-config"


# -- the rule -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        ZERO_GUID,
        ZERO_GUID.upper(),
        "00000000-0000-0000-0000-000000000000",
        "00000000-0000-0000-0000-0000ffffffff",
        f"/subscriptions/{ZERO_GUID}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st",
        "stdataplatformexample",
        "mlr-contoso-shared-example",
        "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stEXAMPLE",
        "ml-platform@contoso.example",
        "https://example.com/hook",
        "203.0.113.0/24",
        "203.0.113.7",
        "203.0.113.128/25",
        "192.0.2.0/24",
        "198.51.100.10/32",
        "2001:db8::/48",
    ],
)
def test_values_still_the_examples_are_placeholders(value: str) -> None:
    assert reason(value) is not None


@pytest.mark.parametrize(
    "value",
    [
        REAL_GUID,
        # Zeros in the first 20 hex digits only, not 24: a GUID a tenant may really hold.
        "00000000-0000-0000-0000-100000000000",
        "10000000-0000-0000-0000-000000000000",
        # Longer hex runs around an all-zero GUID are not that GUID.
        "a00000000-0000-0000-0000-000000000000",
        "Raw sales events, for example returns",  # free text (with spaces) is never one
        "stdataplatformprod",
        "20.50.0.0/24",
        "203.0.0.0/16",  # holds the documentation range, is not inside it
        "10.0.0.0/8",
        "2001:db9::/32",
        "",
        "0 19 * * 1-5",
    ],
)
def test_real_values_are_not_placeholders(value: str) -> None:
    assert reason(value) is None


def test_placeholders_are_found_by_key_path_as_the_user_writes_it() -> None:
    config = {
        "azure-native:subscriptionId": "00000000-0000-0000-0000-000000000000",
        "mlops:prefix": "contoso",
        "mlops:access": json.dumps(
            [
                {"principalId": REAL_GUID, "role": "Reader"},
                {"principalId": ZERO_GUID, "role": "Reader"},
            ]
        ),
        "mlops:network": json.dumps({"clientIpRanges": ["20.50.0.0/24", "203.0.113.0/24"]}),
        "mlops:alerts": json.dumps({"emails": ["ml@contoso.example"]}),
    }
    assert [p.key for p in find(config)] == [
        "azure-native:subscriptionId",
        "mlops:access[1].principalId",
        "mlops:network.clientIpRanges[1]",
        "mlops:alerts.emails[0]",
    ]


def test_secret_values_are_never_examined_nor_shown() -> None:
    config = {"mlops:alerts": json.dumps({"webhooks": [SECRET_VALUE]})}
    assert find(config, secret_keys=["mlops:alerts"]) == ()


# -- the offline preview: a warning ---------------------------------------------------------------


def _listed(text: str) -> list[str]:
    """The keys of the text preview's placeholder warning."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Placeholders ("))
    count = int(re.search(r"\((\d+)\)", lines[start])[1])  # type: ignore[index]
    keys = [line.strip().split(" (")[0] for line in lines[start + 1 : start + 1 + count]]
    assert lines[start + 1 + count] == ""
    return keys


@pytest.mark.parametrize("stack", REAL_STACKS)
def test_the_preview_lists_the_repository_stacks_placeholders(
    stack: str, real_stack_runs: dict[str, ProgramRun]
) -> None:
    run = real_stack_runs[stack]
    expected = [p.key for p in find(run.config, run.secret_keys)]
    assert expected, f"Pulumi.{stack}.yaml is an example: it holds placeholders"
    assert _listed(render_text(Plan(run))) == expected
    data = json.loads(render_json(Plan(run)))
    assert [p["key"] for p in data["placeholders"]] == expected
    markdown = render_markdown(Plan(run))
    assert f"> [!IMPORTANT]\n> **Placeholders ({len(expected)})**" in markdown
    assert all(f"`{key}`" in markdown for key in expected)


def test_the_dev_stacks_placeholders_are_those_its_comments_name(
    real_stack_runs: dict[str, ProgramRun],
) -> None:
    run = real_stack_runs["dev"]
    keys = {p.key for p in find(run.config, run.secret_keys)}
    assert {
        "mlops:access[0].principalId",
        "mlops:network.clientIpRanges[0]",
        "mlops:datastores[0].storageAccountId",
        "mlops:computeInstances[0].assignedUserObjectId",
    } <= keys


def test_placeholders_leave_the_exit_status_alone(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--stack", "dev"]) == 0
    out, err = capsys.readouterr()
    assert "Placeholders (" in out
    assert "placeholder" not in err


def test_a_config_without_placeholders_has_no_warning(clean_config: dict[str, str]) -> None:
    run = cached_run("dev", config=clean_config)
    assert "placeholders" not in render_text(Plan(run)).lower()
    assert json.loads(render_json(Plan(run)))["placeholders"] == []
    assert "Placeholders" not in render_markdown(Plan(run))


# -- `pulumi up`: refused -------------------------------------------------------------------------


def _clean(config: dict[str, str]) -> dict[str, str]:
    """The dev stack with every placeholder replaced by a value of the same kind."""
    replaced = {}
    for key, raw in config.items():
        text = raw.replace("00000000-0000-0000-0000-0000", "5f1c2e3a-7b4d-4c8e-9a0b-1d2e")
        text = text.replace("contoso.example", "contoso.com").replace("example", "prod1")
        replaced[key] = text.replace("203.0.113.0/24", "20.50.0.0/24")
    return replaced


@pytest.fixture(scope="module")
def clean_config() -> dict[str, str]:
    config, secret_keys = stack_config("dev")
    assert not secret_keys
    clean = _clean(config)
    assert find(clean) == ()
    return clean


def test_pulumi_up_refuses_a_placeholder_naming_its_key() -> None:
    config, _ = stack_config("dev")
    with pytest.raises(settings.SettingsError) as caught:
        settings.load(config, project="mlops", stack="dev", refuse_placeholders=True)
    problems = caught.value.problems
    for placeholder in find(config):
        matching = [p for p in problems if p.startswith(f"{placeholder.key}: ")]
        assert len(matching) == 1, problems
        assert "is still the example's placeholder" in matching[0]
        assert "before `pulumi up`" in matching[0]


def test_pulumi_up_registers_nothing_with_a_placeholder(clean_config: dict[str, str]) -> None:
    config = {
        **clean_config,
        "mlops:access": json.dumps(
            [{"principalId": ZERO_GUID, "principalType": "Group", "role": "AzureML Data Scientist"}]
        ),
    }
    with pytest.raises(Exception) as caught:  # Pulumi wraps the program's error
        run_program("dev", config=config, preview=False)
    found = settings_error(caught.value)
    assert isinstance(found, settings.SettingsError)
    assert len(found.problems) == 1
    assert found.problems[0].startswith("mlops:access[0].principalId: is still the example's")
    # The same config previews: the placeholder is a warning there.
    assert cached_run("dev", config=config).resources


def test_the_refusal_comes_before_any_resource_is_registered() -> None:
    config, _ = stack_config("dev")
    registered: list[str] = []

    def program() -> None:
        settings.from_pulumi()
        registered.append("resource")

    with pytest.raises(Exception) as caught:  # Pulumi wraps the program's error
        evaluate(program, stack="dev", config=config, preview=False)
    assert isinstance(settings_error(caught.value), settings.SettingsError)
    assert registered == []


def test_pulumi_up_never_examines_nor_shows_a_secret_value() -> None:
    config, _ = stack_config("dev")
    config["mlops:alerts"] = json.dumps({"webhooks": [SECRET_VALUE]})
    with pytest.raises(settings.SettingsError) as caught:
        settings.load(
            config,
            project="mlops",
            stack="dev",
            secret_keys=["mlops:alerts"],
            refuse_placeholders=True,
        )
    assert SECRET_VALUE not in str(caught.value)
    assert not any(p.startswith("mlops:alerts") for p in caught.value.problems)


def test_a_config_without_placeholders_is_accepted_in_both_modes(
    clean_config: dict[str, str],
) -> None:
    preview = cached_run("dev", config=clean_config)
    up = cached_run("dev", config=clean_config, preview=False)
    assert preview.resources
    assert [r.urn for r in up.resources] == [r.urn for r in preview.resources]
    loaded = settings.load(clean_config, project="mlops", stack="dev", refuse_placeholders=True)
    assert loaded.environment == "dev"
