"""Delivery pipelines: GitHub Actions workflows and Azure Pipelines.

Everything here runs offline. The workflow files are parsed and their structure asserted;
the small shell/Python scripts embedded in them are executed against temporary directories.
Validating the files against the vendored schemas (check-jsonschema) and auditing them with
zizmor is part of ``make lint``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
PR_WORKFLOW = WORKFLOWS / "pull-request.yml"
DEPLOY_WORKFLOW = WORKFLOWS / "deploy.yml"
UP_WORKFLOW = WORKFLOWS / "pulumi-up.yml"
MODEL_WORKFLOW = WORKFLOWS / "deploy-model.yml"
AZURE_PIPELINE = ROOT / "azure-pipelines.yml"
AZURE_TEMPLATES = ROOT / ".azure-pipelines" / "templates"
PR_COMMENT_SCRIPT = ROOT / ".azure-pipelines" / "scripts" / "pr_comment.py"
TOOLS = Path(sys.executable).parent

# A team may keep one CI system and delete the other's files: each system's tests run while
# its files are in the repository (tests/test_stack_files.py asks for deploy stages alike).
GITHUB_ACTIONS = pytest.mark.skipif(
    not WORKFLOWS.is_dir(), reason="the repository keeps no .github/workflows (GitHub Actions)"
)
AZURE_PIPELINES = pytest.mark.skipif(
    not AZURE_PIPELINE.is_file(), reason="the repository keeps no azure-pipelines.yml"
)

FULL_SHA_PIN = re.compile(
    r"^\s*(?:-\s+)?uses:\s+(?P<action>[\w.-]+/[\w./-]+)@(?P<ref>\S+)(?:\s+#\s*(?P<comment>.*))?$"
)


def load(path: Path) -> dict[str, Any]:
    # libyaml's safe loader: the same documents as yaml.safe_load's, a tenth of its time (these
    # tests read a pipeline file some 200 times).
    return yaml.load(path.read_text(), Loader=yaml.CSafeLoader)


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the bare key `on` as the boolean True.
    return workflow.get("on", workflow.get(True))


def all_workflows() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml"))


def job_steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps", [])


def steps_using(action: str) -> Iterator[tuple[Path, str, dict[str, Any], dict[str, Any]]]:
    """(file, job id, job, step) for every step that uses `action`."""
    for path in all_workflows():
        for job_id, job in load(path)["jobs"].items():
            for step in job_steps(job):
                if step.get("uses", "").split("@")[0] == action:
                    yield path, job_id, job, step


def repository_stacks() -> list[str]:
    return sorted(
        p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in ROOT.glob("Pulumi.*.yaml")
    )


def run_script(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # `python3` in the scripts resolves to this interpreter's venv, like on a runner with Python.
    path = f"{TOOLS}{os.pathsep}{os.environ.get('PATH', '')}"
    full_env = {**os.environ, "PATH": path, **env}
    return subprocess.run(
        ["bash", "-c", script], cwd=cwd, env=full_env, capture_output=True, text=True, check=False
    )


def gh_stacks_step() -> dict[str, Any]:
    steps = load(PR_WORKFLOW)["jobs"]["stacks"]["steps"]
    return next(step for step in steps if step.get("id") == "list")


def ado_split_step() -> dict[str, Any]:
    preview = next(s for s in load(AZURE_PIPELINE)["stages"] if s.get("stage") == "Preview")
    job = next(j for j in preview["jobs"] if j.get("job") == "Stacks")
    return next(step for step in job["steps"] if step.get("name") == "list")


def cloud_preview_stacks() -> list[str]:
    """azure-pipelines.yml's compile-time list of the stacks pull requests preview in the cloud."""
    (parameter,) = [
        p for p in load(AZURE_PIPELINE)["parameters"] if p["name"] == "cloudPreviewStacks"
    ]
    assert parameter["type"] == "object"
    return parameter["default"]


Listing = tuple[subprocess.CompletedProcess[str], list[str]]
Split = tuple[subprocess.CompletedProcess[str], list[str], list[str]]


def list_with_github(directory: Path, scratch: Path) -> Listing:
    """Run the stacks job's list step; its result and the stacks (GITHUB_OUTPUT)."""
    output = scratch / "github_output"
    output.write_text("")
    result = run_script(gh_stacks_step()["run"], directory, {"GITHUB_OUTPUT": str(output)})
    if result.returncode != 0:
        return result, []
    values = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert list(values) == ["stacks"]
    return result, json.loads(values["stacks"])


AZURE_OUTPUT = "##vso[task.setvariable variable={};isOutput=true]"


def split_with_azure(
    directory: Path, credentials: bool, connected: list[str] | None = None
) -> Split:
    """Run the Stacks job's split step, with the pipeline's compile-time list of cloud preview
    stacks unless `connected` replaces it; its result, cloud and offline stacks."""
    listed = cloud_preview_stacks() if connected is None else connected
    env = {"IS_FORK": "False" if credentials else "True", "CLOUD_PREVIEW_STACKS": ",".join(listed)}
    result = run_script(ado_split_step()["script"], directory, env)
    values = {}
    for name in ("cloud", "offline"):
        lines = [x for x in result.stdout.splitlines() if x.startswith(AZURE_OUTPUT.format(name))]
        values[name] = lines[0].removeprefix(AZURE_OUTPUT.format(name)) if lines else None
    if values["cloud"] is None or values["offline"] is None:
        return result, [], []
    # Between commas, the stage conditions look for `,<stack>,`.
    assert values["cloud"].startswith(",")
    assert values["cloud"].endswith(",")
    cloud = [stack for stack in values["cloud"].split(",") if stack]
    offline = json.loads(values["offline"])
    assert all(leg == {"stack": stack} for stack, leg in offline.items())
    return result, cloud, list(offline)


def discover_with_azure(directory: Path, scratch: Path) -> Listing:
    del scratch  # the Azure Pipelines step prints its logging commands to stdout
    result, cloud, offline = split_with_azure(directory, True)
    return result, sorted(cloud + offline)


# Per pipeline, every stack its pull-request previews cover.
DISCOVERY = {"github": list_with_github, "azure-pipelines": discover_with_azure}
PIPELINES = [
    pytest.param("github", marks=GITHUB_ACTIONS),
    pytest.param("azure-pipelines", marks=AZURE_PIPELINES),
]


def write_project(directory: Path, stack_files: dict[str, str]) -> None:
    """A checkout with these stack files (name: content) and the split script."""
    (directory / "Pulumi.yaml").write_text("name: mlops\n")
    (directory / "Pulumi.dev.yaml.bak").write_text("")
    (directory / "README.md").write_text("")
    (directory / "delivery").mkdir()
    shutil.copy(ROOT / "delivery" / "preview_stacks.py", directory / "delivery")
    for name, content in stack_files.items():
        (directory / name).write_text(content)


def config(environment: str) -> str:
    return f"config:\n  mlops:prefix: contoso\n  mlops:environment: {environment}\n"


# ---------------------------------------------------------------- GitHub Actions: triggers


@GITHUB_ACTIONS
def test_pull_request_workflow_runs_on_pull_requests_to_main() -> None:
    assert triggers(load(PR_WORKFLOW)) == {"pull_request": {"branches": ["main"]}}


@GITHUB_ACTIONS
def test_deploy_workflow_runs_only_on_push_to_main() -> None:
    assert triggers(load(DEPLOY_WORKFLOW)) == {"push": {"branches": ["main"]}}


@GITHUB_ACTIONS
def test_pulumi_up_workflow_can_only_be_called_by_another_workflow() -> None:
    assert list(triggers(load(UP_WORKFLOW))) == ["workflow_call"]


def test_no_workflow_uses_a_privileged_pull_request_trigger() -> None:
    for path in all_workflows():
        assert not {"pull_request_target", "workflow_run"} & set(triggers(load(path))), path.name


# ------------------------------------------------------ Pull requests: the stacks they preview


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_pull_requests_preview_every_stack_file_of_the_repository(
    pipeline: str, tmp_path: Path
) -> None:
    result, stacks = DISCOVERY[pipeline](ROOT, tmp_path)
    assert result.returncode == 0, result.stderr
    assert stacks == repository_stacks()


@GITHUB_ACTIONS
def test_github_pull_requests_preview_every_stack_offline(tmp_path: Path) -> None:
    # No pull request's token matches a federated credential: the one list is the offline
    # preview's matrix, whatever the stacks' environments.
    write_project(
        tmp_path,
        {
            "Pulumi.dev.yaml": config("dev"),
            "Pulumi.prod.yaml": config("prod"),
            "Pulumi.staging.yaml": "config: {}\n",
        },
    )
    result, stacks = list_with_github(tmp_path, tmp_path)
    assert result.returncode == 0, result.stderr
    assert stacks == ["dev", "prod", "staging"]


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_stack_discovery_fails_when_there_is_no_stack_file(pipeline: str, tmp_path: Path) -> None:
    write_project(tmp_path, {})
    result, _ = DISCOVERY[pipeline](tmp_path, tmp_path)
    assert result.returncode != 0


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_stack_discovery_rejects_a_stack_name_that_is_not_plain(
    pipeline: str, tmp_path: Path
) -> None:
    write_project(tmp_path, {"Pulumi.dev.yaml": config("dev"), "Pulumi.dev;curl evil.yaml": ""})
    result, _ = DISCOVERY[pipeline](tmp_path, tmp_path)
    assert result.returncode != 0


@GITHUB_ACTIONS
def test_github_preview_matrix_is_the_stack_list() -> None:
    jobs = load(PR_WORKFLOW)["jobs"]
    assert jobs["stacks"]["outputs"] == {"stacks": "${{ steps.list.outputs.stacks }}"}
    job = jobs["preview-offline"]
    assert job["strategy"]["matrix"] == {"stack": "${{ fromJSON(needs.stacks.outputs.stacks) }}"}
    assert job["strategy"]["fail-fast"] is False


@GITHUB_ACTIONS
def test_previews_run_beside_the_tests_not_after_them() -> None:
    jobs = load(PR_WORKFLOW)["jobs"]
    assert "make test" in [step.get("run") for step in job_steps(jobs["test"])]
    assert jobs["preview-offline"]["needs"] == "stacks"
    assert "needs" not in jobs["stacks"]


# ------------------------------ Pull requests: the benchmark's smoke test, the documentation site

SMOKE_TEST = "make --no-print-directory bench-smoke"
SCREENSHOT = "build/site-check/architecture.png"  # what `make site-check` leaves
PULL_REQUESTS_ONLY = "and(succeeded(), eq(variables['Build.Reason'], 'PullRequest'))"


@GITHUB_ACTIONS
def test_pull_requests_run_the_benchmarks_smoke_test_after_the_tests() -> None:
    commands = [step.get("run") for step in job_steps(load(PR_WORKFLOW)["jobs"]["test"])]
    assert commands.index("make test") < commands.index(SMOKE_TEST)


