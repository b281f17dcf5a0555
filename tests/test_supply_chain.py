"""Supply chain of the delivery pipelines: what their jobs download, and when updates arrive.

Jobs that hold cloud credentials run whatever they download. So no script of a GitHub workflow or
an Azure Pipelines file pipes a download into a shell, every download names a pinned version and
is checked against a SHA-256, and every Azure CLI extension is installed at a pinned version,
never upgraded. zizmor audits the GitHub files (workflows and dependabot.yml); it cannot read
Azure Pipelines files, whose scripts these tests read instead. Dependabot proposes a release only
once it has aged.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
GITHUB = ROOT / ".github"
DEPENDABOT = GITHUB / "dependabot.yml"
AZURE_PIPELINE = ROOT / "azure-pipelines.yml"
AZURE_TEMPLATES = ROOT / ".azure-pipelines" / "templates"
MODEL_WORKFLOW = GITHUB / "workflows" / "deploy-model.yml"
TOOLS = Path(sys.executable).parent

# Where the pipelines keep shell: GitHub's `run`, Azure Pipelines' script steps and the
# AzureCLI@2 task's inline script.
SCRIPT_KEYS = frozenset({"run", "script", "bash", "pwsh", "powershell", "inlineScript"})
DOWNLOAD = re.compile(r"\b(?:curl|wget)\b")
SHELL = r"(?:sudo\s+)?(?:ba|da|z|k)?sh\b"
PIPED_INTO_A_SHELL = (
    re.compile(rf"\b(?:curl|wget)\b[^\n]*\|\s*{SHELL}"),
    re.compile(rf"{SHELL}[^\n]*<\(\s*(?:curl|wget)\b"),
    re.compile(rf"{SHELL}\s+-c\s+[\"']?\$\(\s*(?:curl|wget)\b"),
)
URL = re.compile(r"https?://[^\s\"'`]+")
VERSIONED = re.compile(r"\d+\.\d+\.\d+|\$\{?version\}?")
SHA256_CHECK = re.compile(r"\bsha256sum\s+(?:--check|-c)\b")
EXTENSION_ADD = re.compile(r"\baz\s+extension\s+add\b[^\n;&|]*")
PINNED = re.compile(r"--version\s+\d+\.\d+\.\d+\b")


# A repository may keep one CI system: the other's checks skip where its files are gone.
GITHUB_ACTIONS = pytest.mark.skipif(
    not (GITHUB / "workflows").is_dir(), reason="the repository keeps no GitHub Actions"
)
DEPENDABOT_KEPT = pytest.mark.skipif(
    not DEPENDABOT.is_file(), reason="the repository keeps no .github/dependabot.yml"
)
AZURE_PIPELINES = pytest.mark.skipif(
    not AZURE_PIPELINE.is_file(), reason="the repository keeps no azure-pipelines.yml"
)


def load(path: Path) -> Any:
    # libyaml's safe loader: the same documents as yaml.safe_load's, a tenth of its time.
    return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


def scripts_in(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in SCRIPT_KEYS and isinstance(value, str):
                yield value
            else:
                yield from scripts_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from scripts_in(item)


def pipeline_files() -> list[Path]:
    return [
        *sorted((GITHUB / "workflows").glob("*.yml")),
        *([AZURE_PIPELINE] if AZURE_PIPELINE.is_file() else []),
        *sorted(AZURE_TEMPLATES.glob("*.yml")),
    ]


def pipeline_scripts() -> list[tuple[str, str]]:
    """(file, script) for every script of the workflows and the Azure Pipelines files, with
    line continuations joined."""
    found = [
        (path.name, script.replace("\\\n", " "))
        for path in pipeline_files()
        for script in scripts_in(load(path))
    ]
    # Both kinds of file are read, where kept: the workflows' jobs and Azure Pipelines' tasks.
    if MODEL_WORKFLOW.is_file():
        assert any(name == "deploy-model.yml" and "az ml" in s for name, s in found)
    if AZURE_PIPELINE.is_file():
        assert any(name == "pulumi-steps.yml" and "pulumi up" in s for name, s in found)
    return found


def downloading_scripts() -> list[tuple[str, str]]:
    found = [(name, script) for name, script in pipeline_scripts() if DOWNLOAD.search(script)]
    assert found or not AZURE_PIPELINE.is_file(), (
        "the Pulumi CLI install of Azure Pipelines downloads"
    )
    return found


# ------------------------------------------------------------------------- Dependency updates


def dependabot_updates() -> list[dict[str, Any]]:
    return load(DEPENDABOT)["updates"]


@DEPENDABOT_KEPT
def test_dependabot_proposes_a_release_of_any_ecosystem_once_it_is_a_week_old() -> None:
    updates = dependabot_updates()
    assert {u["package-ecosystem"] for u in updates} == {"uv", "github-actions", "npm"}
    for update in updates:
        assert update["cooldown"]["default-days"] >= 7, update["package-ecosystem"]


@DEPENDABOT_KEPT
def test_dependabot_proposes_a_new_major_python_release_once_it_is_a_month_old() -> None:
    (uv,) = [u for u in dependabot_updates() if u["package-ecosystem"] == "uv"]
    assert uv["cooldown"]["semver-major-days"] >= 30


@DEPENDABOT_KEPT
def test_dependabot_gives_actions_only_the_cooldown_it_accepts_for_them() -> None:
    # Dependabot rejects the whole file for semver-*-days on github-actions.
    (actions,) = [u for u in dependabot_updates() if u["package-ecosystem"] == "github-actions"]
    assert set(actions["cooldown"]) == {"default-days"}


@GITHUB_ACTIONS
def test_zizmor_finds_nothing_of_medium_severity_or_above_in_any_github_file() -> None:
    result = subprocess.run(
        [
            str(TOOLS / "zizmor"),
            "--offline",
            "--strict-collection",
            "--min-severity",
            "medium",
            "--format",
            "json",
            ".github",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "dependabot.yml" in result.stderr, "zizmor audits dependabot.yml too"
    assert (result.returncode, json.loads(result.stdout)) == (0, [])


# ------------------------------------------------------------------ Downloads in the pipelines


def test_no_pipeline_pipes_a_download_into_a_shell() -> None:
    for name, script in pipeline_scripts():
        for pattern in PIPED_INTO_A_SHELL:
            assert not pattern.search(script), (name, pattern.search(script))


def test_every_download_names_a_pinned_version_never_the_latest() -> None:
    for name, script in downloading_scripts():
        urls = URL.findall(script)
        assert urls, (name, "a download from an address the script does not name")
        for url in urls:
            assert VERSIONED.search(url), (name, url)
            assert "latest" not in url, (name, url)


def test_every_download_is_checked_against_a_sha256() -> None:
    for name, script in downloading_scripts():
        assert SHA256_CHECK.search(script), name


def test_every_azure_cli_extension_is_installed_at_a_pinned_version() -> None:
    adds = [(name, m[0]) for name, s in pipeline_scripts() for m in EXTENSION_ADD.finditer(s)]
    assert adds or not MODEL_WORKFLOW.is_file(), "deploy-model.yml installs the ml extension"
    for name, command in adds:
        assert PINNED.search(command), (name, command)


def test_no_azure_cli_extension_is_upgraded() -> None:
    for name, script in pipeline_scripts():
        assert not re.search(r"\baz\s+extension\s+update\b", script), name
        for add in EXTENSION_ADD.finditer(script):
            assert "--upgrade" not in add[0].split(), (name, add[0])


@GITHUB_ACTIONS
def test_a_model_deployment_refuses_an_ml_extension_of_another_version(tmp_path: Path) -> None:
    # `az extension add` leaves an extension that is already installed as it is.
    (step,) = [s for s in load(MODEL_WORKFLOW)["jobs"]["deploy"]["steps"] if "run" in s]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    az = bin_dir / "az"
    az.write_text(
        f'#!/bin/sh\necho "$*" >> "{tmp_path}/az.log"\n'
        'case "$*" in "extension show --name ml "*) echo 2.40.0 ;; esac\n'
    )
    az.chmod(0o755)
    env = {
        **os.environ,
        "SERVING": "managedOnline",
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
    }
    result = subprocess.run(
        ["bash", "-c", step["run"]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "the ml extension on this runner is not version 2.44.1" in result.stdout
    assert "ml online-deployment" not in (tmp_path / "az.log").read_text()


# ------------------------------------------------- Azure Pipelines: the Pulumi CLI, verified


def pulumi_sdk_pin() -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    (pin,) = [d for d in project["dependencies"] if d.startswith("pulumi==")]
    return pin.removeprefix("pulumi==")


def pipeline_variables() -> list[dict[str, Any]]:
    return load(AZURE_PIPELINE)["variables"]


def install_step() -> dict[str, Any]:
    steps = load(AZURE_TEMPLATES / "pulumi-steps.yml")["steps"]
    (step,) = [s for s in steps if s.get("displayName", "").startswith("Install the Pulumi CLI")]
    return step


@AZURE_PIPELINES
def test_the_pinned_pulumi_cli_checksum_is_for_the_version_pyproject_pins() -> None:
    variables = {v["name"]: v["value"] for v in pipeline_variables() if "name" in v}
    version = pulumi_sdk_pin()
    assert variables["PULUMI_CLI_VERSION"] == version, (
        f"pyproject.toml pins pulumi {version}: in azure-pipelines.yml set PULUMI_CLI_VERSION to "
        f"{version} and PULUMI_CLI_SHA256 to the pulumi-v{version}-linux-x64.tar.gz line of "
        f"https://github.com/pulumi/pulumi/releases/download/v{version}/"
        f"pulumi-{version}-checksums.txt"
    )


@AZURE_PIPELINES
def test_the_variable_group_cannot_override_the_pinned_pulumi_cli() -> None:
    # Of two definitions of a variable, Azure Pipelines takes the later one.
    order = [v.get("name") or f"group {v['group']}" for v in pipeline_variables()]
    for pin in ("PULUMI_CLI_VERSION", "PULUMI_CLI_SHA256"):
        assert order.index("group mlops-pulumi") < order.index(pin), pin
        assert install_step()["env"][pin] == f"$({pin})", pin


class Release:
    """A Pulumi release as the install step downloads it, served by a `curl` on the PATH."""

    def __init__(self, tmp_path: Path, version: str) -> None:
        self.version, self.tmp = version, tmp_path
        self.served = tmp_path / "release"
        self.served.mkdir()
        cli = tmp_path / "build" / "pulumi"
        cli.mkdir(parents=True)
        (cli / "pulumi").write_text(f"#!/bin/sh\necho v{version}\n")
        (cli / "pulumi").chmod(0o755)
        self.archive = f"pulumi-v{version}-linux-x64.tar.gz"
        with tarfile.open(self.served / self.archive, "w:gz") as tar:
            tar.add(cli, arcname="pulumi")
        self.sha256 = hashlib.sha256((self.served / self.archive).read_bytes()).hexdigest()
        self.write_checksums(self.sha256)
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        curl = bin_dir / "curl"
        # Logs its arguments, then copies the served file the URL names to --output.
        curl.write_text(
            "#!/bin/sh\n"
            f'echo "$*" >> "{tmp_path}/curl.log"\n'
            "while [ $# -gt 0 ]; do\n"
            '  case "$1" in --output) out="$2"; shift 2 ;; *) url="$1"; shift ;; esac\n'
            "done\n"
            f'cp "{self.served}/${{url##*/}}" "$out"\n'
        )
        curl.chmod(0o755)
        self.path = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
        self.agent_temp = tmp_path / "agent"
        self.agent_temp.mkdir()

    def write_checksums(self, sha256: str) -> None:
        (self.served / f"pulumi-{self.version}-checksums.txt").write_text(
            f"{'0' * 64}  pulumi-v{self.version}-windows-x64.zip\n{sha256}  {self.archive}\n"
        )

    def install(self, pinned_version: str, pinned_sha256: str) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "PATH": self.path,
            "AGENT_TEMPDIRECTORY": str(self.agent_temp),
            "PULUMI_CLI_VERSION": pinned_version,
            "PULUMI_CLI_SHA256": pinned_sha256,
        }
        return subprocess.run(
            ["bash", "-c", install_step()["script"]],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    def downloads(self) -> list[str]:
        log = self.tmp / "curl.log"
        return log.read_text().splitlines() if log.exists() else []

    def installed(self) -> Path:
        return self.agent_temp / "pulumi-cli" / "pulumi"


@pytest.fixture
def release(tmp_path: Path) -> Release:
    return Release(tmp_path, pulumi_sdk_pin())


@AZURE_PIPELINES
def test_the_pulumi_cli_of_the_pinned_version_is_installed_once_both_checksums_match(
    release: Release,
) -> None:
    result = release.install(release.version, release.sha256)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"##vso[task.prependpath]{release.installed()}" in result.stdout.splitlines()
    assert (release.installed() / "pulumi").is_file()
    base = f"https://github.com/pulumi/pulumi/releases/download/v{release.version}"
    urls = [line.split()[-1] for line in release.downloads()]
    assert urls == [f"{base}/{release.archive}", f"{base}/pulumi-{release.version}-checksums.txt"]
    assert all("--proto =https" in line for line in release.downloads())


@AZURE_PIPELINES
def test_without_a_pinned_checksum_the_pulumi_cli_is_not_even_downloaded(
    release: Release,
) -> None:
    result = release.install(release.version, "")
    assert result.returncode != 0
    assert "PULUMI_CLI_SHA256 in azure-pipelines.yml is not set" in result.stdout
    assert release.downloads() == []


@AZURE_PIPELINES
def test_a_pulumi_cli_archive_unlike_the_pinned_checksum_is_not_installed(
    release: Release,
) -> None:
    # The release's own checksums file agrees with the archive: a replaced release would.
    result = release.install(release.version, "f" * 64)
    assert result.returncode != 0
    assert f"{release.archive}: FAILED" in result.stdout
    assert not release.installed().exists()
    assert "prependpath" not in result.stdout


@AZURE_PIPELINES
def test_a_pulumi_cli_archive_unlike_the_releases_checksums_file_is_not_installed(
    release: Release,
) -> None:
    release.write_checksums("e" * 64)
    result = release.install(release.version, release.sha256)
    assert result.returncode != 0
    assert not release.installed().exists()
    assert "prependpath" not in result.stdout


@AZURE_PIPELINES
def test_a_pinned_checksum_of_another_version_than_pyprojects_is_refused(
    release: Release,
) -> None:
    result = release.install("3.1.0", release.sha256)
    assert result.returncode != 0
    assert (
        f"pyproject.toml pins pulumi {release.version}, but PULUMI_CLI_SHA256 in "
        "azure-pipelines.yml is for 3.1.0"
    ) in result.stdout
    assert release.downloads() == []


# -- uv, which the Makefile installs where none is on the PATH ------------------------------------

UV_REQUIREMENTS = ROOT / "uv-requirements.txt"


def test_the_makefile_installs_uv_only_from_hash_pinned_requirements() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("$(TOOLS)/bin/uv:", 1)[1].split("\n\n", 1)[0]
    assert "--require-hashes" in recipe
    assert "-r uv-requirements.txt" in recipe
    assert "uv==" not in recipe


def test_the_pinned_uv_is_the_version_pyproject_requires_with_a_hash_per_wheel() -> None:
    text = UV_REQUIREMENTS.read_text(encoding="utf-8")
    (version,) = re.findall(r"^uv==(\S+)", text, re.MULTILINE)
    required = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert required["tool"]["uv"]["required-version"] == f">={version}"
    hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})\b", text)
    # Linux x86_64 and aarch64, macOS arm64 and x86_64, Windows x86_64.
    assert len(set(hashes)) == len(hashes) >= 5
