"""The offline engine reports what Pulumi's engine would see, run after run."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest

import settings
from offline.engine import ProgramRun, evaluate, run_program, stack_config
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