@GITHUB_ACTIONS
def test_pull_requests_build_the_site_then_test_it_in_chromium() -> None:
    steps = job_steps(load(PR_WORKFLOW)["jobs"]["site"])
    commands = [step["run"] for step in steps if "run" in step]
    assert commands == ["make site", "sudo make browser", "make site-check"]


@GITHUB_ACTIONS
def test_pull_requests_keep_the_site_checks_screenshot_as_an_artifact() -> None:
    steps = job_steps(load(PR_WORKFLOW)["jobs"]["site"])
    (upload,) = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert steps.index(upload) > [step.get("run") for step in steps].index("make site-check")
    assert upload["with"]["path"] == SCREENSHOT
    assert upload["if"] == "${{ !cancelled() }}"  # a failed check's screenshot too


@AZURE_PIPELINES
def test_azure_pull_requests_run_the_benchmarks_smoke_test_after_the_tests() -> None:
    (job,) = [job for job in azure_stage("Test")["jobs"] if job["job"] == "Test"]
    steps = job["steps"]
    (tests,) = [s for s in steps if s.get("template", "").endswith("uv-steps.yml")]
    (smoke,) = [s for s in steps if s.get("script") == SMOKE_TEST]
    assert tests["parameters"] == {"target": "test"}
    assert steps.index(tests) < steps.index(smoke)
    assert smoke["condition"] == PULL_REQUESTS_ONLY


@AZURE_PIPELINES
def test_azure_pull_requests_build_the_site_test_it_in_chromium_and_keep_the_screenshot() -> None:
    (job,) = [job for job in azure_stage("Test")["jobs"] if job["job"] == "Site"]
    assert job["condition"] == PULL_REQUESTS_ONLY
    steps = job["steps"]
    (site,) = [s for s in steps if s.get("template", "").endswith("uv-steps.yml")]
    assert site["parameters"] == {"target": "site"}  # make site
    commands = [step["script"] for step in steps if "script" in step]
    assert commands == ["sudo make browser", "make site-check"]
    assert steps.index(site) == 1  # after the checkout, before the browser test
    (publish,) = [s for s in steps if s.get("task") == "PublishPipelineArtifact@1"]
    assert steps[-1] == publish
    assert publish["inputs"]["targetPath"] == SCREENSHOT
    assert publish["condition"] == "succeededOrFailed()"  # a failed check's screenshot too


# ----------------------------------- Azure DevOps pull requests: which stacks preview in the cloud


@AZURE_PIPELINES
def test_azure_pull_requests_preview_dev_and_qa_in_the_cloud_and_prod_and_shared_offline() -> None:
    # The preview identities of prod and shared can decrypt their secrets: a pull request's code
    # never runs as them.
    result, cloud, offline = split_with_azure(ROOT, True)
    assert result.returncode == 0, result.stderr
    assert {"dev", "qa"} <= set(cloud) and {"prod", "shared"} <= set(offline)
    # A team's other stacks go one way or the other, by their files (the next test).
    assert sorted(cloud + offline) == repository_stacks()


@AZURE_PIPELINES
def test_the_cloud_preview_stacks_are_those_the_split_lets_preview_in_the_cloud() -> None:
    # azure-pipelines.yml needs the list at compile time (one stage and service connection per
    # stack); the split decides from the stack files. Neither may drift from the other: a stack
    # missing from the list would lose its cloud preview, a protected one would get a stage that
    # never runs (and a connection that admits no pull request).
    from delivery.preview_stacks import split  # noqa: PLC0415 - the module under test

    cloud, _ = split(ROOT, frozenset(repository_stacks()))
    assert cloud_preview_stacks() == cloud


@AZURE_PIPELINES
def test_the_cloud_preview_stacks_are_those_the_example_bootstrap_opens_to_pull_requests() -> None:
    # Only their preview connections admit refs/pull/* (bootstrap/azure_devops.py): a listed
    # stack whose connection does not would fail its stage on the connection's branch control.
    example = load(ROOT / "bootstrap" / "Pulumi.example.yaml")["config"]
    opened = [s["name"] for s in example["mlops-bootstrap:stacks"] if s.get("pullRequestPreviews")]
    assert sorted(opened) == cloud_preview_stacks()


@AZURE_PIPELINES
def test_a_stack_of_environment_prod_or_shared_is_previewed_offline_whatever_its_name(
    tmp_path: Path,
) -> None:
    write_project(
        tmp_path,
        {
            "Pulumi.dev.yaml": config("dev"),
            "Pulumi.prod-eu.yaml": config("prod"),
            "Pulumi.registry.yaml": config('"shared"  # the model registry'),
            "Pulumi.staging.yaml": config("'qa'"),
        },
    )
    connected = ["dev", "prod-eu", "registry", "staging"]
    result, cloud, offline = split_with_azure(tmp_path, True, connected)
    assert result.returncode == 0, result.stderr
    assert (cloud, offline) == (["dev", "staging"], ["prod-eu", "registry"])


@AZURE_PIPELINES
def test_a_stack_named_prod_or_shared_is_previewed_offline_whatever_its_environment(
    tmp_path: Path,
) -> None:
    # The preview identity belongs to the stack: a pull request that edits Pulumi.prod.yaml's
    # environment, and lists prod for the cloud, still gets prod's offline preview.
    write_project(tmp_path, {"Pulumi.prod.yaml": config("dev"), "Pulumi.shared.yaml": config("qa")})
    result, cloud, offline = split_with_azure(tmp_path, True, ["prod", "shared"])
    assert result.returncode == 0, result.stderr
    assert (cloud, offline) == ([], ["prod", "shared"])


@AZURE_PIPELINES
def test_a_stack_file_without_an_environment_is_of_the_environment_named_after_it(
    tmp_path: Path,
) -> None:
    commented = "# mlops:environment: prod would make it a prod stack\nconfig:\n  mlops:prefix: c\n"
    write_project(
        tmp_path,
        {"Pulumi.staging.yaml": commented, "Pulumi.shared.yaml": "config: {}\n"},
    )
    result, cloud, offline = split_with_azure(tmp_path, True, ["shared", "staging"])
    assert result.returncode == 0, result.stderr
    assert (cloud, offline) == (["staging"], ["shared"])


@AZURE_PIPELINES
def test_a_stack_without_a_cloud_preview_connection_is_previewed_offline(tmp_path: Path) -> None:
    # staging's preview connection admits refs/heads/main only (no pullRequestPreviews): not in
    # the list, it gets the offline preview rather than none. A listed stack without a stack
    # file previews nothing.
    write_project(tmp_path, {"Pulumi.dev.yaml": config("dev"), "Pulumi.staging.yaml": config("qa")})
    result, cloud, offline = split_with_azure(tmp_path, True, ["dev", "qa"])
    assert result.returncode == 0, result.stderr
    assert (cloud, offline) == (["dev"], ["staging"])


@AZURE_PIPELINES
def test_a_run_without_cloud_credentials_previews_every_stack_offline() -> None:
    result, cloud, offline = split_with_azure(ROOT, False)
    assert result.returncode == 0, result.stderr
    assert (cloud, offline) == ([], repository_stacks())


@pytest.mark.parametrize("is_fork", ["True", "", "$(System.PullRequest.IsFork)"])
@AZURE_PIPELINES
def test_azure_pipeline_previews_offline_unless_it_knows_the_build_is_no_fork(
    is_fork: str, tmp_path: Path
) -> None:
    env = {"IS_FORK": is_fork, "CLOUD_PREVIEW_STACKS": "dev,qa"}
    result = run_script(ado_split_step()["script"], ROOT, env)
    assert result.returncode == 0, result.stderr
    assert f"{AZURE_OUTPUT.format('cloud')}," in result.stdout.splitlines()


@pytest.mark.parametrize(
    "stack_file",
    [
        "config: {mlops:environment: dev}\n",
        "config:\n  mlops:environment: dev\n  mlops:environment: prod\n",
        "config:\n  mlops:environment:\n    - dev\n",
    ],
)
@AZURE_PIPELINES
def test_a_stack_file_that_sets_its_environment_otherwise_than_plainly_is_refused(
    stack_file: str, tmp_path: Path
) -> None:
    write_project(tmp_path, {"Pulumi.dev.yaml": config("dev"), "Pulumi.prod.yaml": stack_file})
    result, _, _ = split_with_azure(tmp_path, True, ["dev"])
    assert result.returncode != 0
    assert "Pulumi.prod.yaml: set mlops:environment once" in result.stderr


@pytest.mark.parametrize(
    "arguments",
    [
        ["--format", "azure-pipelines"],
        ["--format", "github", "--cloud-stacks", "dev"],
        ["--format", "azure-pipelines", "--cloud-stacks", "dev,qa;curl evil"],
    ],
)
def test_the_split_takes_the_cloud_preview_stacks_with_the_azure_format_only(
    arguments: list[str], tmp_path: Path
) -> None:
    from delivery.preview_stacks import main  # noqa: PLC0415 - the module under test

    write_project(tmp_path, {"Pulumi.dev.yaml": config("dev")})
    with pytest.raises(SystemExit) as exit_:
        main(arguments, tmp_path)
    assert exit_.value.code == 2


# ------------------------------------------------------- GitHub Actions: preview and up


def pulumi_commands() -> Iterator[tuple[Path, str, dict[str, Any]]]:
    """(file, job id, step) for every pulumi/actions step that runs a command."""
    for path, job_id, _, step in steps_using("pulumi/actions"):
        if "command" in step["with"]:
            yield path, job_id, step


def test_no_pull_request_runs_pulumi_against_the_cloud() -> None:
    assert not [path for path, _, _ in pulumi_commands() if path == PR_WORKFLOW]


@GITHUB_ACTIONS
def test_every_pulumi_preview_and_up_refreshes_first_with_the_policy_pack() -> None:
    found = list(pulumi_commands())
    assert {step["with"]["command"] for _, _, step in found} == {"preview", "up"}
    for path, job_id, step in found:
        assert step["with"]["refresh"] is True, (path.name, job_id)
        assert step["with"]["policyPacks"] == "policy", (path.name, job_id)


@GITHUB_ACTIONS
def test_deploy_runs_pulumi_up_with_the_policy_pack_for_the_called_stack() -> None:
    (step,) = [s for path, job_id, s in pulumi_commands() if (path, job_id) == (UP_WORKFLOW, "up")]
    assert step["with"]["command"] == "up"
    assert step["with"]["policyPacks"] == "policy"
    assert step["with"]["stack-name"].endswith("${{ inputs.stack }}")


def pinned_version(package: str) -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    (pin,) = [d for d in project["dependencies"] if d.startswith(f"{package}==")]
    return pin.removeprefix(f"{package}==")


