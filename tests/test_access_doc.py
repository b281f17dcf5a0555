"""docs/access.md is generated from the access matrix and from what each stack registers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from components.access import MATRIX
from offline import access_doc
from offline.diagram import STALE, ordered_stacks
from offline.engine import ROOT, ProgramRun
from offline.plan import Plan


@pytest.fixture(scope="module")
def generated(real_stack_runs: dict[str, ProgramRun]) -> str:
    """docs/access.md as ``make docs`` generates it, from the session's run of each of the
    repository's stack files."""
    return access_doc.document(real_stack_runs)


def test_committed_access_document_is_up_to_date(generated: str) -> None:
    committed = (ROOT / access_doc.DOCUMENT).read_text(encoding="utf-8")
    assert committed == generated, f"{access_doc.DOCUMENT} {STALE}"


def test_check_mode_fails_on_a_stale_document(
    generated: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The check compares with the generated document; the module's copy spares evaluating
    # every stack again.
    monkeypatch.setattr(access_doc, "document", lambda: generated)
    stale = tmp_path / "access.md"
    stale.write_text("# Access\n", encoding="utf-8")
    assert access_doc.main(["--check", str(stale)]) == 1


def test_document_has_a_section_per_stack_in_promotion_order(generated: str) -> None:
    assert re.findall(r"^## (\S+)$", generated, flags=re.MULTILINE) == ordered_stacks()


def test_every_matrix_row_is_in_the_document_with_its_sources(generated: str) -> None:
    for row in MATRIX:
        assert row.why in generated
        assert all(url in generated for url in row.sources)


@pytest.mark.parametrize("stack", ["dev", "qa", "prod"])
def test_a_stack_section_lists_each_role_assignment_it_registers(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    plan = Plan(stack_runs[stack])
    rows = list(access_doc.stack_rows(plan))[2:]
    assignments = [r for r in plan.run.resources if access_doc.is_role_assignment(r)]
    assert len(rows) == len(assignments) > 0
    assert all(row.count(" | ") == 3 for row in rows)
