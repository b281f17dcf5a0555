"""Dependencies: one declaration (pyproject.toml), one lock with hashes (uv.lock), and the
Makefile that installs from it with uv, bringing uv itself onto a machine that only has Python.

The Makefile is run with `make -n` (what it would run) or against a fake `uv`: nothing here
installs anything.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
LOCK = tomllib.loads((ROOT / "uv.lock").read_text())
PIN = re.compile(r"(?P<name>[a-z0-9.-]+)==(?P<version>[0-9][0-9a-z.]*)")


def normalized(name: str) -> str:
    """A package name as the lock writes it (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pins() -> dict[str, str]:
    declared = [*PYPROJECT["project"]["dependencies"], *PYPROJECT["dependency-groups"]["dev"]]
    found = {}
    for requirement in declared:
        match = PIN.fullmatch(requirement)
        assert match, f"{requirement}: pin one version (name==version)"
        found[normalized(match["name"])] = match["version"]
    return found


def members() -> list[dict[str, Any]]:
    return [
        tomllib.loads((ROOT / member / "pyproject.toml").read_text())
        for member in PYPROJECT["tool"]["uv"]["workspace"]["members"]
    ]


def locked(name: str) -> list[str]:
    return [p["version"] for p in LOCK["package"] if p["name"] == name]


def test_every_dependency_is_pinned_to_one_version_in_the_root_pyproject() -> None:
    assert {"pulumi", "pulumi-azure-native", "pydantic", "pytest", "zizmor"} <= set(pins())


def test_workspace_members_name_their_dependencies_and_leave_the_versions_to_the_root() -> None:
    # Dependabot updates the root's pins; a member's own pin would conflict with them.
    found = members()
    assert [m["project"]["name"] for m in found] == ["mlops-policy", "mlops-bootstrap"]
    for member in found:
        for requirement in member["project"]["dependencies"]:
            assert normalized(requirement) in pins(), (member["project"]["name"], requirement)


def test_the_lock_holds_each_pinned_version_and_nothing_else_of_it() -> None:
    for name, version in pins().items():
        assert locked(name) == [version], name


def test_every_locked_file_has_a_hash() -> None:
    files = 0
    for package in LOCK["package"]:
        for artifact in [*package.get("wheels", []), *filter(None, [package.get("sdist")])]:
            files += 1
            assert artifact["hash"].startswith("sha256:"), (package["name"], artifact)
    assert files > len(pins())


def test_pulumi_installs_the_runtime_dependencies_only_from_the_lock() -> None:
    # Pulumi's uv toolchain runs a plain `uv sync`: with no default groups it leaves out dev.
    assert PYPROJECT["tool"]["uv"]["default-groups"] == []
    program = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert program["runtime"]["options"] == {"toolchain": "uv", "virtualenv": ".venv"}


# ----------------------------------------------------------------------------- Makefile


def bin_with(directory: Path, **scripts: str) -> str:
    """A PATH of one directory holding sed (the Makefile reads pyproject.toml with it) and
    the given scripts: no uv unless one is given."""
    directory.mkdir()
    sed = shutil.which("sed")
    assert sed is not None
    (directory / "sed").symlink_to(sed)
    for name, body in scripts.items():
        (directory / name).write_text(f"#!/bin/sh\n{body}\n")
        (directory / name).chmod(0o755)
    return str(directory)


def make(*args: str, path: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **({"PATH": path} if path else {})}
    make_binary = shutil.which("make")
    assert make_binary is not None
    return subprocess.run(
        [make_binary, "--no-print-directory", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def sync_lines(target: str) -> list[str]:
    result = make("-n", target)
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if " sync " in line]


def test_make_preview_syncs_only_the_runtime_dependencies_from_the_lock() -> None:
    (line,) = sync_lines("preview")
    assert "--locked" in line.split()
    assert "--group" not in line


def test_make_test_syncs_the_dev_group_too() -> None:
    for target in ("lint", "typecheck", "unit"):
        (line,) = sync_lines(target)
        assert "--locked" in line.split(), target
        assert "--group dev" in line, target


def test_make_venv_builds_the_policy_pack_environment_where_pulumipolicy_yaml_points() -> None:
    policy = yaml.safe_load((ROOT / "policy" / "PulumiPolicy.yaml").read_text())
    venv = ROOT / "policy" / policy["runtime"]["options"]["virtualenv"]
    (program, pack) = sync_lines("venv")
    assert "UV_PROJECT_ENVIRONMENT" not in program
    assert pack.startswith(f"UV_PROJECT_ENVIRONMENT={venv} ")
    assert "--locked" in pack.split()
    assert f"--package {members()[0]['project']['name']}" in pack


def test_make_installs_uv_from_pypi_when_none_is_on_the_path(tmp_path: Path) -> None:
    for name in ("Makefile", "pyproject.toml", "uv-requirements.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    result = make("-n", "runtime", path=bin_with(tmp_path / "bin"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "-m pip install" in lines[0]
    # The version and its wheels' hashes: uv-requirements.txt (tests/test_supply_chain.py).
    assert "--require-hashes --no-deps --target .tools -r uv-requirements.txt" in " ".join(
        lines[:2]
    )
    assert any(line.startswith(".tools/bin/uv sync ") for line in lines)


def test_make_uses_the_uv_on_the_path(tmp_path: Path) -> None:
    path = bin_with(tmp_path / "bin", uv="exit 0")
    result = make("-n", "runtime", path=path)
    assert result.returncode == 0, result.stderr
    assert f"{path}/uv sync --locked" in result.stdout
    assert "pip install" not in result.stdout


def test_a_stale_lock_fails_with_the_command_that_refreshes_it(tmp_path: Path) -> None:
    log = tmp_path / "uv.log"
    uv = f'echo "$*" >> {log}\ncase "$*" in "lock --check"*) exit 1 ;; esac'
    result = make("runtime", path=bin_with(tmp_path / "bin", uv=uv))
    assert result.returncode != 0
    assert "run `make lock` and commit uv.lock" in result.stderr
    assert log.read_text().splitlines() == ["lock --check --quiet"]


# ------------------------------------------------------------------- Dependency updates

DEPENDABOT = ROOT / ".github" / "dependabot.yml"
# The bootstrap's GitHub and Azure DevOps providers too.
PROVIDERS = {"pulumi-azure-native", "pulumi-random", "pulumi-github", "pulumi-azuredevops"}


def dependabot_groups(ecosystem: str) -> dict[str, dict[str, list[str]]]:
    updates = yaml.safe_load(DEPENDABOT.read_text())["updates"]
    (update,) = [u for u in updates if u["package-ecosystem"] == ecosystem]
    assert update["directory"] == "/"
    return update["groups"]


def group_of(package: str, groups: dict[str, dict[str, list[str]]]) -> str | None:
    """The first group whose patterns take the package, as Dependabot assigns groups."""
    for name, group in groups.items():
        taken = any(fnmatch.fnmatchcase(package, p) for p in group["patterns"])
        if taken and not any(
            fnmatch.fnmatchcase(package, p) for p in group.get("exclude-patterns", [])
        ):
            return name
    return None


def test_each_provider_upgrade_comes_in_a_pull_request_of_its_own() -> None:
    groups = dependabot_groups("uv")
    for provider in PROVIDERS:
        assert provider in pins()
        assert group_of(provider, groups) is None, provider
    assert group_of("pulumi", groups) == group_of("pulumi-policy", groups) == "pulumi"
    others = set(pins()) - PROVIDERS - {"pulumi", "pulumi-policy"}
    assert {group_of(package, groups) for package in others} == {"libraries-and-tools"}


def test_pinned_actions_are_kept_current_together() -> None:
    assert dependabot_groups("github-actions") == {"actions": {"patterns": ["*"]}}


def test_the_sites_npm_packages_are_pinned_exactly_and_kept_current_together() -> None:
    package = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())
    pinned = {**package.get("dependencies", {}), **package.get("devDependencies", {})}
    assert pinned
    for name, version in pinned.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name}: {version} is not one version"
        locked = lock["packages"][f"node_modules/{name}"]
        assert locked["version"] == version and locked["integrity"].startswith("sha512-")
    assert dependabot_groups("npm") == {"site": {"patterns": ["*"]}}
