"""The reviewer's diff: what a change does to a stack, resource by resource, in pulumi's words.

Specified on the fixture stack file ``tests/fixtures/preview/Pulumi.dev.yaml`` changed one key at
a time, on small programs of their own, and end to end on a temporary git repository.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any, Final

import pulumi
import pulumi_random as random
import pytest
from pulumi_azure_native import resources

from offline import preview
from offline.diff import Change, Diff, Op, diff_plans
from offline.engine import ROOT, ProgramRun, Resource, evaluate, file_config, run_program
from offline.plan import KNOWN_AFTER_APPLY, SECRET, Plan
from offline.preview import render_diff, run_stack
from offline.revision import RevisionError, run_at
from tests.conftest import pulumi_config

FIXTURE: Final = ROOT / "tests" / "fixtures" / "preview" / "Pulumi.dev.yaml"
GROUP: Final = "azure-native:resources:ResourceGroup"
STORAGE: Final = "azure-native:storage:StorageAccount"
WORKSPACE: Final = "azure-native:machinelearningservices:Workspace"
COMPUTE: Final = "azure-native:machinelearningservices:Compute"
SHARED_VAULT: Final = (
    "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg-shared"
    "/providers/Microsoft.KeyVault/vaults/kv-shared-example"
)


def fixture_config(**changes: Any) -> tuple[dict[str, str], tuple[str, ...]]:
    """The fixture's config with keys set as the CLI passes them (``prefix``: ``mlops:prefix``)."""
    config, secret_keys = file_config(FIXTURE)
    config.update(pulumi_config({k if ":" in k else f"mlops:{k}": v for k, v in changes.items()}))
    return config, secret_keys


def fixture_plan(**changes: Any) -> Plan:
    config, secret_keys = fixture_config(**changes)
    return Plan(run_stack("dev", config=config, secret_keys=secret_keys))


@pytest.fixture(scope="module")
def base() -> Plan:
    return fixture_plan()


@pytest.fixture(scope="module")
def replication_changed(base: Plan) -> Diff:
    """The fixture with one setting changed (storage replication LRS → ZRS), against ``base``."""
    return diff_plans(base, fixture_plan(storage={"replication": "ZRS"}))


def change_of(diff: Diff, type_token: str, name: str | None = None) -> Change:
    found = [
        c
        for c in diff.changes
        if c.resource.type == type_token and (name is None or c.resource.name == name)
    ]
    assert len(found) == 1, [c.resource.name for c in found]
    return found[0]


def every_format(diff: Diff) -> Iterator[str]:
    for fmt in preview.FORMATS:
        yield render_diff(diff, "base", fmt)


# -- operations -----------------------------------------------------------------------------------


def test_the_same_config_changes_nothing(base: Plan) -> None:
    diff = diff_plans(base, fixture_plan())

    assert [c for c in diff.changes if c.noteworthy] == []
    assert diff.summary_lines() == [f"No changes. {len(base.resources) + 1} unchanged"]


def test_a_changed_setting_updates_in_place_with_old_and_new_values(
    replication_changed: Diff,
) -> None:
    diff = replication_changed

    storage = change_of(diff, STORAGE)
    assert storage.op is Op.UPDATE
    assert [(p.path, p.before, p.after, p.replaces) for p in storage.properties] == [
        ("sku.name", "Standard_LRS", "Standard_ZRS", False)
    ]
    assert diff.summary_lines()[0] == "~ 1 to update"


def test_an_added_cluster_is_created_and_a_removed_one_deleted(base: Plan) -> None:
    clusters = [
        {"name": "cpu", "vmSize": "Standard_DS3_v2", "maxNodes": 2},
        {"name": "gpu", "vmSize": "Standard_NC4as_T4_v3", "maxNodes": 1},
    ]
    more = fixture_plan(computeClusters=clusters)

    added = diff_plans(base, more)
    removed = diff_plans(more, base)

    assert change_of(added, COMPUTE, "dev-compute-cluster-gpu").op is Op.CREATE
    assert change_of(removed, COMPUTE, "dev-compute-cluster-gpu").op is Op.DELETE
    # The cluster and its identity's roles from the access matrix.
    created = [c for c in added.changes if c.op is Op.CREATE]
    assert {c.resource.type for c in created} == {
        COMPUTE,
        "azure-native:authorization:RoleAssignment",
    }
    assert added.summary_lines()[0] == f"+ {len(created)} to create"
    assert removed.summary_lines()[0] == f"- {len(created)} to delete"


def test_a_new_azure_name_replaces_and_names_why(base: Plan) -> None:
    diff = diff_plans(base, fixture_plan(prefix="renamed"))

    storage = change_of(diff, STORAGE)
    assert storage.op is Op.REPLACE
    assert "accountName" in storage.replaced_by
    assert change_of(diff, GROUP).replaced_by == ("resourceGroupName",)
    assert any(line.startswith("+- ") for line in diff.summary_lines())