def test_pulumi_cli_version_follows_the_pinned_sdk(tmp_path: Path) -> None:
    sdk = pinned_version("pulumi")
    for path, job_id, job, step in steps_using("pulumi/actions"):
        assert step["with"]["pulumi-version"] == "${{ steps.pulumi-version.outputs.version }}"
        (reader,) = [s for s in job_steps(job) if s.get("id") == "pulumi-version"]
        output = tmp_path / f"{path.stem}-{job_id}"
        output.write_text("")
        result = run_script(reader["run"], ROOT, {"GITHUB_OUTPUT": str(output)})
        assert result.returncode == 0, result.stderr
        assert output.read_text().splitlines() == [f"version={sdk}"], (path.name, job_id)


@GITHUB_ACTIONS
def test_state_backend_and_secrets_provider_are_chosen_by_repository_variables() -> None:
    found = list(pulumi_commands())
    assert found
    for path, job_id, step in found:
        where = (path.name, job_id)
        assert step["with"]["cloud-url"] == "${{ vars.PULUMI_BACKEND_URL }}", where
        assert step["with"]["secrets-provider"] == "${{ vars.PULUMI_SECRETS_PROVIDER }}", where
        assert step["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}", where


# ---------------------------------------------------------------- GitHub Actions: OIDC


@GITHUB_ACTIONS
def test_azure_login_uses_oidc_and_no_client_secret() -> None:
    found = list(steps_using("azure/login"))
    assert {job_id for _, job_id, _, _ in found} == {"preview", "up", "outputs", "deploy"}
    for path, job_id, job, step in found:
        assert set(step["with"]) == {"client-id", "tenant-id", "subscription-id"}, job_id
        assert job["permissions"]["id-token"] == "write", (path.name, job_id)


def test_pulumi_azure_provider_authenticates_with_the_oidc_token() -> None:
    for path, job_id, job, _ in steps_using("pulumi/actions"):
        assert job["env"]["ARM_USE_OIDC"] == "true", (path.name, job_id)
        assert job["env"]["ARM_CLIENT_ID"] == "${{ vars.AZURE_CLIENT_ID }}", (path.name, job_id)


def test_no_workflow_mentions_a_client_secret() -> None:
    for path in all_workflows():
        text = path.read_text()
        for needle in ("CLIENT_SECRET", "client-secret", "creds:"):
            assert needle not in text, (path.name, needle)


@GITHUB_ACTIONS
def test_jobs_with_cloud_credentials_run_in_a_github_environment() -> None:
    up_jobs = load(UP_WORKFLOW)["jobs"]
    assert up_jobs["preview"]["environment"] == "preview-${{ inputs.stack }}"
    assert up_jobs["up"]["environment"] == "${{ inputs.stack }}"


# ------------------------------------------ GitHub Actions: pull requests preview offline only


@GITHUB_ACTIONS
def test_no_pull_request_job_asks_for_an_oidc_token() -> None:
    # No federated credential matches a pull request's subject (refs/pull/<n>/merge): a job
    # that asked for a token would get one that Azure refuses, or, with a credential widened by
    # mistake, sign in with the pull request's unreviewed code.
    workflow = load(PR_WORKFLOW)
    assert "id-token" not in workflow["permissions"]
    for job_id, job in workflow["jobs"].items():
        assert "id-token" not in job.get("permissions", {}), job_id


@GITHUB_ACTIONS
def test_no_pull_request_job_runs_in_a_github_environment() -> None:
    # An environment's variables and secrets (the preview identity, PULUMI_ACCESS_TOKEN) stay
    # with the deploy workflow.
    for job_id, job in load(PR_WORKFLOW)["jobs"].items():
        assert "environment" not in job, job_id


@GITHUB_ACTIONS
def test_no_pull_request_job_signs_in_to_azure_or_reads_a_secret() -> None:
    text = PR_WORKFLOW.read_text()
    assert "azure/login" not in text
    assert "secrets." not in text
    assert "vars.AZURE_" not in text


BASE_SHA = "0123456789abcdef0123456789abcdef01234567"


def fake_make(tmp_path: Path) -> dict[str, str]:
    """A PATH whose `make` prints its arguments."""
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "make").write_text('#!/bin/sh\necho "make $*"\n')
    (fake_bin / "make").chmod(0o755)
    return {"PATH": f"{fake_bin}{os.pathsep}{os.environ['PATH']}"}


