"""Invariants of the repository's own stack files, whatever a team has made of them.

Every check runs for each ``Pulumi.<stack>.yaml`` at the repository root, so a new stack is
checked as soon as its file exists; nothing here names a resource or a value of those files.
A failure names the rule and what to change. What the program does with a config is specified
on the fixture stacks (tests/fixtures/stacks), never on these files.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

import settings
from offline.engine import PROJECT, ROOT, ProgramRun, stack_config
from offline.policies import check
from offline.preview import policy_lines
from tests.conftest import REAL_STACKS, real_run
from tests.test_delivery import azure_deploy_stages, deploy_jobs
from tests.test_reference import schema_errors

SCHEMA_LINE = "# yaml-language-server: $schema=schema/stack-config.schema.json"


def stack_file(stack: str) -> str:
    return f"Pulumi.{stack}.yaml"


def loaded(stack: str) -> settings.Settings:
    """The stack's settings; a refused config fails the test with the settings' problems."""
    config, secret_keys = stack_config(stack)
    try:
        return settings.load(config, project=PROJECT, stack=stack, secret_keys=secret_keys)
    except settings.SettingsError as error:
        refused = f"{stack_file(stack)}: {error}"
    pytest.fail(refused, pytrace=False)  # outside the handler: the problems, said once


def run_of(stack: str) -> ProgramRun:
    loaded(stack)
    return real_run(stack)


@pytest.mark.parametrize("stack", REAL_STACKS)
def test_stack_file_passes_the_settings_rules(stack: str) -> None:
    assert loaded(stack).stack == stack


@pytest.mark.parametrize("stack", REAL_STACKS)
def test_stack_file_matches_the_editor_schema(stack: str) -> None:
    document: Any = yaml.safe_load((ROOT / stack_file(stack)).read_text(encoding="utf-8"))
    errors = schema_errors(document)
    assert errors == [], (
        f"{stack_file(stack)} does not match schema/stack-config.schema.json: {errors}"
    )


@pytest.mark.parametrize("stack", REAL_STACKS)
def test_stack_file_points_editors_at_the_schema(stack: str) -> None:
    first = (ROOT / stack_file(stack)).read_text(encoding="utf-8").splitlines()[:1]
    assert first == [SCHEMA_LINE], (
        f"{stack_file(stack)}: make its first line `{SCHEMA_LINE}`, so editors check it as you type"
    )


@pytest.mark.parametrize("stack", REAL_STACKS)
def test_stack_passes_the_policy_pack(stack: str) -> None:
    report = check(run_of(stack))
    if report.mandatory:
        refused = f"{stack_file(stack)} fails the policy pack (`pulumi up` would refuse it):"
        pytest.fail("\n".join([refused, *policy_lines(report)]), pytrace=False)


@pytest.mark.parametrize("stack", REAL_STACKS)
def test_every_resource_is_tagged_with_the_stacks_environment(stack: str) -> None:
    run = run_of(stack)
    environment = loaded(stack).environment
    mistagged = [
        f"{r.name} ({r.inputs['tags'].get('environment')})"
        for r in run.resources
        if r.custom and isinstance(r.inputs.get("tags"), dict)
        if r.inputs["tags"].get("environment") != environment
    ]
    assert mistagged == [], (
        f"{stack_file(stack)} is environment {environment} (mlops:environment), but these "
        f"resources are tagged otherwise: {mistagged}"
    )
    assert run.outputs["environment"] == environment


def _words(stack: str) -> str:
    """An Azure Pipelines stage name for a stack: letters and digits (prod-eu → ProdEu)."""
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", stack) if part)


# Deploy stages: asked of each CI system the repository keeps, and of no other. A team that
# delivers with one of them deletes the other's files (.github/workflows/deploy.yml, or
# azure-pipelines.yml and .azure-pipelines/) and is never asked for a stage there.
GITHUB_DEPLOY = Path(".github", "workflows", "deploy.yml")
AZURE_PIPELINE = Path("azure-pipelines.yml")


def github_deploy_problem(root: Path, stack: str) -> str | None:
    """What to add to GitHub Actions for `stack` to deploy; None when it does, or when the
    repository at `root` keeps no GitHub Actions deploy workflow."""
    if not (root / GITHUB_DEPLOY).is_file():
        return None
    if stack in {job["with"]["stack"] for job in deploy_jobs(root).values()}:
        return None
    return (
        f"{stack_file(stack)} has no deploy stage in {GITHUB_DEPLOY.as_posix()}; add one after "
        "the stack it is promoted from (and a GitHub environment named after the stack):\n"
        f"  {stack}:\n"
        f"    name: {stack}\n"
        "    needs: <the job it is promoted from>\n"
        "    permissions:\n"
        "      contents: read # check out the code\n"
        "      id-token: write # OIDC token exchanged for an Azure token\n"
        "    uses: ./.github/workflows/pulumi-up.yml\n"
        "    with:\n"
        f"      stack: {stack}\n"
        "(A team that deploys with Azure Pipelines only deletes .github/workflows/deploy.yml.)"
    )


def azure_deploy_problem(root: Path, stack: str) -> str | None:
    """What to add to Azure Pipelines for `stack` to deploy; None when it does, or when the
    repository at `root` keeps no azure-pipelines.yml."""
    if not (root / AZURE_PIPELINE).is_file():
        return None
    if stack in {stage["stack"] for stage in azure_deploy_stages(root)}:
        return None
    return (
        f"{stack_file(stack)} has no deploy stage in azure-pipelines.yml; add one after the "
        "stack it is promoted from (and the Azure DevOps environment and service connection):\n"
        "  - template: .azure-pipelines/templates/deploy-stage.yml\n"
        "    parameters:\n"
        f"      name: {_words(stack)}\n"
        f"      stack: {stack}\n"
        "      dependsOn: <the stage it is promoted from>\n"
        f"      environment: mlops-{stack}\n"
        f"      serviceConnection: mlops-{stack}\n"
        "(A team that deploys with GitHub Actions only deletes azure-pipelines.yml and "
        ".azure-pipelines/.)"
    )


@pytest.mark.parametrize("stack", REAL_STACKS)
def test_github_actions_deploys_the_stack(stack: str) -> None:
    if not (ROOT / GITHUB_DEPLOY).is_file():
        pytest.skip(f"the repository keeps no {GITHUB_DEPLOY.as_posix()}")
    problem = github_deploy_problem(ROOT, stack)
    assert problem is None, problem


@pytest.mark.parametrize("stack", REAL_STACKS)
def test_azure_pipelines_deploys_the_stack(stack: str) -> None:
    if not (ROOT / AZURE_PIPELINE).is_file():
        pytest.skip("the repository keeps no azure-pipelines.yml")
    problem = azure_deploy_problem(ROOT, stack)
    assert problem is None, problem


def _repository_with(tmp_path: Path, *kept: Path) -> Path:
    """A copy of the repository's files `kept` (and nothing else) under tmp_path."""
    for path in kept:
        if not (ROOT / path).is_file():
            pytest.skip(f"the repository keeps no {path.as_posix()}")
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / path, tmp_path / path)
    return tmp_path


