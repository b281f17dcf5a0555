"""The offline engine reports what Pulumi's engine would see, run after run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pytest

import settings
from offline import engine
from offline.engine import ProgramRun, evaluate, run_program, run_to_data, stack_config
from tests.conftest import FIXTURE_STACKS, only


def test_explicit_depends_on_is_told_apart_from_dependencies_through_inputs(
    stack_runs: dict[str, ProgramRun],
) -> None:
    run = stack_runs["dev"]
    datastore = run.named("datastores-raw_sales")
    role = run.named("datastores-datastore-raw_sales-workspace-2a2b9908")
    assert datastore.depends_on == (role.urn,)
    insights = only(run, "applicationinsights:Component")
    logs = only(run, "operationalinsights:Workspace")
    assert logs.urn in insights.dependencies
    assert logs.urn not in insights.depends_on


def test_secret_stack_outputs_are_recorded_as_secret() -> None:
    def body() -> None:
        pulumi.export("plain", "visible")
        pulumi.export("hidden", pulumi.Output.secret("s3cr3t"))

    run = evaluate(body)
    assert run.secret_outputs == frozenset({"hidden"})


def test_a_failed_run_does_not_break_the_next_one() -> None:
    config, _ = stack_config("dev", FIXTURE_STACKS)
    with pytest.raises(settings.SettingsError):
        run_program("dev", config={**config, "mlops:prefix": "BAD"})
    assert len(run_program("dev", root=FIXTURE_STACKS).resources) > 20


def test_an_empty_yaml_value_is_passed_as_pulumi_passes_it(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.x.yaml").write_text("config:\n  mlops:prefix:\n", encoding="utf-8")
    config, secrets = stack_config("x", root=tmp_path)
    assert config == {"mlops:prefix": ""}
    assert secrets == ()


def test_secure_values_are_never_read_in_clear(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.x.yaml").write_text(
        "config:\n  mlops:token:\n    secure: AAABAJx0c2VjcmV0\n", encoding="utf-8"
    )
    config, secrets = stack_config("x", root=tmp_path)
    assert config == {"mlops:token": "[secret]"}
    assert secrets == ("mlops:token",)


def test_type_aliases_left_uncollapsed_change_nothing_the_engine_receives(
    stack_runs: dict[str, ProgramRun], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine skips the SDK's URNs of type-only aliases, which an engine taking alias
    specifications never reads (offline/engine.py): a run that collapses them, as the SDK does,
    registers the same resources with the same inputs, options and aliases."""
    monkeypatch.setattr(engine, "_SKIP_UNREAD_ALIASES", False)
    config, secret_keys = stack_config("prod", FIXTURE_STACKS)
    collapsed = run_program("prod", config, secret_keys)
    assert run_to_data(collapsed) == run_to_data(stack_runs["prod"])
    workspace = only(collapsed, "machinelearningservices:Workspace")
    assert any("/v20" in alias for alias in workspace.aliases)  # the SDK's type aliases


def test_an_alias_that_names_more_than_a_type_is_collapsed_as_the_sdk_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    collapsed: list[pulumi.Alias] = []
    sdk = engine._collapse_alias_to_urn

    def recording(alias: pulumi.Alias, *rest: Any) -> Any:
        collapsed.append(alias)
        return sdk(alias, *rest)

    monkeypatch.setattr(engine, "_collapse_alias_to_urn", recording)
    renamed, retyped = pulumi.Alias(name="old-thing"), pulumi.Alias(type_="test:index:Old")

    def body() -> None:
        options = pulumi.ResourceOptions(aliases=[renamed, retyped])
        pulumi.ComponentResource("test:index:Thing", "thing", opts=options)

    run = evaluate(body)
    assert collapsed == [renamed]  # the type alias, unread, is not
    assert len(run.named("thing").aliases) == 2  # both sent to the engine