def test_inputs_holding_a_replaced_resource_s_id_are_known_after_apply(base: Plan) -> None:
    diff = diff_plans(base, fixture_plan(prefix="renamed"))

    workspace = change_of(diff, WORKSPACE)
    storage = next(p for p in workspace.properties if p.path == "storageAccount")
    assert (storage.before, storage.after) == ("ml-storage.id", KNOWN_AFTER_APPLY)


def test_a_new_location_replaces_even_where_the_name_stays(base: Plan) -> None:
    diff = diff_plans(base, fixture_plan(**{"azure-native:location": "northeurope"}))

    group = change_of(diff, GROUP)
    assert group.op is Op.REPLACE
    assert group.replaced_by == ("location",)


# -- changes Azure or Pulumi refuse ---------------------------------------------------------------


def test_a_looser_managed_network_is_refused_by_azure() -> None:
    strict = fixture_plan(network={"isolation": "allowOnlyApprovedOutbound"})
    loose = fixture_plan(network={"isolation": "allowInternetOutbound"})

    loosened = change_of(diff_plans(strict, loose), WORKSPACE)
    tightened = change_of(diff_plans(loose, strict), WORKSPACE)

    assert [(r.by, r.reason.split(":")[0]) for r in loosened.refusals] == [
        ("Azure", "managedNetwork.isolationMode")
    ]
    assert tightened.op is Op.UPDATE
    assert tightened.refusals == ()


def test_a_workspace_s_key_vault_change_is_refused_by_azure(base: Plan) -> None:
    diff = diff_plans(base, fixture_plan(keyVault={"existingId": SHARED_VAULT}))

    workspace = change_of(diff, WORKSPACE)
    assert workspace.op is Op.UPDATE
    assert [r.reason.split(":")[0] for r in workspace.refusals] == ["keyVault"]
    for fmt in ("text", "markdown"):
        assert "Azure refuses: keyVault" in render_diff(diff, "base", fmt)
    (shown,) = (
        c for c in json.loads(render_diff(diff, "base", "json"))["changes"] if c["refusals"]
    )
    assert shown["refusals"][0]["by"] == "Azure"


def test_deleting_a_protected_resource_is_refused_by_pulumi() -> None:
    before = Plan(evaluate(lambda: _group("kept", protect=True)))
    after = Plan(evaluate(lambda: None))

    deleted = change_of(diff_plans(before, after), GROUP)
    assert deleted.op is Op.DELETE
    assert [r.by for r in deleted.refusals] == ["Pulumi"]


# -- small programs: summary words, aliases, options ---------------------------------------------


def _group(name: str, *, protect: bool = False, **inputs: Any) -> resources.ResourceGroup:
    return resources.ResourceGroup(
        name,
        resource_group_name=f"rg-{name}",
        location=inputs.pop("location", "westeurope"),
        opts=pulumi.ResourceOptions(protect=protect, **inputs.pop("opts", {})),
        **inputs,
    )


def _suffix(length: int) -> None:
    random.RandomString("suffix", length=length, special=False)


def test_summary_words_are_pulumi_s() -> None:
    def before() -> None:
        _group("kept", tags={"owner": "a"})
        _group("gone")
        _suffix(6)

    def after() -> None:
        _group("kept", tags={"owner": "b"})
        _group("new")
        _suffix(8)  # every input of a random string replaces it

    diff = diff_plans(Plan(evaluate(before)), Plan(evaluate(after)))

    assert diff.summary_lines() == [
        "+ 1 to create",
        "~ 1 to update",
        "- 1 to delete",
        "+- 1 to replace",
        "4 changes. 1 unchanged",
    ]
    text = render_diff(diff, "base", "text")
    assert "    +- 1 to replace\n" in text


def test_a_stack_new_at_the_base_is_created_with_the_stack_itself() -> None:
    diff = diff_plans(None, Plan(evaluate(lambda: _group("only"))))

    assert diff.summary_lines() == ["+ 2 to create", "2 changes. 0 unchanged"]


def test_an_alias_to_the_old_urn_moves_the_resource_instead_of_replacing_it() -> None:
    def before() -> None:
        old = pulumi.ComponentResource("test:index:Group", "old")
        _group("child", opts={"parent": old})

    def after(aliased: bool) -> None:
        old = pulumi.ComponentResource("test:index:Group", "old")
        new = pulumi.ComponentResource("test:index:Grants", "new")
        aliases = [pulumi.Alias(parent=old)] if aliased else None
        _group("child", opts={"parent": new, "aliases": aliases})

    base = Plan(evaluate(before))
    moved = diff_plans(base, Plan(evaluate(partial(after, True))))
    unaliased = diff_plans(base, Plan(evaluate(partial(after, False))))

    child = change_of(moved, GROUP)
    assert child.op is Op.SAME
    assert child.moved_from == "urn:pulumi:test::mlops::test:index:Group$" + GROUP + "::child"
    assert moved.count(Op.DELETE) == 0
    assert unaliased.count(Op.DELETE) == 1


