"""Architecture diagrams generated from the program (docs/architecture.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from offline.diagram import DOCUMENT, STALE, document, main, mermaid, ordered_stacks
from offline.engine import MOCK_SUFFIX, ROOT, ProgramRun
from offline.plan import Plan


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


def test_identity_roles_are_dotted_arrows(diagrams: dict[str, str]) -> None:
    edge = "r_endpoints_sales_prep_cluster -.->|Storage Queue Data Contributor| r_ml_storage"
    assert edge in diagrams["prod"]


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
