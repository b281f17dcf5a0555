"""Architecture diagrams generated from the program (docs/architecture.md)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files

from offline import preview, svg
from offline.diagram import DOCUMENT, STALE, document, main, mermaid, ordered_stacks
from offline.engine import MOCK_SUFFIX, ROOT, ProgramRun
from offline.plan import Plan

ROLE_ASSIGNMENT = "authorization:RoleAssignment"


@pytest.fixture(scope="module")
def diagrams(stack_runs: dict[str, ProgramRun]) -> dict[str, str]:
    return {stack: mermaid(Plan(run)) for stack, run in stack_runs.items()}


def _edges(diagram: str) -> set[tuple[str, str, str]]:
    """(source, label, target) of every arrow."""
    found = set()
    for line in diagram.splitlines():
        match = re.fullmatch(r"\s*(\S+) (?:-->|-\.->)(?:\|([^|]*)\|)? (\S+)", line)
        if match:
            found.add((match[1], match[2] or "", match[3]))
    return found


@pytest.fixture(scope="module")
def generated(real_stack_runs: dict[str, ProgramRun]) -> str:
    """docs/architecture.md as ``make docs`` generates it, from the session's run of each of the
    repository's stack files."""
    return document(real_stack_runs)


def test_committed_architecture_document_is_up_to_date(generated: str) -> None:
    committed = (ROOT / DOCUMENT).read_text(encoding="utf-8")
    assert committed == generated, f"{DOCUMENT} {STALE}"


def test_document_has_a_mermaid_diagram_per_stack_in_promotion_order(generated: str) -> None:
    headings = re.findall(r"^## (\S+)\n\n```mermaid\n", generated, flags=re.MULTILINE)
    assert headings == ordered_stacks()


def test_resources_sit_in_the_resource_group(diagrams: dict[str, str]) -> None:
    group = diagrams["dev"].split('subgraph rg_environment_rg["Resource group rg-contoso-mlops-dev')
    assert len(group) == 2
    inside = group[1].split("  end", 1)[0]
    assert "r_ml_workspace[" in inside
    assert "r_ml_storage[(" in inside


def test_workspace_points_to_its_dependencies(diagrams: dict[str, str]) -> None:
    edges = _edges(diagrams["dev"])
    for label, target in (
        ("storageAccount", "r_ml_storage"),
        ("keyVault", "r_key_vault_vault"),
        ("applicationInsights", "r_ml_insights"),
        ("containerRegistry", "r_ml_registry"),
    ):
        assert ("r_ml_workspace", label, target) in edges


def test_workspace_hosts_computes_and_endpoints(diagrams: dict[str, str]) -> None:
    edges = _edges(diagrams["dev"])
    assert ("r_ml_workspace", "", "r_dev_compute_instance_ds_alice") in edges
    assert ("r_ml_workspace", "", "r_dev_compute_cluster_gpu_cluster") in edges
    assert ("r_ml_workspace", "", "r_endpoints_churn_score") in edges


def test_datastores_point_to_storage_accounts_in_other_subscriptions(
    diagrams: dict[str, str],
) -> None:
    diagram = diagrams["qa"]
    assert ("r_datastores_raw_sales", "reads sales", "ext_stdataplatformexample") in _edges(diagram)
    assert "Subscription 00000000-0000-0000-0000-0000000000aa, resource group rg-dataplatform" in (
        diagram
    )


def test_workspace_draws_its_inline_private_endpoint_rules_to_the_datastore_accounts(
    diagrams: dict[str, str],
) -> None:
    edges = _edges(diagrams["prod"])
    assert ("r_ml_workspace", "private endpoint dfs", "ext_stdataplatformexample") in edges
    assert ("r_ml_workspace", "private endpoint blob", "ext_stcrmexample") in edges
    # The rules are the workspace's input, not a dependency drawn as a "uses" arrow.
    assert not any(label == "managedNetwork" for _, label, _ in edges)


def _role_names(run: ProgramRun) -> set[str]:
    plan = Plan(run)
    return {plan.role_name(r) for r in run.resources if r.type.endswith(ROLE_ASSIGNMENT)}