def test_the_access_grants_moved_under_their_component_keep_their_state(base: Plan) -> None:
    """The program's grants carry aliases to where they were: under the WorkspaceStack."""
    grants_parent = "mlops:access:AccessGrants"
    before = _before_grants_moved(base.run, grants_parent)

    diff = diff_plans(Plan(before), base)

    grants = [c for c in diff.changes if c.resource.parent.endswith(f"{grants_parent}::ml-access")]
    assert grants
    assert all(c.op is Op.SAME and c.moved_from for c in grants)
    assert diff.count(Op.DELETE) == 0


def _before_grants_moved(run: ProgramRun, grants_parent: str) -> ProgramRun:
    """The run as it was before the grants had their own component: their aliases' URNs."""
    component = next(r for r in run.resources if r.type == grants_parent)

    def as_before(resource: Resource) -> Resource:
        if resource.parent != component.urn:
            return resource
        old_urn = next(a for a in resource.aliases if "WorkspaceStack$" in a)
        return replace(resource, urn=old_urn, parent=component.parent, aliases=())

    kept = tuple(as_before(r) for r in run.resources if r is not component)
    return replace(run, resources=kept)


def test_ignored_changes_are_not_changes() -> None:
    before = Plan(evaluate(lambda: _group("kept", tags={"owner": "a"})))
    after = Plan(
        evaluate(lambda: _group("kept", tags={"owner": "b"}, opts={"ignore_changes": ["tags"]}))
    )

    change = change_of(diff_plans(before, after), GROUP)
    assert change.properties == ()
    assert [(o.name, o.after) for o in change.options] == [("ignoreChanges", "tags")]


def test_a_removed_map_is_shown_property_by_property() -> None:
    before = Plan(evaluate(lambda: _group("kept", tags={"owner": "a", "team": "b"})))
    after = Plan(evaluate(lambda: _group("kept")))

    change = change_of(diff_plans(before, after), GROUP)
    assert [(p.path, p.before, p.after) for p in change.properties] == [
        ("tags.owner", "a", None),
        ("tags.team", "b", None),
    ]


def test_a_location_written_differently_is_the_same_location() -> None:
    before = Plan(evaluate(lambda: _group("kept", location="West Europe")))
    after = Plan(evaluate(lambda: _group("kept", location="westeurope")))

    assert change_of(diff_plans(before, after), GROUP).op is Op.SAME


def test_a_protect_change_is_an_option_change_not_an_update() -> None:
    before = Plan(evaluate(lambda: _group("kept")))
    after = Plan(evaluate(lambda: _group("kept", protect=True)))

    change = change_of(diff_plans(before, after), GROUP)
    assert change.op is Op.SAME
    assert [(o.name, o.before, o.after) for o in change.options] == [("protect", "false", "true")]


# -- secrets --------------------------------------------------------------------------------------


def test_a_changed_secret_is_shown_as_secret_and_never_in_clear() -> None:
    def plan(owner: str) -> Plan:
        config, _ = fixture_config(alerts={"emails": [f"{owner}@contoso.com"]})
        return Plan(run_stack("dev", config=config, secret_keys=["mlops:alerts"]))

    diff = diff_plans(plan("s3cret-owner-before"), plan("s3cret-owner-after"))

    group = change_of(diff, "azure-native:monitor:ActionGroup")
    assert [(p.path, p.before, p.after) for p in group.properties] == [
        ("emailReceivers[0].emailAddress", SECRET, SECRET)
    ]
    for rendered in every_format(diff):
        assert "s3cret-owner" not in rendered


# -- formats --------------------------------------------------------------------------------------


def test_the_markdown_comment_has_the_diff_first_and_the_full_plan_collapsed(
    replication_changed: Diff,
) -> None:
    markdown = render_diff(replication_changed, "origin/main", "markdown")

    assert markdown.startswith("### Offline preview: stack `dev` against `origin/main`")
    assert markdown.index("~ sku.name: Standard_LRS → Standard_ZRS") < markdown.index(
        "<details><summary>The full plan"
    )
    assert "**~ 1 to update**" in markdown


def test_json_lists_each_change_with_its_properties(replication_changed: Diff) -> None:
    data = json.loads(render_diff(replication_changed, "origin/main", "json"))

    assert data["base"] == "origin/main"
    assert data["summary"]["update"] == 1
    (storage,) = (c for c in data["changes"] if c["type"] == STORAGE)
    assert storage["properties"] == [
        {"path": "sku.name", "before": "Standard_LRS", "after": "Standard_ZRS", "replaces": False}
    ]


