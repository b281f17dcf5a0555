"""Architecture diagrams generated from the program (docs/architecture.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from offline.diagram import DOCUMENT, document, main, mermaid, ordered_stacks
from offline.engine import MOCK_SUFFIX, ROOT, ProgramRun
from offline.plan import Plan
from offline.preview import run_stack


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


def test_committed_architecture_document_is_up_to_date() -> None:
    committed = (ROOT / DOCUMENT).read_text(encoding="utf-8")
    assert committed == document(), "docs/architecture.md is out of date: run `make docs`"


def test_document_has_a_mermaid_diagram_per_stack_in_promotion_order() -> None:
    text = (ROOT / DOCUMENT).read_text(encoding="utf-8")
    headings = re.findall(r"^## (\S+)\n\n```mermaid\n", text, flags=re.MULTILINE)
    assert headings == ordered_stacks()


def test_resources_sit_in_the_resource_group(diagrams: dict[str, str]) -> None:
    group = diagrams["dev"].split(
        'subgraph rg_environment_rg["Resource group rg-contoso-mlops-dev"]'
    )
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
    assert "r_endpoints_sales_prep_cluster -.->|AcrPull| r_ml_registry" in diagrams["prod"]


def test_diagram_shows_the_suffix_marker_not_the_mock_suffix(diagrams: dict[str, str]) -> None:
    for diagram in diagrams.values():
        assert MOCK_SUFFIX not in diagram
        assert "{suffix}" in diagram


def test_diagram_is_identical_across_runs() -> None:
    assert mermaid(Plan(run_stack("prod"))) == mermaid(Plan(run_stack("prod")))


def test_check_mode_fails_on_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "architecture.md"
    stale.write_text("# Architecture\n", encoding="utf-8")
    assert main(["--check", str(stale)]) == 1