# A stack the repository never has: a team's own `staging` or `canary` must not clash with it.
NEW_STACK = "new-stack-of-this-test"


def test_a_repository_with_github_actions_only_is_asked_for_its_deploy_stage_alone(
    tmp_path: Path,
) -> None:
    repository = _repository_with(tmp_path, GITHUB_DEPLOY)
    # A new stack (no deploy stage anywhere) is asked for one in deploy.yml, never in Azure.
    problem = github_deploy_problem(repository, NEW_STACK)
    assert problem is not None
    assert "deploy.yml" in problem
    assert f"stack: {NEW_STACK}" in problem
    assert azure_deploy_problem(repository, NEW_STACK) is None
    # Once deploy.yml has it, nothing is asked.
    workflow = yaml.safe_load((repository / GITHUB_DEPLOY).read_text(encoding="utf-8"))
    last = list(deploy_jobs(repository))[-1]
    workflow["jobs"][NEW_STACK] = {**workflow["jobs"][last], "needs": last}
    workflow["jobs"][NEW_STACK]["with"] = {"stack": NEW_STACK}
    (repository / GITHUB_DEPLOY).write_text(yaml.safe_dump(workflow), encoding="utf-8")
    assert github_deploy_problem(repository, NEW_STACK) is None
    assert all(github_deploy_problem(repository, stack) is None for stack in REAL_STACKS)


def test_a_repository_with_azure_pipelines_only_is_asked_for_its_deploy_stage_alone(
    tmp_path: Path,
) -> None:
    template = Path(".azure-pipelines", "templates", "deploy-stage.yml")
    repository = _repository_with(tmp_path, AZURE_PIPELINE, template)
    problem = azure_deploy_problem(repository, NEW_STACK)
    assert problem is not None
    assert "azure-pipelines.yml" in problem
    assert f"stack: {NEW_STACK}" in problem
    assert github_deploy_problem(repository, NEW_STACK) is None
    pipeline = yaml.safe_load((repository / AZURE_PIPELINE).read_text(encoding="utf-8"))
    stages = azure_deploy_stages(repository)
    pipeline["stages"].append(
        {
            "template": template.as_posix(),
            "parameters": {**stages[-1], "name": NEW_STACK, "stack": NEW_STACK},
        }
    )
    (repository / AZURE_PIPELINE).write_text(yaml.safe_dump(pipeline), encoding="utf-8")
    assert azure_deploy_problem(repository, NEW_STACK) is None


def test_a_repository_without_either_system_is_asked_for_no_deploy_stage(tmp_path: Path) -> None:
    assert github_deploy_problem(tmp_path, NEW_STACK) is None
    assert azure_deploy_problem(tmp_path, NEW_STACK) is None


def _release_principal(stack: str) -> str | None:
    pipeline = loaded(stack).release_pipeline
    return None if pipeline is None else pipeline.principal_id


@pytest.mark.parametrize("stack", REAL_STACKS)
def test_the_release_pipeline_is_an_identity_of_the_stack_alone(stack: str) -> None:
    principal = _release_principal(stack)
    also = [
        stack_file(other)
        for other in REAL_STACKS
        if other != stack
        and principal is not None
        and (
            principal == _release_principal(other)
            or principal in {entry.principal_id for entry in loaded(other).access}
        )
    ]
    assert also == [], (
        f"{stack_file(stack)}: mlops:releasePipeline.principalId {principal} also has roles in "
        f"{', '.join(also)} (mlops:releasePipeline or mlops:access): approving a release of one "
        "stack would sign in to the others. Give each stack its own release identity: the "
        "bootstrap's output stacks.<stack>.releasePrincipalId"
    )