# -- comparing stacks -----------------------------------------------------------------------------


def test_compare_takes_a_stack_from_the_config_file_and_compares_every_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    edited = tmp_path / "Pulumi.dev.yaml"
    edited.write_text(FIXTURE.read_text().replace("maxNodes: 2", "maxNodes: 3"))
    # The stack's own file is the fixture here, so that no test reads the example stack files.
    real = preview.run_stack

    def from_fixture(stack: str, config_file: Path | None = None) -> ProgramRun:
        return real(stack, config_file=config_file or FIXTURE)

    monkeypatch.setattr(preview, "run_stack", from_fixture)

    status = preview.main(
        ["--compare", "dev", "dev", "--config-file", str(edited), "--format", "json"]
    )

    data = json.loads(capsys.readouterr().out)
    assert status == 0
    assert data["stacks"] == ["dev", "dev (Pulumi.dev.yaml)"]
    (cluster,) = (d for d in data["differences"] if d["name"] == "dev-compute-cluster-cpu")
    assert cluster["properties"]["properties.properties.scaleSettings.maxNodeCount"] == {
        "dev": "2",
        "dev (Pulumi.dev.yaml)": "3",
    }


def test_compare_refuses_a_config_file_for_a_stack_it_does_not_compare(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = preview.main(["--compare", "qa", "prod", "--config-file", str(FIXTURE)])

    assert status == 1
    assert "--config-file is for stack dev" in capsys.readouterr().err


# -- the base at a git ref ------------------------------------------------------------------------

PROGRAM_FILES: Final = ("__main__.py", "Pulumi.yaml", "settings", "components")


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository holding the program and the fixture as Pulumi.dev.yaml, committed."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path_factory.mktemp("repo")
    for name in PROGRAM_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, repo / name)
    shutil.copy2(FIXTURE, repo / "Pulumi.dev.yaml")
    _git(repo, "init", "--quiet")
    _git(repo, "add", ".")
    _git(
        repo,
        "-c",
        "user.name=Tests",
        "-c",
        "user.email=tests@example.invalid",
        "commit",
        "--quiet",
        "-m",
        "base",
    )
    return repo


@pytest.fixture(scope="module")
def against_head(
    repository: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[int, str, ProgramRun | None]:
    """``preview --base HEAD`` end to end on the repository, its working tree moved on since:
    the status, what it printed, and the stack as the ref left it. One run (the ref's is a
    process of its own) that the tests below examine from both sides."""
    (repository / "Pulumi.dev.yaml").write_text("config: {}\n")
    changed = tmp_path_factory.mktemp("changed") / "Pulumi.dev.yaml"
    changed.write_text(FIXTURE.read_text().replace("replication: LRS", "replication: ZRS"))
    at_ref: list[ProgramRun | None] = []

    def at_repository(ref: str, stack: str) -> ProgramRun | None:
        at_ref.append(run_at(ref, stack, root=repository))
        return at_ref[-1]

    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(printed):
        patch.setattr(preview, "run_at", at_repository)
        status = preview.main(["--config-file", str(changed), "--base", "HEAD", "--format", "text"])
    (base,) = at_ref
    return status, printed.getvalue(), base


def test_the_stack_at_a_ref_is_evaluated_from_the_ref_s_program_and_stack_file(
    against_head: tuple[int, str, ProgramRun | None],
) -> None:
    """Slow (2-5 s): ``against_head`` exports a git ref and evaluates it in a fresh interpreter,
    as ``--base`` does."""
    _, _, at_ref = against_head

    config, secret_keys = file_config(FIXTURE)
    assert at_ref == run_program("dev", config, secret_keys)


def test_a_stack_without_a_stack_file_at_the_ref_is_new(repository: Path) -> None:
    assert run_at("HEAD", "staging", root=repository) is None


def test_an_unknown_ref_says_how_to_fetch_it(repository: Path) -> None:
    with pytest.raises(RevisionError, match=r"'origin/nowhere' not found.*fetch"):
        run_at("origin/nowhere", "dev", root=repository)


def test_the_command_shows_the_diff_against_the_ref(
    against_head: tuple[int, str, ProgramRun | None],
) -> None:
    status, out, _ = against_head

    assert status == 0
    assert "Previewing changes to stack dev against HEAD" in out
    assert "~ sku.name: Standard_LRS → Standard_ZRS" in out
    assert "    ~ 1 to update\n" in out


def test_the_command_reports_an_unknown_ref_and_exits_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = preview.main(["--config-file", str(FIXTURE), "--base", "no-such-ref-anywhere"])

    assert status == 1
    assert "'no-such-ref-anywhere'" in capsys.readouterr().err
