"""docs/access.md is generated from the access matrix and from what each stack registers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from components.access import MATRIX
from offline import access_doc
from offline.diagram import ordered_stacks
from offline.engine import ROOT, ProgramRun
from offline.plan import Plan


def test_committed_access_document_is_up_to_date() -> None:
    committed = (ROOT / access_doc.DOCUMENT).read_text(encoding="utf-8")
    assert committed == access_doc.document(), "docs/access.md is out of date: run `make docs`"


def test_check_mode_fails_on_a_stale_document(tmp_path: Path) -> None:
    stale = tmp_path / "access.md"
    stale.write_text("# Access\n", encoding="utf-8")
    assert access_doc.main(["--check", str(stale)]) == 1


def test_document_has_a_section_per_stack_in_promotion_order() -> None:
    text = (ROOT / access_doc.DOCUMENT).read_text(encoding="utf-8")
    assert re.findall(r"^## (\S+)$", text, flags=re.MULTILINE) == ordered_stacks()


def test_every_matrix_row_is_in_the_document_with_its_sources() -> None:
    text = (ROOT / access_doc.DOCUMENT).read_text(encoding="utf-8")
    for row in MATRIX:
        assert row.why in text
        assert all(url in text for url in row.sources)


@pytest.mark.parametrize("stack", ["dev", "qa", "prod"])
def test_a_stack_section_lists_each_role_assignment_it_registers(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    plan = Plan(stack_runs[stack])
    rows = list(access_doc.stack_rows(plan))[2:]
    assignments = [r for r in plan.run.resources if access_doc.is_role_assignment(r)]
    assert len(rows) == len(assignments) > 0
    assert all(row.count(" | ") == 3 for row in rows)