@GITHUB_ACTIONS
def test_offline_preview_writes_the_diff_against_the_base_to_the_job_summary(
    tmp_path: Path,
) -> None:
    job = load(PR_WORKFLOW)["jobs"]["preview-offline"]
    step = job_steps(job)[-1]
    # The base commit through the environment (no expression in the script: zizmor).
    assert step["env"] == {
        "STACK": "${{ matrix.stack }}",
        "BASE_SHA": "${{ github.event.pull_request.base.sha }}",
    }
    summary = tmp_path / "summary.md"
    env = {"STACK": "qa", "BASE_SHA": BASE_SHA, "GITHUB_STEP_SUMMARY": str(summary)}
    result = run_script(step["run"], tmp_path, {**env, **fake_make(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert f"preview STACK=qa FORMAT=markdown BASE={BASE_SHA}" in summary.read_text()


@GITHUB_ACTIONS
def test_offline_preview_checks_out_the_history_holding_the_base_commit() -> None:
    # A fork's pull request is no exception: every pull request previews offline, with the diff.
    job = load(PR_WORKFLOW)["jobs"]["preview-offline"]
    (checkout,) = (s for s in job_steps(job) if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    assert "if" not in job


@GITHUB_ACTIONS
def test_offline_preview_has_no_cloud_permissions() -> None:
    job = load(PR_WORKFLOW)["jobs"]["preview-offline"]
    assert job["permissions"] == {"contents": "read"}
    assert "environment" not in job


# -------------------------------------------------- GitHub Actions: promotion and locks


def deploy_jobs(root: Path = ROOT) -> dict[str, dict[str, Any]]:
    """deploy.yml's deploy stages (the jobs calling pulumi-up.yml) of the repository at `root`."""
    jobs = load(root / DEPLOY_WORKFLOW.relative_to(ROOT))["jobs"]
    return {k: v for k, v in jobs.items() if v.get("uses") == "./.github/workflows/pulumi-up.yml"}


def promoted_from(stages: dict[str, str], first: str) -> dict[str, list[str]]:
    """Per stage (in file order, each naming the one it waits for), the stages before it.

    Each must wait for a stage defined above it, the first for ``first`` (the tests): a
    promotion chain, whatever stacks a team adds to it.
    """
    before: dict[str, list[str]] = {}
    for index, (stage, needs) in enumerate(stages.items()):
        allowed = [first] if index == 0 else list(before)
        assert needs in allowed, f"deploy stage {stage} must wait for one of {allowed}"
        before[stage] = [] if index == 0 else [needs, *before[needs]]
    return before


@GITHUB_ACTIONS
def test_deploy_promotes_shared_then_dev_then_qa_then_prod() -> None:
    jobs = deploy_jobs()
    before = promoted_from({job_id: job["needs"] for job_id, job in jobs.items()}, "test")
    assert "shared" in before["dev"]
    assert "dev" in before["qa"]
    assert "qa" in before["prod"]


@GITHUB_ACTIONS
def test_each_stage_deploys_through_the_environment_named_after_its_stack() -> None:
    for job_id, job in deploy_jobs().items():
        assert job["with"] == {"stack": job_id}
    assert load(UP_WORKFLOW)["jobs"]["up"]["environment"] == "${{ inputs.stack }}"


@GITHUB_ACTIONS
def test_two_updates_of_one_stack_never_run_at_the_same_time() -> None:
    concurrency = load(UP_WORKFLOW)["jobs"]["up"]["concurrency"]
    assert concurrency == {"group": "pulumi-up-${{ inputs.stack }}", "cancel-in-progress": False}


@GITHUB_ACTIONS
def test_pull_request_previews_do_not_share_the_deploy_concurrency_group() -> None:
    # A pending job in a group replaces the pending one before it: a preview must never
    # be able to cancel a queued deployment.
    for job_id, job in load(PR_WORKFLOW)["jobs"].items():
        assert "pulumi-up-" not in str(job.get("concurrency", "")), job_id


# ------------------------------------------- Deploy gate: approve a change set, apply it only

URN = "urn:pulumi:dev::mlops::mlops:workspace:WorkspaceStack$azure-native:{type}::{name}"
STORAGE = URN.format(type="storage:StorageAccount", name="ml-storage")
VAULT = URN.format(type="keyvault:Vault", name="key-vault-vault")
CLUSTER = URN.format(type="machinelearningservices:Compute", name="gpu-cluster")


def preview_json(*steps: dict[str, Any]) -> dict[str, Any]:
    """What `pulumi preview --json` prints (the CLI's PreviewDigest), with the given steps."""
    return {"steps": list(steps), "changeSummary": {}, "duration": 1}


def fake_run(document: dict[str, Any], returncode: int = 0) -> Any:
    def run(command: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(command, returncode, json.dumps(document), "")

    return run


def test_change_set_lists_what_would_change_sorted_and_leaves_out_unchanged_steps() -> None:
    from delivery.changes import change_set  # noqa: PLC0415 - the module under test

    preview = preview_json(
        {"op": "update", "urn": VAULT},
        {"op": "same", "urn": STORAGE},
        {"op": "refresh", "urn": STORAGE},
        {"op": "read", "urn": STORAGE},
        {"op": "create", "urn": CLUSTER},
    )
    assert change_set(preview) == [f"create {CLUSTER}", f"update {VAULT}"]


def test_change_set_names_the_properties_that_differ() -> None:
    from delivery.changes import change_set  # noqa: PLC0415 - the module under test

    step = {
        "op": "replace",
        "urn": STORAGE,
        "diffReasons": ["sku"],
        "replaceReasons": ["location"],
        "detailedDiff": {"sku.name": {"kind": "update", "inputDiff": True}},
    }
    assert change_set(preview_json(step)) == [f"replace {STORAGE} [location, sku, sku.name]"]


def test_change_set_of_a_preview_without_changes_says_so() -> None:
    from delivery.changes import change_set  # noqa: PLC0415 - the module under test

    assert change_set(preview_json({"op": "same", "urn": STORAGE})) == ["no changes"]


def test_change_set_comes_from_a_refreshed_preview_with_the_policy_pack(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from delivery.changes import main  # noqa: PLC0415 - the module under test

    commands: list[list[str]] = []

    def run(command: list[str]) -> subprocess.CompletedProcess[str]:
        commands.append(command)
        return fake_run(preview_json({"op": "create", "urn": STORAGE}))(command)

    assert main(["--stack", "org/dev"], run) == 0
    (command,) = commands
    assert command[:2] == ["pulumi", "preview"]
    assert {"--refresh", "--json", "--non-interactive"} <= set(command)
    assert command[command.index("--policy-pack") + 1] == "policy"
    assert command[command.index("--stack") + 1] == "org/dev"
    assert capsys.readouterr().out.splitlines() == [f"create {STORAGE}"]


def test_change_set_fails_with_the_previews_errors_when_the_preview_fails(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from delivery.changes import main  # noqa: PLC0415 - the module under test

    failed = {"diagnostics": [{"message": "error: program failed\n", "severity": "error"}]}
    assert main(["--stack", "dev"], fake_run(failed, returncode=255)) == 1
    assert "program failed" in capsys.readouterr().err


@GITHUB_ACTIONS
def test_deploy_previews_before_the_approval_and_applies_after_it() -> None:
    jobs = load(UP_WORKFLOW)["jobs"]
    assert list(jobs) == ["preview", "up"]
    assert jobs["up"]["needs"] == "preview"
    # The gate (required reviewers) is on the environment <stack>: only `up` waits for it.
    assert jobs["preview"]["environment"] == "preview-${{ inputs.stack }}"
    assert jobs["up"]["environment"] == "${{ inputs.stack }}"
    (preview,) = [
        s for path, job_id, s in pulumi_commands() if (path, job_id) == (UP_WORKFLOW, "preview")
    ]
    assert preview["with"]["command"] == "preview"
    assert preview["with"]["comment-on-summary"] is True


@GITHUB_ACTIONS
def test_deploy_preview_and_up_check_out_the_same_commit() -> None:
    for job_id, job in load(UP_WORKFLOW)["jobs"].items():
        (checkout,) = [
            s for s in job_steps(job) if s.get("uses", "").startswith("actions/checkout@")
        ]
        assert checkout["with"]["ref"] == "${{ github.sha }}", job_id


def up_job_steps() -> list[dict[str, Any]]:
    return job_steps(load(UP_WORKFLOW)["jobs"]["up"])


def gate_step() -> dict[str, Any]:
    (step,) = [s for s in up_job_steps() if "delivery/changes.py" in s.get("run", "")]
    return step


def record_step() -> dict[str, Any]:
    steps = job_steps(load(UP_WORKFLOW)["jobs"]["preview"])
    return next(step for step in steps if step.get("id") == "changes")


@GITHUB_ACTIONS
def test_gated_job_compares_with_the_approved_change_set_before_pulumi_up() -> None:
    jobs = load(UP_WORKFLOW)["jobs"]
    assert jobs["preview"]["outputs"]["changes"] == "${{ steps.changes.outputs.changes }}"
    assert gate_step()["env"]["APPROVED_CHANGES"] == "${{ needs.preview.outputs.changes }}"
    up = next(s for s in up_job_steps() if s.get("with", {}).get("command") == "up")
    assert up_job_steps().index(gate_step()) < up_job_steps().index(up)


def fake_pulumi(directory: Path, preview: dict[str, Any]) -> dict[str, str]:
    """A `pulumi` on the PATH that logs its arguments and prints `preview` for --json."""
    bin_dir = directory / "bin"
    bin_dir.mkdir(parents=True)
    (directory / "preview.json").write_text(json.dumps(preview))
    script = bin_dir / "pulumi"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{directory}/pulumi.log"\n'
        f'case " $* " in *" --json "*) cat "{directory}/preview.json" ;; esac\n'
    )
    script.chmod(0o755)
    return {"PATH": f"{bin_dir}{os.pathsep}{TOOLS}{os.pathsep}{os.environ['PATH']}"}


def github_output_value(output: Path, name: str) -> str:
    lines = output.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{name}<<"))
    delimiter = lines[start].removeprefix(f"{name}<<")
    end = lines.index(delimiter, start + 1)
    return "\n".join(lines[start + 1 : end])


def record_and_apply(
    tmp_path: Path, approved: dict[str, Any], fresh: dict[str, Any]
) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run the preview job's record step, then the up job's gate, on two fake previews."""
    output, summary = tmp_path / "output", tmp_path / "summary.md"
    output.write_text("")
    env = {
        "STACK_NAME": "dev",
        "GITHUB_SHA": "0" * 40,
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    record = run_script(
        record_step()["run"], ROOT, {**env, **fake_pulumi(tmp_path / "before", approved)}
    )
    assert record.returncode == 0, record.stderr
    env["APPROVED_CHANGES"] = github_output_value(output, "changes")
    gate = run_script(gate_step()["run"], ROOT, {**env, **fake_pulumi(tmp_path / "after", fresh)})
    return gate, summary.read_text()


@GITHUB_ACTIONS
def test_gated_job_passes_when_the_fresh_preview_is_the_approved_change_set(tmp_path: Path) -> None:
    preview = preview_json({"op": "update", "urn": STORAGE, "diffReasons": ["sku"]})
    gate, summary = record_and_apply(tmp_path, preview, preview)
    assert gate.returncode == 0, gate.stdout + gate.stderr
    assert f"update {STORAGE} [sku]" in summary
    assert "Applying the approved change set" in summary
    log = (tmp_path / "after" / "pulumi.log").read_text()
    assert "preview --refresh --policy-pack policy --json --non-interactive --stack dev" in log


@GITHUB_ACTIONS
def test_gated_job_stops_when_the_stack_changed_since_the_approval(tmp_path: Path) -> None:
    approved = preview_json({"op": "update", "urn": STORAGE, "diffReasons": ["sku"]})
    drifted = preview_json(
        {"op": "update", "urn": STORAGE, "diffReasons": ["sku"]},
        {"op": "update", "urn": VAULT, "diffReasons": ["properties"]},
    )
    gate, summary = record_and_apply(tmp_path, approved, drifted)
    assert gate.returncode != 0
    assert "Stopped: a fresh preview differs from the approved change set" in summary
    assert f"+update {VAULT} [properties]" in summary


# ------------------------------------------------ Installs: uv from the lock, cached on uv.lock

SETUP_UV = {
    "version-file": "pyproject.toml",
    "resolution-strategy": "lowest",
    "enable-cache": True,
    "cache-dependency-glob": "uv.lock",
}


@GITHUB_ACTIONS
def test_every_job_that_runs_make_sets_up_uv_first_with_a_cache_keyed_on_the_lock() -> None:
    jobs_with_make = []
    for path in all_workflows():
        for job_id, job in load(path)["jobs"].items():
            steps = job_steps(job)
            makes = [i for i, s in enumerate(steps) if re.search(r"\bmake\b", s.get("run", ""))]
            if not makes:
                continue
            jobs_with_make.append((path.name, job_id))
            uv = [
                i
                for i, s in enumerate(steps)
                if s.get("uses", "").startswith("astral-sh/setup-uv@")
            ]
            assert len(uv) == 1, (path.name, job_id)
            assert uv[0] < makes[0], (path.name, job_id)
            assert steps[uv[0]]["with"] == SETUP_UV, (path.name, job_id)
    assert len(jobs_with_make) == 6


def test_jobs_that_run_pulumi_build_both_environments_and_never_relock() -> None:
    # Pulumi syncs .venv (Pulumi.yaml) and policy/.venv (PulumiPolicy.yaml) with uv itself.
    # (Reading stack outputs runs neither: deploy-model.yml installs the CLI alone.)
    for path, job_id, job, step in steps_using("pulumi/actions"):
        if "command" not in step.get("with", {}) and path == MODEL_WORKFLOW:
            continue
        assert job["env"]["UV_LOCKED"] == "1", (path.name, job_id)
        assert any(s.get("run") == "make venv" for s in job_steps(job)), (path.name, job_id)


# ---------------------------------------------------- GitHub Actions: hardening


def test_workflows_grant_no_permissions_by_default() -> None:
    for path in all_workflows():
        assert load(path)["permissions"] == {}, path.name


EXPECTED_PERMISSIONS = {
    ("pull-request.yml", "test"): {"contents": "read"},
    ("pull-request.yml", "stacks"): {"contents": "read"},
    ("pull-request.yml", "preview-offline"): {"contents": "read"},
    ("pull-request.yml", "site"): {"contents": "read"},
    ("deploy.yml", "test"): {"contents": "read"},
    ("deploy-model.yml", "outputs"): {"contents": "read", "id-token": "write"},
    ("deploy-model.yml", "deploy"): {"id-token": "write"},
    ("pulumi-up.yml", "preview"): {"contents": "read", "id-token": "write"},
    ("pulumi-up.yml", "up"): {"contents": "read", "id-token": "write"},
}
# Every deploy stage (one per stack, however many a team adds): check out, and sign in with OIDC.
DEPLOY_PERMISSIONS = {"contents": "read", "id-token": "write"}


@GITHUB_ACTIONS
def test_every_job_gets_exactly_the_permissions_it_needs() -> None:
    actual = {
        (path.name, job_id): job.get("permissions")
        for path in all_workflows()
        for job_id, job in load(path)["jobs"].items()
    }
    deploy = {("deploy.yml", job_id): DEPLOY_PERMISSIONS for job_id in deploy_jobs()}
    assert len(deploy) >= 3
    assert actual == {**EXPECTED_PERMISSIONS, **deploy}


@GITHUB_ACTIONS
def test_third_party_actions_are_pinned_to_a_full_commit_sha_with_its_version() -> None:
    pins = 0
    for path in all_workflows():
        for line in path.read_text().splitlines():
            match = FULL_SHA_PIN.match(line)
            if not match:
                assert not re.match(r"^\s*(-\s+)?uses:\s+[^.]", line), (path.name, line)
                continue
            pins += 1
            assert re.fullmatch(r"[0-9a-f]{40}", match["ref"]), (path.name, line)
            assert re.fullmatch(r"v\d+\.\d+\.\d+", match["comment"] or ""), (path.name, line)
    assert pins > 0


def test_each_action_is_pinned_to_the_same_commit_everywhere() -> None:
    pins: dict[str, set[str]] = {}
    for path in all_workflows():
        for line in path.read_text().splitlines():
            if match := FULL_SHA_PIN.match(line):
                pins.setdefault(match["action"], set()).add(f"{match['ref']} {match['comment']}")
    assert {action: len(refs) for action, refs in pins.items()} == dict.fromkeys(pins, 1)


@GITHUB_ACTIONS
def test_checkout_does_not_leave_the_token_on_disk() -> None:
    found = list(steps_using("actions/checkout"))
    assert found
    for path, job_id, _, step in found:
        assert step["with"]["persist-credentials"] is False, (path.name, job_id)


def test_run_steps_take_expressions_through_the_environment_only() -> None:
    for path in all_workflows():
        for job_id, job in load(path)["jobs"].items():
            for step in job_steps(job):
                assert "${{" not in step.get("run", ""), (path.name, job_id, step.get("name"))


# ------------------------------------------------------------------- Azure Pipelines


def azure_pipeline_files() -> list[Path]:
    return [AZURE_PIPELINE, *sorted(AZURE_TEMPLATES.glob("*.yml"))]


def azure_stage(name: str) -> dict[str, Any]:
    return next(s for s in load(AZURE_PIPELINE)["stages"] if s.get("stage") == name)


def azure_deploy_stages(root: Path = ROOT) -> list[dict[str, Any]]:
    """azure-pipelines.yml's deploy stages (their template parameters) in the repository `root`."""
    stages = load(root / AZURE_PIPELINE.relative_to(ROOT))["stages"]
    template = ".azure-pipelines/templates/deploy-stage.yml"
    return [s["parameters"] for s in stages if s.get("template") == template]


def pulumi_steps_template() -> dict[str, Any]:
    return load(AZURE_TEMPLATES / "pulumi-steps.yml")


def azure_cli_step() -> dict[str, Any]:
    return next(s for s in pulumi_steps_template()["steps"] if s.get("task") == "AzureCLI@2")


@AZURE_PIPELINES
def test_azure_pipeline_runs_on_main_and_validates_pull_requests_to_main() -> None:
    pipeline = load(AZURE_PIPELINE)
    assert pipeline["trigger"] == {"branches": {"include": ["main"]}}
    assert pipeline["pr"] == {"branches": {"include": ["main"]}}


@AZURE_PIPELINES
def test_azure_pipeline_previews_only_pull_requests_beside_the_tests() -> None:
    preview = azure_stage("Preview")
    assert preview["dependsOn"] == []
    assert "eq(variables['Build.Reason'], 'PullRequest')" in preview["condition"]


CLOUD_PREVIEW_EACH = "${{ each stack in parameters.cloudPreviewStacks }}"
STAGE_ID = "${{ replace(replace(stack, '-', '_'), '.', '_') }}"


def azure_cloud_preview_stage() -> dict[str, Any]:
    """The stage azure-pipelines.yml repeats per stack of cloudPreviewStacks, as written."""
    (each,) = [s for s in load(AZURE_PIPELINE)["stages"] if CLOUD_PREVIEW_EACH in s]
    (stage,) = each[CLOUD_PREVIEW_EACH]
    return stage


PULUMI_CLOUD = "${{ if eq(parameters.stateBackend, 'pulumiCloud') }}"
STATE_BACKEND = "${{ parameters.stateBackend }}"


def with_state_backend(node: Any, backend: str) -> Any:
    """``node`` with its PULUMI_CLOUD conditions compiled for ``backend``: a list item or mapping
    key under the condition is kept (spliced in) for pulumiCloud, dropped for bootstrap."""
    if isinstance(node, list):
        items: list[Any] = []
        for item in node:
            if isinstance(item, dict) and list(item) == [PULUMI_CLOUD]:
                items += (
                    with_state_backend(item[PULUMI_CLOUD], backend)
                    if backend != "bootstrap"
                    else []
                )
            else:
                items.append(with_state_backend(item, backend))
        return items
    if isinstance(node, dict):
        mapping: dict[str, Any] = {}
        for key, value in node.items():
            if key == PULUMI_CLOUD:
                mapping |= with_state_backend(value, backend) if backend != "bootstrap" else {}
            else:
                mapping[key] = with_state_backend(value, backend)
        return mapping
    return node


def cloud_preview_stage_of(stack: str, backend: str = "bootstrap") -> dict[str, Any]:
    """That stage as Azure Pipelines compiles it for one stack and state backend (the
    expressions it uses)."""
    text = json.dumps(azure_cloud_preview_stage())
    text = text.replace(STAGE_ID, stack.replace("-", "_").replace(".", "_"))
    text = text.replace("${{ stack }}", stack).replace(STATE_BACKEND, backend)
    stage = with_state_backend(json.loads(text), backend)
    assert "${{" not in json.dumps(stage)
    return stage


@AZURE_PIPELINES
def test_azure_pipeline_offline_preview_matrix_is_the_split_offline_list() -> None:
    jobs = {job["job"]: job for job in azure_stage("Preview")["jobs"]}
    assert list(jobs) == ["Stacks", "PreviewOffline"]
    assert ado_split_step()["env"] == {
        "IS_FORK": "$(System.PullRequest.IsFork)",
        "CLOUD_PREVIEW_STACKS": "${{ join(',', parameters.cloudPreviewStacks) }}",
    }
    assert jobs["PreviewOffline"]["dependsOn"] == "Stacks"
    assert jobs["PreviewOffline"]["strategy"] == {
        "matrix": "$[ dependencies.Stacks.outputs['list.offline'] ]"
    }


@AZURE_PIPELINES
def test_azure_pipeline_offline_preview_without_stacks_does_not_run(tmp_path: Path) -> None:
    offline = next(j for j in azure_stage("Preview")["jobs"] if j["job"] == "PreviewOffline")
    assert "ne(dependencies.Stacks.outputs['list.offline'], '{}')" in offline["condition"]
    # What the split prints for a matrix without legs is what the condition compares with.
    write_project(tmp_path, {"Pulumi.dev.yaml": config("dev")})
    result, cloud, _ = split_with_azure(tmp_path, True, ["dev"])
    assert cloud == ["dev"]
    assert f"{AZURE_OUTPUT.format('offline')}{{}}" in result.stdout.splitlines()


@pytest.mark.parametrize("target", ["refs/heads/main", "main"])
@AZURE_PIPELINES
def test_azure_pipeline_offline_preview_writes_the_diff_against_the_target_to_the_build_summary(
    tmp_path: Path, target: str
) -> None:
    offline = next(j for j in azure_stage("Preview")["jobs"] if j["job"] == "PreviewOffline")
    checkout = offline["steps"][0]
    assert checkout["checkout"] == "self"
    assert str(checkout["fetchDepth"]) == "0"  # every branch, the target's history with it
    step = offline["steps"][-1]
    assert step["env"] == {
        "STACK": "$(stack)",
        "TARGET_BRANCH": "$(System.PullRequest.TargetBranch)",
    }
    # Azure Repos names the target refs/heads/main, GitHub repositories main.
    env = {"STACK": "qa", "TARGET_BRANCH": target, "AGENT_TEMPDIRECTORY": str(tmp_path)}
    result = run_script(step["script"], tmp_path, {**env, **fake_make(tmp_path)})
    assert result.returncode == 0, result.stderr
    summary = tmp_path / "offline-preview-qa.md"
    assert "preview STACK=qa FORMAT=markdown BASE=origin/main" in summary.read_text()
    assert f"##vso[task.uploadsummary]{summary}" in result.stdout


@AZURE_PIPELINES
def test_azure_pipeline_previews_each_listed_stack_in_the_cloud_with_its_own_connection() -> None:
    stacks = cloud_preview_stacks()
    assert stacks
    for stack in stacks:
        stage = cloud_preview_stage_of(stack)
        # A stage's name takes letters, digits and underscores (prod-eu: Preview_prod_eu).
        assert stage["stage"] == f"Preview_{stack}"
        (job,) = stage["jobs"]
        (pulumi,) = [s for s in job["steps"] if "pulumi-steps.yml" in s.get("template", "")]
        assert pulumi["parameters"] == {
            "command": "preview",
            "stack": stack,
            "serviceConnection": f"mlops-preview-{stack}",
            "stateBackend": "bootstrap",
        }
    assert cloud_preview_stage_of("prod-eu.2")["stage"] == "Preview_prod_eu_2"


@AZURE_PIPELINES
def test_a_cloud_preview_stage_runs_only_for_a_stack_the_split_put_in_the_cloud(
    tmp_path: Path,
) -> None:
    stage = cloud_preview_stage_of("dev")
    # After the Preview stage (its Stacks job makes the list), whatever its offline previews
    # gave; never for a fork, never outside a pull request, never once the run is cancelled.
    assert stage["dependsOn"] == "Preview"
    condition = " ".join(stage["condition"].split())
    assert condition == (
        "and(not(canceled()), eq(variables['Build.Reason'], 'PullRequest'), "
        "ne(variables['System.PullRequest.IsFork'], 'True'), "
        "contains(dependencies.Preview.outputs['Stacks.list.cloud'], ',dev,'))"
    )
    assert ado_split_step()["name"] == "list"
    # What the split prints is what the conditions look for, a stack's name exactly.
    write_project(tmp_path, {"Pulumi.dev-eu.yaml": config("dev"), "Pulumi.qa.yaml": config("qa")})
    result, cloud, _ = split_with_azure(tmp_path, True, ["dev", "dev-eu", "qa"])
    assert cloud == ["dev-eu", "qa"]
    prefix = AZURE_OUTPUT.format("cloud")
    (value,) = [x.removeprefix(prefix) for x in result.stdout.splitlines() if x.startswith(prefix)]
    for stack, runs in (("dev", False), ("dev-eu", True), ("qa", True)):
        marker = re.search(r"'(,[^']*,)'\)\)$", cloud_preview_stage_of(stack)["condition"])
        assert marker is not None
        assert (marker[1] in value) is runs, stack


@AZURE_PIPELINES
def test_azure_pipeline_promotes_shared_then_dev_then_qa_then_prod_through_environments() -> None:
    stages = azure_deploy_stages()
    before = promoted_from({s["name"]: s["dependsOn"] for s in stages}, "Test")
    name = {s["stack"]: s["name"] for s in stages}
    assert name["shared"] in before[name["dev"]]
    assert name["dev"] in before[name["qa"]]
    assert name["qa"] in before[name["prod"]]
    assert [s["environment"] for s in stages] == [f"mlops-{s['stack']}" for s in stages]


def azure_deploy_template_stages() -> tuple[dict[str, Any], dict[str, Any]]:
    preview, deploy = load(AZURE_TEMPLATES / "deploy-stage.yml")["stages"]
    return preview, deploy


@AZURE_PIPELINES
def test_azure_deploy_stage_is_a_deployment_job_on_main_only() -> None:
    preview, stage = azure_deploy_template_stages()
    (job,) = stage["jobs"]
    assert job["environment"] == "${{ parameters.environment }}"
    assert preview["dependsOn"] == "${{ parameters.dependsOn }}"
    for each in (preview, stage):
        assert "succeeded()" in each["condition"]
        assert "eq(variables['Build.SourceBranch'], 'refs/heads/main')" in each["condition"]
        assert "ne(variables['Build.Reason'], 'PullRequest')" in each["condition"]
    assert stage["lockBehavior"] == "sequential"


def deploy_stage_jobs_steps() -> dict[str, list[dict[str, Any]]]:
    """Per job of the deploy-stage template (deployment jobs included), its steps."""
    steps = {}
    for stage in azure_deploy_template_stages():
        for job in stage["jobs"]:
            name = job.get("job") or job["deployment"]
            strategy = job.get("strategy", {}).get("runOnce", {}).get("deploy", {})
            steps[f"{stage['stage']}/{name}"] = job.get("steps") or strategy["steps"]
    return steps


@AZURE_PIPELINES
def test_every_job_of_a_deploy_stage_first_refuses_a_run_that_is_not_of_main() -> None:
    jobs = deploy_stage_jobs_steps()
    assert len(jobs) == 2
    for job, steps in jobs.items():
        assert steps[0] == {"template": "main-only.yml"}, job


def run_main_only(branch: str, reason: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    (step,) = load(AZURE_TEMPLATES / "main-only.yml")["steps"]
    assert step["env"] == {"SOURCE_BRANCH": "$(Build.SourceBranch)", "REASON": "$(Build.Reason)"}
    return run_script(step["script"], tmp_path, {"SOURCE_BRANCH": branch, "REASON": reason})


@pytest.mark.parametrize("reason", ["IndividualCI", "BatchedCI", "Manual"])
@AZURE_PIPELINES
def test_a_deploy_job_goes_on_in_a_run_of_main(reason: str, tmp_path: Path) -> None:
    assert run_main_only("refs/heads/main", reason, tmp_path).returncode == 0


@pytest.mark.parametrize(
    ("branch", "reason"),
    [
        ("refs/pull/7/merge", "PullRequest"),
        ("refs/heads/main", "PullRequest"),
        ("refs/heads/feature", "Manual"),
        ("refs/heads/feature", "IndividualCI"),
        ("refs/heads/main-copy", "IndividualCI"),
        ("refs/tags/v1", "IndividualCI"),
    ],
)
@AZURE_PIPELINES
def test_a_deploy_job_stops_in_any_other_run(branch: str, reason: str, tmp_path: Path) -> None:
    result = run_main_only(branch, reason, tmp_path)
    assert result.returncode != 0
    assert "##vso[task.logissue type=error]Deploy stages run for refs/heads/main only" in (
        result.stdout
    )


@AZURE_PIPELINES
def test_azure_deploy_previews_each_stack_in_a_stage_before_its_approval() -> None:
    # Approvals on an environment hold the whole stage that deploys to it: the preview for the
    # approvers is a stage of its own, before it, with the stack's read-only preview connection.
    preview, deploy = azure_deploy_template_stages()
    assert preview["stage"] == "${{ parameters.name }}Preview"
    assert deploy["stage"] == "${{ parameters.name }}"
    assert deploy["dependsOn"] == "${{ parameters.name }}Preview"
    (job,) = preview["jobs"]
    assert "deployment" not in job
    (steps,) = [s for s in job["steps"] if s.get("template") == "pulumi-steps.yml"]
    assert steps["parameters"]["command"] == "review"
    assert steps["parameters"]["serviceConnection"] == "mlops-preview-${{ parameters.stack }}"


@AZURE_PIPELINES
def test_azure_deployment_downloads_the_approved_change_set_before_pulumi() -> None:
    _, deploy = azure_deploy_template_stages()
    (job,) = deploy["jobs"]
    steps = job["strategy"]["runOnce"]["deploy"]["steps"]
    (download,) = [s for s in steps if "download" in s]
    (pulumi,) = [s for s in steps if s.get("template") == "pulumi-steps.yml"]
    assert download == {
        "download": "current",
        "displayName": "The approved change set",
        "artifact": "changes-${{ parameters.stack }}",
    }
    assert pulumi["parameters"]["command"] == "up"
    assert steps.index(download) < steps.index(pulumi)


@AZURE_PIPELINES
def test_azure_review_publishes_the_change_set_it_recorded() -> None:
    steps = pulumi_steps_template()["steps"]
    (conditional,) = [s for s in steps if "${{ if eq(parameters.command, 'review') }}" in s]
    (publish,) = conditional["${{ if eq(parameters.command, 'review') }}"]
    assert publish["publish"] == "$(Agent.TempDirectory)/changes-${{ parameters.stack }}"
    assert publish["artifact"] == "changes-${{ parameters.stack }}"


def run_azure_pulumi_script(
    command: str, directory: Path, preview: dict[str, Any], workspace: Path
) -> subprocess.CompletedProcess[str]:
    """The AzureCLI@2 inline script with fake `az` and `pulumi`, as the agent would run it."""
    env = fake_pulumi(directory, preview)
    (directory / "bin" / "az").write_text("#!/bin/sh\necho 11111111-1111-1111-1111-111111111111\n")
    (directory / "bin" / "az").chmod(0o755)
    (directory / "tmp").mkdir()
    env |= {
        "COMMAND": command,
        "STACK": "qa",
        "idToken": "token",
        "servicePrincipalId": "client",
        "tenantId": "tenant",
        "AGENT_TEMPDIRECTORY": str(directory / "tmp"),
        "PIPELINE_WORKSPACE": str(workspace),
        "BUILD_SOURCEVERSION": "0" * 40,
    }
    return run_script(azure_cli_step()["inputs"]["inlineScript"], ROOT, env)


def azure_review_then_up(
    tmp_path: Path, approved: dict[str, Any], fresh: dict[str, Any]
) -> tuple[subprocess.CompletedProcess[str], str]:
    review = run_azure_pulumi_script("review", tmp_path / "review", approved, tmp_path)
    assert review.returncode == 0, review.stdout + review.stderr
    # What the publish step uploads and the deployment job's download step brings back.
    published = tmp_path / "review" / "tmp" / "changes-qa"
    assert f"##vso[task.uploadsummary]{published}/summary.md" in review.stdout
    shutil.copytree(published, tmp_path / "changes-qa")
    up = run_azure_pulumi_script("up", tmp_path / "up", fresh, tmp_path)
    return up, (tmp_path / "up" / "pulumi.log").read_text()


@AZURE_PIPELINES
def test_azure_up_applies_the_approved_change_set(tmp_path: Path) -> None:
    preview = preview_json({"op": "create", "urn": CLUSTER})
    up, log = azure_review_then_up(tmp_path, preview, preview)
    assert up.returncode == 0, up.stdout + up.stderr
    assert "Applying the approved change set" in up.stdout
    assert "up --yes --skip-preview --refresh --policy-pack policy" in log


@AZURE_PIPELINES
def test_azure_up_stops_when_the_stack_changed_since_the_approval(tmp_path: Path) -> None:
    approved = preview_json({"op": "create", "urn": CLUSTER})
    drifted = preview_json({"op": "create", "urn": CLUSTER}, {"op": "delete", "urn": VAULT})
    up, log = azure_review_then_up(tmp_path, approved, drifted)
    assert up.returncode != 0
    assert f"+delete {VAULT}" in up.stdout
    assert not [line for line in log.splitlines() if line.startswith("up ")]


@AZURE_PIPELINES
def test_azure_pipeline_authenticates_through_service_connections() -> None:
    step = azure_cli_step()
    assert step["inputs"]["azureSubscription"] == "${{ parameters.serviceConnection }}"
    assert step["inputs"]["addSpnToEnvironment"] is True
    script = step["inputs"]["inlineScript"]
    assert 'ARM_OIDC_TOKEN="$idToken"' in script
    assert "servicePrincipalKey" not in script


@AZURE_PIPELINES
def test_azure_pipeline_uses_a_separate_service_connection_per_stack_and_purpose() -> None:
    # Per stack, mlops-<stack> deploys and mlops-preview-<stack> previews (before each approval,
    # and for pull requests of the listed stacks): no connection serves two stacks.
    preview, _ = azure_deploy_template_stages()
    (review,) = [s for s in preview["jobs"][0]["steps"] if s.get("template") == "pulumi-steps.yml"]
    previews = {
        stage["stack"]: review["parameters"]["serviceConnection"].replace(
            "${{ parameters.stack }}", stage["stack"]
        )
        for stage in azure_deploy_stages()
    }
    connections = [s["serviceConnection"] for s in azure_deploy_stages()]
    connections += previews.values()
    assert len(set(connections)) == len(connections) >= 2
    for stack in cloud_preview_stacks():
        (job,) = cloud_preview_stage_of(stack)["jobs"]
        assert job["steps"][-1]["parameters"]["serviceConnection"] == previews[stack]


# mlops-preview- followed by the stack: <stack> in a comment, ${{ stack }} or
# ${{ parameters.stack }} in YAML.
PREVIEW_CONNECTION_WITHOUT_A_STACK = re.compile(
    r"mlops-preview(?!-(?:<stack>|\$\{\{ (?:parameters\.)?stack \}\}))"
)


@AZURE_PIPELINES
def test_no_pipeline_file_names_a_preview_connection_without_a_stack() -> None:
    # The one mlops-preview connection read every stack; each stack has its own now.
    assert PREVIEW_CONNECTION_WITHOUT_A_STACK.search("serviceConnection: mlops-preview\n")
    for path in [*azure_pipeline_files(), *all_workflows()]:
        found = PREVIEW_CONNECTION_WITHOUT_A_STACK.findall(path.read_text())
        assert not found, path.name


# ------------------------------------------- Azure Pipelines: Pulumi Cloud tokens per stack


def state_backend_parameter() -> dict[str, Any]:
    (parameter,) = [p for p in load(AZURE_PIPELINE)["parameters"] if p["name"] == "stateBackend"]
    return parameter


def pulumi_jobs() -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(where, job, its pulumi-steps.yml step) for every job that runs Pulumi, as written: the
    cloud preview stage's and the deploy-stage template's."""
    (job,) = azure_cloud_preview_stage()["jobs"]
    yield "Preview_<stack>", job, job["steps"][-1]
    for stage in azure_deploy_template_stages():
        for job in stage["jobs"]:
            strategy = job.get("strategy", {}).get("runOnce", {}).get("deploy", {})
            steps = job.get("steps") or strategy["steps"]
            (pulumi,) = [s for s in steps if s.get("template") == "pulumi-steps.yml"]
            yield f"{stage['stage']}/{job.get('job') or job['deployment']}", job, pulumi


@AZURE_PIPELINES
def test_the_pipeline_state_backend_is_the_example_bootstraps() -> None:
    # With pulumiCloud every job that runs Pulumi reads a group the bootstrap creates only with
    # azureDevOps.pulumiCloud: true; without it, none exists.
    parameter = state_backend_parameter()
    assert parameter["type"] == "string"
    assert parameter["values"] == ["bootstrap", "pulumiCloud"]
    example = load(ROOT / "bootstrap" / "Pulumi.example.yaml")["config"]
    cloud = example["mlops-bootstrap:azureDevOps"].get("pulumiCloud", False)
    assert parameter["default"] == ("pulumiCloud" if cloud else "bootstrap")


@AZURE_PIPELINES
def test_every_job_that_runs_pulumi_reads_its_token_from_its_stack_own_group() -> None:
    # The deploy stage's group holds a token that writes that stack alone, the previews' one that
    # only reads it: each under the checks of the matching connection (bootstrap/azure_devops.py).
    expected = {
        "Preview_<stack>": "mlops-preview-${{ stack }}",
        "${{ parameters.name }}Preview/Preview": "mlops-preview-${{ parameters.stack }}",
        "${{ parameters.name }}/Up": "mlops-${{ parameters.stack }}",
    }
    found = {}
    for where, job, pulumi in pulumi_jobs():
        assert pulumi["parameters"]["stateBackend"] == STATE_BACKEND, where
        (conditional,) = job["variables"]
        (group,) = conditional[PULUMI_CLOUD]
        found[where] = group["group"]
    assert found == expected


@AZURE_PIPELINES
def test_the_stacks_token_groups_are_those_the_bootstrap_creates() -> None:
    from bootstrap.config import StackAccess  # noqa: PLC0415 - the names the bootstrap gives

    compiled = {}
    for stage in azure_deploy_stages():
        text = json.dumps(load(AZURE_TEMPLATES / "deploy-stage.yml")["stages"])
        text = text.replace("${{ parameters.stack }}", stage["stack"])
        text = text.replace(STATE_BACKEND, "pulumiCloud")
        preview, deploy = with_state_backend(json.loads(text), "pulumiCloud")
        compiled[stage["stack"]] = (
            preview["jobs"][0]["variables"],
            deploy["jobs"][0]["variables"],
        )
    assert sorted(compiled) == repository_stacks()
    for stack, (preview, deploy) in compiled.items():
        access = StackAccess.model_construct(name=stack)
        assert preview == [{"group": access.azure_devops_preview_variable_group}], stack
        assert deploy == [{"group": access.azure_devops_variable_group}], stack
    for stack in cloud_preview_stacks():
        (job,) = cloud_preview_stage_of(stack, "pulumiCloud")["jobs"]
        access = StackAccess.model_construct(name=stack)
        assert job["variables"] == [{"group": access.azure_devops_preview_variable_group}]
        (no_group,) = cloud_preview_stage_of(stack)["jobs"]
        assert no_group["variables"] == []


@AZURE_PIPELINES
def test_no_pipeline_reads_a_pulumi_token_from_the_shared_variable_group() -> None:
    # mlops-pulumi reaches every run, a branch's or a pull request's: it holds no secret.
    groups = [v["group"] for v in load(AZURE_PIPELINE)["variables"] if "group" in v]
    assert groups == ["mlops-pulumi"]
    env = azure_cli_step()["env"]
    assert "PULUMI_ACCESS_TOKEN" not in env
    # Only with Pulumi Cloud, from the job's own group (which overrides the pipeline's).
    assert env[PULUMI_CLOUD] == {"PULUMI_ACCESS_TOKEN": "$(PULUMI_ACCESS_TOKEN)"}
    assert "PULUMI_ACCESS_TOKEN" not in with_state_backend(env, "bootstrap")
    for path in azure_pipeline_files():
        uses = path.read_text().count("$(PULUMI_ACCESS_TOKEN)")
        assert uses == (1 if path.name == "pulumi-steps.yml" else 0), path.name


@AZURE_PIPELINES
def test_azure_pipeline_refreshes_and_runs_the_policy_pack_for_preview_and_up() -> None:
    script = azure_cli_step()["inputs"]["inlineScript"]
    commands = re.findall(r"^\s*pulumi (?:preview|up)\b.*$", script, re.M)
    assert {c.split()[1] for c in commands} == {"preview", "up"}
    for command in commands:
        assert "--refresh" in command.split(), command
        assert re.search(r"--policy-pack policy\b", command), command


@AZURE_PIPELINES
def test_azure_pipeline_installs_from_the_lock_with_the_uv_cache_keyed_on_it() -> None:
    uv_steps = load(AZURE_TEMPLATES / "uv-steps.yml")["steps"]
    (cache,) = [s for s in uv_steps if s.get("task") == "Cache@2"]
    assert "uv.lock" in cache["inputs"]["key"].split(" | ")
    assert cache["inputs"]["path"] == "$(UV_CACHE_DIR)"
    variables = {v["name"]: v["value"] for v in load(AZURE_PIPELINE)["variables"] if "name" in v}
    assert variables["UV_CACHE_DIR"] == "$(Pipeline.Workspace)/.uv-cache"
    # Pulumi's own `uv sync` may not rewrite the lock either.
    assert variables["UV_LOCKED"] == "1"
    make = uv_steps[-1]
    assert make["script"].splitlines()[1] == 'make "$TARGET"'


@AZURE_PIPELINES
def test_azure_pipeline_runs_make_only_through_the_uv_steps() -> None:
    jobs = {job["job"]: job for job in azure_stage("Test")["jobs"]}
    jobs |= {job["job"]: job for job in azure_stage("Preview")["jobs"]}
    targets = {
        "Test": "test",
        "Site": "site",
        "PreviewOffline": "runtime",
    }
    for job_id, target in targets.items():
        (uv,) = [s for s in jobs[job_id]["steps"] if s.get("template", "").endswith("uv-steps.yml")]
        assert uv["parameters"] == {"target": target}, job_id
    (uv,) = [s for s in pulumi_steps_template()["steps"] if s.get("template") == "uv-steps.yml"]
    assert uv["parameters"] == {"target": "venv"}
    for path in azure_pipeline_files():
        if path.name != "uv-steps.yml":
            assert not re.search(
                r"^\s*-?\s*script: make (test|venv|runtime)\b", path.read_text(), re.M
            )


@AZURE_PIPELINES
def test_azure_pipeline_posts_the_preview_on_the_pull_request() -> None:
    steps = pulumi_steps_template()["steps"]
    (conditional,) = [s for s in steps if "${{ if eq(parameters.command, 'preview') }}" in s]
    (comment,) = conditional["${{ if eq(parameters.command, 'preview') }}"]
    assert "pr_comment.py" in comment["script"]
    assert comment["env"]["SYSTEM_ACCESSTOKEN"] == "$(System.AccessToken)"
    assert "succeededOrFailed()" in comment["condition"]


# ------------------------------------------------------- Azure Pipelines: PR comment


@pytest.fixture(scope="module")
def pr_comment() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pr_comment", PR_COMMENT_SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FakeAzureRepos:
    """The three pull-request thread endpoints the comment script uses, in memory."""

    def __init__(self, threads: list[dict[str, Any]]) -> None:
        self.threads = threads
        self.calls: list[tuple[str, str]] = []

    def __call__(self, method: str, url: str, body: dict[str, Any] | None) -> Any:
        self.calls.append((method, url.split("?", maxsplit=1)[0].removeprefix("https://pr")))
        if method == "GET":
            return {"value": self.threads}
        assert body is not None
        if method == "POST":
            self.threads.append(
                {"id": len(self.threads) + 1, "comments": [{"id": 1, **body["comments"][0]}]}
            )
            return {}
        thread_id, comment_id = map(int, re.findall(r"/(\d+)", url)[-2:])
        thread = next(t for t in self.threads if t["id"] == thread_id)
        next(c for c in thread["comments"] if c["id"] == comment_id)["content"] = body["content"]
        return {}


@AZURE_PIPELINES
def test_pr_comment_opens_a_thread_when_the_stack_has_none(pr_comment: ModuleType) -> None:
    repos = FakeAzureRepos([])
    assert pr_comment.upsert(repos, "https://pr", "dev", "body") == "created"
    assert repos.calls == [("GET", "/threads"), ("POST", "/threads")]
    assert repos.threads[0]["comments"][0]["content"] == "body"


@AZURE_PIPELINES
def test_pr_comment_edits_the_earlier_comment_of_the_same_stack(pr_comment: ModuleType) -> None:
    repos = FakeAzureRepos([])
    first = pr_comment.render("dev", "+ 3 to create", "https://build")
    second = pr_comment.render("dev", "+ 1 to create", "https://build")
    pr_comment.upsert(repos, "https://pr", "dev", first)
    assert pr_comment.upsert(repos, "https://pr", "dev", second) == "updated"
    assert len(repos.threads) == 1
    assert repos.calls[-1] == ("PATCH", "/threads/1/comments/1")
    assert "+ 1 to create" in repos.threads[0]["comments"][0]["content"]


@AZURE_PIPELINES
def test_pr_comment_keeps_one_comment_per_stack(pr_comment: ModuleType) -> None:
    repos = FakeAzureRepos([])
    for stack in ("dev", "qa", "dev", "qa"):
        pr_comment.upsert(repos, "https://pr", stack, pr_comment.render(stack, "out", "b"))
    assert len(repos.threads) == 2


@AZURE_PIPELINES
def test_pr_comment_keeps_the_summary_at_the_end_of_long_output(pr_comment: ModuleType) -> None:
    output = "x" * 200_000 + "\nResources: 12 unchanged"
    body = pr_comment.render("prod", output, "https://build")
    assert len(body) < 70_000
    assert "Resources: 12 unchanged" in body
    assert "trimmed" in body


@AZURE_PIPELINES
def test_pr_comment_does_nothing_outside_azure_repos(
    pr_comment: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--stack", "dev", "--output", str(tmp_path / "none.txt")]
    assert pr_comment.main(args, env={"BUILD_REPOSITORY_PROVIDER": "GitHub"}) == 0
    assert "no comment posted" in capsys.readouterr().out


# -------------------------------------------------- GitHub Actions: deploying a model version


@GITHUB_ACTIONS
def test_a_model_version_is_deployed_only_by_hand_with_what_it_needs() -> None:
    workflow = load(MODEL_WORKFLOW)
    (trigger,) = triggers(workflow)
    assert trigger == "workflow_dispatch"
    inputs = triggers(workflow)["workflow_dispatch"]["inputs"]
    required = {"environment", "model", "version", "endpoint", "deployment"}
    assert set(inputs) == required | {"instance_type"}
    # The stacks with a workspace that models are released to, dev, qa and prod among them.
    options = inputs["environment"]["options"]
    assert {"dev", "qa", "prod"} <= set(options) <= set(repository_stacks()) - {"shared"}
    assert all(inputs[name]["required"] for name in required)
    # Left empty, the endpoint's serving in the stack outputs picks it.
    assert inputs["instance_type"]["required"] is False
    assert inputs["instance_type"]["default"] == ""


@GITHUB_ACTIONS
def test_the_model_deployment_reads_outputs_read_only_and_deploys_as_the_release_pipeline() -> None:
    jobs = load(MODEL_WORKFLOW)["jobs"]
    assert jobs["outputs"]["environment"] == "preview-${{ inputs.environment }}"
    assert jobs["deploy"]["environment"] == "release-${{ inputs.environment }}"
    assert jobs["deploy"]["needs"] == "outputs"


@GITHUB_ACTIONS
def test_the_model_deployment_takes_the_model_from_the_registry() -> None:
    (step,) = [s for s in job_steps(load(MODEL_WORKFLOW)["jobs"]["deploy"]) if "run" in s]
    assert 'model="azureml://registries/$REGISTRY/models/$MODEL/versions/$VERSION"' in step["run"]
    assert "az ml online-deployment create" in step["run"]


@GITHUB_ACTIONS
def test_the_model_deployment_never_reads_the_private_registry_from_the_runner() -> None:
    # A private registry refuses a GitHub-hosted runner; Azure ML resolves the model itself.
    for job in load(MODEL_WORKFLOW)["jobs"].values():
        for step in job_steps(job):
            assert "--registry-name" not in step.get("run", ""), step.get("name")


MODEL_OUTPUTS: dict[str, Any] = {
    "resourceGroupName": "rg-mlops-qa",
    "workspaceName": "mlw-mlops-qa",
    "modelRegistryName": "mlreg-shared",
    "endpointNames": {
        "churn-score": "churn-score-ab12",
        "churn-aks": "churn-aks-ab12",
        "churn-batch": "churn-batch-ab12",
    },
    "endpointServing": {
        "churn-score": {"serving": "managedOnline", "compute": None},
        "churn-aks": {"serving": "kubernetesOnline", "compute": "aks-scoring"},
        "churn-batch": {"serving": "batch", "compute": "churn-batch"},
    },
    "kubernetesComputes": {
        "aks-scoring": {"namespace": "scoring", "instanceTypes": ["cpu-small", "gpu-large"]}
    },
}


def read_model_outputs(
    tmp_path: Path,
    endpoint: str,
    instance_type: str = "",
    outputs: dict[str, Any] = MODEL_OUTPUTS,
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """Run the outputs job's read step on ``outputs`` (MODEL_OUTPUTS by default); its result and
    GITHUB_OUTPUT values."""
    (step,) = [
        s for s in job_steps(load(MODEL_WORKFLOW)["jobs"]["outputs"]) if s.get("id") == "read"
    ]
    output = tmp_path / "output"
    output.write_text("")
    env = {
        "STACK_NAME": "qa",
        "ENDPOINT_KEY": endpoint,
        "INSTANCE_TYPE": instance_type,
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_OUTPUT": str(output),
        **fake_pulumi(tmp_path, outputs),
    }
    result = run_script(step["run"], tmp_path, env)
    values = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return result, values


@GITHUB_ACTIONS
def test_a_managed_endpoint_gets_a_vm_size_by_default(tmp_path: Path) -> None:
    result, values = read_model_outputs(tmp_path, "churn-score")
    assert result.returncode == 0, result.stderr
    assert values["serving"] == "managedOnline"
    assert values["instance-type"] == "Standard_DS3_v2"


@GITHUB_ACTIONS
def test_a_managed_endpoint_refuses_an_instance_type_that_is_no_vm_size(tmp_path: Path) -> None:
    result, _ = read_model_outputs(tmp_path, "churn-score", "cpu-small")
    assert result.returncode != 0
    assert "'cpu-small' is not a VM size" in result.stderr


@GITHUB_ACTIONS
def test_a_kubernetes_endpoint_gets_its_clusters_first_instance_type_by_default(
    tmp_path: Path,
) -> None:
    result, values = read_model_outputs(tmp_path, "churn-aks")
    assert result.returncode == 0, result.stderr
    assert values["serving"] == "kubernetesOnline"
    assert values["instance-type"] == "cpu-small"


@GITHUB_ACTIONS
def test_a_kubernetes_endpoint_takes_another_of_its_clusters_instance_types(
    tmp_path: Path,
) -> None:
    result, values = read_model_outputs(tmp_path, "churn-aks", "gpu-large")
    assert result.returncode == 0, result.stderr
    assert values["instance-type"] == "gpu-large"


@GITHUB_ACTIONS
def test_a_kubernetes_endpoint_refuses_an_instance_type_its_cluster_lacks(tmp_path: Path) -> None:
    result, _ = read_model_outputs(tmp_path, "churn-aks", "Standard_DS3_v2")
    assert result.returncode != 0
    assert "not an instance type of the Kubernetes compute 'aks-scoring'" in result.stderr
    assert "['cpu-small', 'gpu-large']" in result.stderr


@GITHUB_ACTIONS
def test_a_managed_clusters_declared_instance_types_reach_the_workflow_from_the_program(
    tmp_path: Path,
) -> None:
    # The program's own outputs for a cluster its stack manages (manage: true, instance types
    # declared in the attach, the first its default): the workflow reads them unchanged.
    from tests.conftest import stack_run  # noqa: PLC0415 (the program runs only here)

    outputs = stack_run("qa", ROOT / "tests" / "fixtures" / "kubernetes_serving").outputs
    result, values = read_model_outputs(tmp_path, "churn-score", outputs=dict(outputs))
    assert result.returncode == 0, result.stderr
    assert values["serving"] == "kubernetesOnline"
    assert values["instance-type"] == "cpu-small"


@GITHUB_ACTIONS
def test_a_batch_endpoint_is_refused_with_what_deploys_to_it(tmp_path: Path) -> None:
    result, _ = read_model_outputs(tmp_path, "churn-batch")
    assert result.returncode != 0
    assert "is a batch endpoint" in result.stderr
    assert "az ml batch-deployment create" in result.stderr


def deploy_model(tmp_path: Path, serving: str, instance_type: str) -> dict[str, Any]:
    """Run the deploy job's step with an `az` that finds no deployment; the YAML it creates."""
    (step,) = [s for s in job_steps(load(MODEL_WORKFLOW)["jobs"]["deploy"]) if "run" in s]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    az = bin_dir / "az"
    # The pinned ml extension is installed; `az ml online-deployment show` fails: the
    # deployment is new.
    az.write_text(
        '#!/bin/sh\ncase "$*" in\n'
        '  "extension show --name ml "*) echo 2.44.1 ;;\n'
        '  *" show "*) exit 1 ;;\nesac\n'
    )
    az.chmod(0o755)
    env = {
        "RESOURCE_GROUP": "rg-mlops-qa",
        "WORKSPACE": "mlw-mlops-qa",
        "ENDPOINT": "churn-ab12",
        "REGISTRY": "mlreg-shared",
        "SERVING": serving,
        "INSTANCE_TYPE": instance_type,
        "MODEL": "churn",
        "VERSION": "7",
        "DEPLOYMENT": "green",
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
    }
    result = run_script(step["run"], tmp_path, env)
    assert result.returncode == 0, result.stdout + result.stderr
    return yaml.safe_load((tmp_path / "deployment.yml").read_text())


@GITHUB_ACTIONS
def test_a_kubernetes_endpoint_gets_a_kubernetes_deployment_reporting_to_app_insights(
    tmp_path: Path,
) -> None:
    deployment = deploy_model(tmp_path, "kubernetesOnline", "cpu-small")
    assert deployment["$schema"] == (
        "https://azuremlschemas.azureedge.net/latest/kubernetesOnlineDeployment.schema.json"
    )
    assert deployment["type"] == "kubernetes"
    assert deployment["instance_type"] == "cpu-small"
    assert deployment["app_insights_enabled"] is True
    assert deployment["model"] == "azureml://registries/mlreg-shared/models/churn/versions/7"


@GITHUB_ACTIONS
def test_a_managed_endpoint_gets_a_managed_deployment_reporting_to_app_insights(
    tmp_path: Path,
) -> None:
    deployment = deploy_model(tmp_path, "managedOnline", "Standard_DS3_v2")
    assert deployment["$schema"] == (
        "https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json"
    )
    assert deployment["type"] == "managed"
    assert deployment["instance_type"] == "Standard_DS3_v2"
    assert deployment["app_insights_enabled"] is True


def check_model_inputs(tmp_path: Path, instance_type: str) -> subprocess.CompletedProcess[str]:
    steps = job_steps(load(MODEL_WORKFLOW)["jobs"]["outputs"])
    (step,) = [s for s in steps if s["name"].startswith("Check the inputs")]
    env = {k: "churn-score" for k in ("MODEL", "VERSION", "ENDPOINT_KEY", "DEPLOYMENT")}
    return run_script(step["run"], tmp_path, {**env, "INSTANCE_TYPE": instance_type})


@GITHUB_ACTIONS
def test_the_instance_type_input_may_be_empty_or_a_name(tmp_path: Path) -> None:
    assert check_model_inputs(tmp_path, "").returncode == 0
    assert check_model_inputs(tmp_path, "Standard_DS3_v2").returncode == 0


@GITHUB_ACTIONS
def test_the_instance_type_input_is_refused_when_it_is_no_name(tmp_path: Path) -> None:
    result = check_model_inputs(tmp_path, "cpu-small\nextra: 1")
    assert result.returncode != 0
    assert "instance_type" in result.stdout


@GITHUB_ACTIONS
def test_an_existing_deployment_is_updated_to_report_to_app_insights() -> None:
    (step,) = [s for s in job_steps(load(MODEL_WORKFLOW)["jobs"]["deploy"]) if "run" in s]
    assert '--set model="$model" app_insights_enabled=true' in step["run"]


def test_workflow_inputs_reach_scripts_only_through_the_environment() -> None:
    for path in all_workflows():
        for job in load(path)["jobs"].values():
            for step in job_steps(job):
                assert "${{ inputs." not in step.get("run", ""), (path.name, step.get("name"))


# ----------------------------------------------------- Pre-commit: generated files on commit

PRE_COMMIT = ROOT / ".pre-commit-config.yaml"


def locked_version(package: str) -> str:
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    (version,) = {p["version"] for p in lock["package"] if p["name"] == package}
    return version


def pre_commit_hooks() -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Each hook by id, with the repository entry it comes from."""
    config = load(PRE_COMMIT)
    return {hook["id"]: (repo, hook) for repo in config["repos"] for hook in repo["hooks"]}


def test_pre_commit_runs_ruff_at_the_locked_version() -> None:
    hooks = pre_commit_hooks()
    for hook_id in ("ruff-check", "ruff-format"):
        repo, _ = hooks[hook_id]
        assert repo["repo"] == "https://github.com/astral-sh/ruff-pre-commit"
        assert repo["rev"] == f"v{locked_version('ruff')}", (
            f".pre-commit-config.yaml: set ruff-pre-commit's rev to v{locked_version('ruff')}, "
            "the ruff of uv.lock (what `make lint` runs)"
        )


def test_pre_commit_refreshes_the_generated_files_when_the_program_or_a_stack_changes() -> None:
    repo, hook = pre_commit_hooks()["make-docs"]
    assert repo["repo"] == "local"
    assert hook["entry"].split()[0] == "make"
    assert hook["entry"].split()[-1] == "docs"  # the docs, and the schema (`make schema`) with them
    assert hook["language"] == "system"
    assert hook["pass_filenames"] is False
    files = re.compile(hook["files"])
    for path in [
        *(f"Pulumi.{stack}.yaml" for stack in repository_stacks()),
        "__main__.py",
        "settings/schema.py",
        "components/workspace_stack.py",
        "offline/reference.py",
    ]:
        assert files.search(path), path
    for path in ("README.md", "docs/access.md", "tests/test_delivery.py", "Pulumi.yaml"):
        assert not files.search(path), path


def test_pre_commit_checks_every_stack_file_against_the_stack_schema() -> None:
    repo, hook = pre_commit_hooks()["check-jsonschema"]
    assert repo["repo"] == "https://github.com/python-jsonschema/check-jsonschema"
    assert repo["rev"] == locked_version("check-jsonschema")
    assert hook["args"] == ["--schemafile", "schema/stack-config.schema.json"]
    assert (ROOT / "schema" / "stack-config.schema.json").is_file()
    files = re.compile(hook["files"])
    assert repository_stacks()
    assert all(files.search(f"Pulumi.{stack}.yaml") for stack in repository_stacks())
    for path in ("Pulumi.yaml", "bootstrap/Pulumi.example.yaml", "tests/fixtures/stacks/x.yaml"):
        assert not files.search(path), path


def test_pre_commit_runs_the_generators_before_the_schema_check() -> None:
    order = list(pre_commit_hooks())
    assert order.index("make-docs") < order.index("check-jsonschema")
