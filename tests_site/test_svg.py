"""`python -m offline.preview --format svg` (make diagram): a stack's architecture diagram as a
standalone SVG, drawn by the pinned Mermaid in headless Chromium."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from typing import Final

import pytest

from offline.svg import CHROMIUM, CHROMIUM_MISSING, MERMAID, ROOT, mermaid_missing

SVG_NAMESPACE: Final = "http://www.w3.org/2000/svg"
XLINK_HREF: Final = "{http://www.w3.org/1999/xlink}href"
ARCHITECTURE: Final = ROOT / "docs" / "architecture.md"


@pytest.fixture(scope="module")
def svg() -> str:
    """The dev stack's SVG, as `make diagram STACK=dev` writes it."""
    for present, missing in ((CHROMIUM, CHROMIUM_MISSING), (MERMAID, mermaid_missing("make site"))):
        if not present.exists():
            pytest.fail(missing, pytrace=False)
    completed = subprocess.run(
        [sys.executable, "-m", "offline.preview", "--stack", "dev", "--format", "svg"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


@pytest.fixture(scope="module")
def root(svg: str) -> ET.Element:
    return ET.fromstring(svg.encode())


def documented_boxes(stack: str) -> set[str]:
    """The node ids of the stack's diagram in docs/architecture.md."""
    section = ARCHITECTURE.read_text(encoding="utf-8").split(f"\n## {stack}\n", 1)[1]
    diagram = section.split("```mermaid\n", 1)[1].split("```", 1)[0]
    return set(re.findall(r"^\s*(\w+)[\[(]", diagram, flags=re.MULTILINE))


def _box_of(group: ET.Element) -> str | None:
    """The Mermaid node a group draws: its id is <diagram>-flowchart-<node id>-<counter>."""
    match = re.fullmatch(r"diagram-flowchart-(\w+)-\d+", group.get("id", ""))
    return match[1] if match else None


def test_the_svg_is_an_svg_document(root: ET.Element) -> None:
    assert root.tag == f"{{{SVG_NAMESPACE}}}svg"
    assert float(root.attrib["width"]) > 0 and float(root.attrib["height"]) > 0


def test_the_svg_refers_to_nothing_outside_itself(root: ET.Element) -> None:
    references = [
        value
        for element in root.iter()
        for name, value in element.attrib.items()
        if name in ("href", XLINK_HREF) or "url(" in value
    ]
    references += re.findall(r"url\([^)]*\)|@import[^;]*", "".join(root.itertext()))
    outside = [ref for ref in references if not (ref.startswith("#") or ref.startswith("url(#"))]
    assert outside == []


def test_the_svg_labels_the_workspace_box(root: ET.Element) -> None:
    (box,) = [g for g in root.iter(f"{{{SVG_NAMESPACE}}}g") if _box_of(g) == "r_ml_workspace"]
    label = "".join(box.itertext())
    assert "Azure ML workspace" in label
    assert "mlw-contoso-dev-{suffix}" in label


def test_the_svg_draws_the_boxes_of_the_stacks_documented_diagram(root: ET.Element) -> None:
    drawn = {_box_of(g) for g in root.iter(f"{{{SVG_NAMESPACE}}}g")} - {None}
    assert drawn == documented_boxes("dev")
