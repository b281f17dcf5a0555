"""The tests' kept program runs (tests/run_cache.py, ``cached_run``): a run is reused only while
nothing it depends on has changed."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bootstrap.program import main as bootstrap
from offline.engine import (
    ROOT,
    ProgramRun,
    evaluate,
    file_config,
    run_program,
    run_to_data,
    stack_config,
)
from offline.references import Reference
from tests import run_cache
from tests.conftest import FIXTURE_STACKS
from tests.run_cache import cached_evaluation, cached_run, run_key, sources_digest

DAY = date(2026, 12, 7)


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A small tree laid out as the repository is: the program, its modules, tests, documents."""
    for name, text in {
        "__main__.py": "import components.storage\n",
        "components/storage.py": "SKU = 'Standard_LRS'\n",
        "settings/catalog.json": "{}\n",
        "Pulumi.dev.yaml": "config: {}\n",
        "tests/test_storage.py": "def test_nothing(): pass\n",
        "docs/storage.md": "# Storage\n",
        ".venv/lib/site.py": "\n",
    }.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    "changed", ["__main__.py", "components/storage.py", "settings/catalog.json", "Pulumi.dev.yaml"]
)
def test_a_changed_program_file_changes_what_every_run_is_kept_under(
    repository: Path, changed: str
) -> None:
    before = sources_digest(repository, DAY)
    with (repository / changed).open("a", encoding="utf-8") as file:
        file.write("\n# changed\n")
    assert sources_digest(repository, DAY) != before


def test_a_new_program_module_changes_what_every_run_is_kept_under(repository: Path) -> None:
    before = sources_digest(repository, DAY)
    (repository / "components" / "network.py").write_text("\n", encoding="utf-8")
    assert sources_digest(repository, DAY) != before


@pytest.mark.parametrize(
    "unread", ["tests/test_storage.py", "docs/storage.md", ".venv/lib/site.py"]
)
def test_tests_documents_and_hidden_directories_change_nothing(
    repository: Path, unread: str
) -> None:
    before = sources_digest(repository, DAY)
    (repository / unread).write_text("changed\n", encoding="utf-8")
    assert sources_digest(repository, DAY) == before


def test_another_day_changes_what_every_run_is_kept_under(repository: Path) -> None:
    """The program reads the clock: a budget starts on the first of the current month."""
    assert sources_digest(repository, DAY) != sources_digest(repository, date(2027, 1, 1))