def test_role_assignments_are_not_drawn(
    stack_runs: dict[str, ProgramRun], diagrams: dict[str, str]
) -> None:
    # docs/access.md lists them; an arrow per identity and role tangled the picture.
    roles = {stack: _role_names(run) for stack, run in stack_runs.items()}
    assert "Storage Queue Data Contributor" in roles["prod"]
    for stack, diagram in diagrams.items():
        labels = {label for _, label, _ in _edges(diagram)}
        assert not roles[stack] & labels, stack


def test_locked_resources_say_so_on_their_box(diagrams: dict[str, str]) -> None:
    locked = re.findall(r'(r_\w+)\[\(?"[^"]*\(delete lock\)"', diagrams["prod"])
    assert sorted(locked) == ["r_key_vault_vault", "r_ml_logs", "r_ml_registry", "r_ml_storage"]
    assert "delete lock" not in diagrams["dev"]


def test_the_budget_is_a_note_on_its_resource_group(diagrams: dict[str, str]) -> None:
    assert (
        'rg_environment_rg["Resource group rg-contoso-mlops-prod (monthly budget)"]'
        in (diagrams["prod"])
    )


def test_watched_resources_point_to_the_action_group(diagrams: dict[str, str]) -> None:
    edges = _edges(diagrams["qa"])
    for watched in ("r_ml_workspace", "r_endpoints_churn_score", "r_ml_logs"):
        assert (watched, "alerts", "r_monitoring_action_group") in edges


def test_diagram_shows_the_suffix_marker_not_the_mock_suffix(diagrams: dict[str, str]) -> None:
    for diagram in diagrams.values():
        assert MOCK_SUFFIX not in diagram
        assert "{suffix}" in diagram


@pytest.mark.parametrize("stack", ["dev", "qa", "prod"])
def test_diagram_is_identical_across_runs(
    stack: str, stack_runs: dict[str, ProgramRun], stack_reruns: dict[str, ProgramRun]
) -> None:
    assert mermaid(Plan(stack_runs[stack])) == mermaid(Plan(stack_reruns[stack]))


def test_check_mode_fails_on_a_stale_file(
    generated: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The check compares with the generated document; the module's copy spares evaluating
    # every stack again.
    monkeypatch.setattr("offline.diagram.document", lambda: generated)
    stale = tmp_path / "architecture.md"
    stale.write_text("# Architecture\n", encoding="utf-8")
    assert main(["--check", str(stale)]) == 1


# -- the SVG (python -m offline.preview --format svg) and the site's Mermaid (offline/svg.py) -----
# What the browser draws: tests_site/ (make site-check).


def test_svg_without_chromium_fails_in_one_line_naming_make_browser(
    stack_runs: dict[str, ProgramRun],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("offline.preview.run_stack", lambda stack, **_: stack_runs[stack])
    monkeypatch.setattr(svg, "CHROMIUM", tmp_path / "chromium")
    assert preview.main(["--stack", "dev", "--format", "svg"]) == 1
    assert capsys.readouterr() == ("", f"{svg.CHROMIUM_MISSING}\n")
    assert "`make browser`" in svg.CHROMIUM_MISSING


def test_svg_without_node_modules_names_make_diagram(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(svg, "CHROMIUM", Path(sys.executable))  # present
    monkeypatch.setattr(svg, "MERMAID", tmp_path / "mermaid.min.js")
    with pytest.raises(svg.SvgError, match=r"^node_modules/\S+ is missing: run `make diagram`"):
        svg.render("flowchart LR\n  a --> b\n")


def test_svg_draws_one_stack_so_refuses_compare_base_and_journeys(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for option in (["--compare", "qa", "prod"], ["--base", "HEAD"], ["--journeys"]):
        with pytest.raises(SystemExit) as exit_info:
            preview.main(["--format", "svg", *option])
        assert exit_info.value.code == 2, option
        assert "--format svg draws one stack" in capsys.readouterr().err, option


def test_the_site_build_without_node_modules_names_make_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(svg, "MERMAID", tmp_path / "mermaid.min.js")
    with pytest.raises(PluginError, match="run `make site`"):
        svg.on_files(Files([]), config=None)


def test_a_preview_imports_neither_playwright_nor_mkdocs() -> None:
    """A fresh interpreter (about 1 s: it imports the Pulumi SDK)."""
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, offline.preview; print(*sys.modules)"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert [name for name in loaded if name.split(".")[0] in ("playwright", "mkdocs")] == []