def test_another_version_of_an_installed_package_changes_what_every_run_is_kept_under(
    repository: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    packages = tmp_path_factory.mktemp("site-packages")
    monkeypatch.syspath_prepend(str(packages))
    (packages / "pulumi-3.272.0.dist-info").mkdir()
    before = sources_digest(repository, DAY)
    (packages / "pulumi-3.272.0.dist-info").rename(packages / "pulumi-3.273.0.dist-info")
    assert sources_digest(repository, DAY) != before


def test_the_pulumi_environment_changes_what_every_run_is_kept_under(
    repository: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = sources_digest(repository, DAY)
    monkeypatch.setenv("PULUMI_DISABLE_RESOURCE_REFERENCES", "true")
    assert sources_digest(repository, DAY) != before


def dev_config() -> dict[str, str]:
    return stack_config("dev", FIXTURE_STACKS)[0]


@pytest.mark.parametrize(
    "changed",
    [
        {"stack": "qa"},
        {"config": {**dev_config(), "mlops:prefix": "other"}},
        {"secret_keys": ("mlops:alerts",)},
        {"preview": False},
        {"references": (Reference("organization/mlops/shared", {}, (), "test"),)},
        {"evaluation": 1},
    ],
    ids=["stack", "config", "secret keys", "preview", "references", "evaluation"],
)
def test_a_run_with_another_argument_is_kept_apart(changed: dict[str, Any]) -> None:
    arguments: dict[str, Any] = {"stack": "dev", "config": dev_config(), "secret_keys": ()}
    assert run_key(**{**arguments, **changed}) != run_key(**arguments)


def test_a_changed_stack_file_a_run_resolves_references_from_keeps_it_apart(
    tmp_path: Path,
) -> None:
    shared = tmp_path / "Pulumi.shared.yaml"
    shared.write_text("config:\n  mlops:prefix: one\n", encoding="utf-8")
    before = run_key("dev", dev_config(), (), root=tmp_path)
    shared.write_text("config:\n  mlops:prefix: two\n", encoding="utf-8")
    assert run_key("dev", dev_config(), (), root=tmp_path) != before


def test_a_changed_config_is_run_anew() -> None:
    config = {**dev_config(), "mlops:tags": json.dumps({"owner": "someone-else"})}
    kept, changed = cached_run("dev", dev_config()), cached_run("dev", config)
    assert kept is not changed
    assert changed.config == config
    assert run_to_data(kept) != run_to_data(changed)


def unordered(run: ProgramRun) -> dict[str, Any]:
    """The run's data with each resource's dependencies sorted: the SDK gathers them in sets of
    resources, whose order may differ from one run to the next."""
    data = run_to_data(run)
    for resource in data["resources"]:
        resource["depends_on"] = sorted(resource["depends_on"])
        dependencies = resource["property_dependencies"]
        resource["property_dependencies"] = {k: sorted(v) for k, v in dependencies.items()}
    return data


def test_a_kept_run_is_the_run_the_engine_makes() -> None:
    config = dev_config()
    assert unordered(cached_run("dev", config)) == unordered(run_program("dev", config))


def test_a_kept_evaluation_of_a_program_function_is_the_engines() -> None:
    config, _ = file_config(ROOT / "bootstrap" / "Pulumi.example.yaml")
    kept = cached_evaluation(bootstrap, "admin", config)
    assert unordered(kept) == unordered(evaluate(bootstrap, "admin", config))


def test_a_program_function_of_the_tests_own_is_not_kept() -> None:
    """The digest covers no file of the tests: such a function is run with ``evaluate``."""
    with pytest.raises(ValueError, match="not a function of a program file"):
        cached_evaluation(dev_config, "admin", {})


@pytest.fixture
def new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process as one that has no store yet and has taken no run."""
    monkeypatch.setattr(run_cache, "_store", [])
    monkeypatch.setattr(run_cache, "_runs", {})


@pytest.fixture
def own_store(new_process: None, tmp_path: Path) -> Path:
    return run_cache.keep_runs_in(tmp_path, prune=False)


def never_run(*arguments: Any, **options: Any) -> Any:
    raise AssertionError("made again")


def test_a_kept_run_is_taken_from_the_store_by_another_process(
    own_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_cache, "_sources_unchanged", lambda: True)
    made = cached_run("dev", dev_config())
    assert (own_store / f"{run_key('dev', dev_config(), ())}.json").is_file()
    run_cache._runs.clear()  # another worker, or a later session: the store alone
    monkeypatch.setattr(run_cache, "run_program", never_run)
    assert run_to_data(cached_run("dev", dev_config())) == run_to_data(made)


def test_a_run_made_while_a_program_file_changes_is_not_kept(
    own_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It may be of the changed file, under the key of the file as it was."""
    monkeypatch.setattr(run_cache, "_sources_unchanged", lambda: False)
    cached_run("dev", dev_config())
    assert list(own_store.glob("*.json")) == []


def test_the_stores_of_all_but_the_latest_other_sources_are_removed(
    new_process: None, tmp_path: Path
) -> None:
    others = [tmp_path / f"sources-{n}" for n in range(5)]
    for age, store in enumerate(others):
        store.mkdir()
        os.utime(store, (1_000_000 - age, 1_000_000 - age))  # sources-0 the latest
    current = run_cache.keep_runs_in(tmp_path, prune=True)
    assert sorted(tmp_path.iterdir()) == sorted([current, *others[:3]])
