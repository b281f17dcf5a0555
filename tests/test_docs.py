"""The README is a short front door whose links all lead somewhere; the documentation site
(mkdocs.yml, docs/) has every page in its nav; and the few hand-kept tables that mirror the
program still do. The generated blocks' freshness is tests/test_reference.py's.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from offline.engine import ROOT, ProgramRun
from settings.journeys import JOURNEYS

README = ROOT / "README.md"
DOCS = ROOT / "docs"
# Files of docs/ that are not pages: what the pages link to, to copy into a stack file.
NOT_PAGES = DOCS / "examples"
README_LINES = 250
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^\s*```")


def _nav_pages(items: list[Any]) -> list[str]:
    pages: list[str] = []
    for item in items:
        for entry in item.values() if isinstance(item, dict) else [item]:
            pages += _nav_pages(entry) if isinstance(entry, list) else [entry]
    return pages


def nav_pages() -> list[str]:
    # mkdocs.yml names a Python function in a tag of its own; the nav needs none of it.
    loader = type("Loader", (yaml.SafeLoader,), {})
    loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda *_: None)
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=loader)
    return _nav_pages(config["nav"])


def _prose(text: str) -> list[str]:
    """The lines of a Markdown text outside its code fences."""
    lines, fenced = [], False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def anchors(page: Path) -> set[str]:
    """The anchors of a page's headings (as GitHub and MkDocs' toc both make them for these
    headings) and its explicit ids."""
    found = set()
    for line in _prose(page.read_text(encoding="utf-8")):
        heading = re.match(r"^#+ (.+)$", line)
        if heading:
            text = re.sub(r"[^\w\- ]", "", heading[1].lower()).strip()
            found.add(re.sub(r" +", "-", text))
        found |= set(re.findall(r'<a id="([^"]+)"', line))
    return found


def relative_links(page: Path) -> list[str]:
    return [
        target
        for line in _prose(page.read_text(encoding="utf-8"))
        for target in _LINK.findall(line)
        if not re.match(r"^[a-z]+:", target)
    ]


def test_the_readme_is_a_front_door_of_at_most_250_lines() -> None:
    assert len(README.read_text(encoding="utf-8").splitlines()) <= README_LINES


@pytest.mark.parametrize("target", relative_links(README))
def test_each_link_of_the_readme_resolves(target: str) -> None:
    path, _, anchor = target.partition("#")
    page = (ROOT / path).resolve() if path else README
    assert page.exists(), f"{target}: no such file"
    assert not anchor or anchor in anchors(page), f"{target}: no such anchor"


def test_every_nav_entry_is_a_page() -> None:
    assert [page for page in nav_pages() if not (DOCS / page).is_file()] == []


def test_every_page_is_in_the_nav() -> None:
    pages = {
        p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md") if NOT_PAGES not in p.parents
    }
    assert pages - set(nav_pages()) == set()


def test_the_journeys_page_lists_each_journey_with_its_title() -> None:
    page = (DOCS / "concepts" / "journeys.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\w+)` \| ([^|]+) \|", page, flags=re.MULTILINE))
    assert {key: title.strip() for key, title in rows.items()} == {
        journey.key: journey.title for journey in JOURNEYS
    }


def test_the_reference_describes_every_output_a_stack_exports(
    stack_runs: dict[str, ProgramRun],
) -> None:
    page = (DOCS / "reference.md").read_text(encoding="utf-8")
    table = page[page.index("## Outputs") :]
    described = {name for row in re.findall(r"^\|([^|]+)\|", table, flags=re.MULTILINE)
                 for name in re.findall(r"`(\w+)`", row)}  # fmt: skip
    exported = {name for run in stack_runs.values() for name in run.outputs}
    assert exported - described == set()


def test_the_esc_example_on_getting_started_is_the_example_file() -> None:
    example = DOCS / "examples" / "esc" / "mlops-dev.yaml"
    page = (DOCS / "getting-started.md").read_text(encoding="utf-8")
    after = page[page.index(f"]({example.relative_to(DOCS).as_posix()})") :]
    shown = re.search(r"```yaml\n(.*?)```", after, flags=re.DOTALL)
    assert shown is not None
    assert yaml.safe_load(shown[1]) == yaml.safe_load(example.read_text(encoding="utf-8"))


def _defined_tests() -> set[str]:
    return {
        match
        for folder in ("tests", "tests_site")
        for path in (ROOT / folder).rglob("test_*.py")
        for match in re.findall(r"^\s*def (test_\w+)", path.read_text(encoding="utf-8"), re.M)
    }


def _named_tests() -> list[tuple[str, str]]:
    """Each test a page or the README names, with where: a statement of behaviour points at a
    test, so a renamed or removed test must not leave the pointer behind. A line about a scratch
    change (docs/extending.md's worked examples) names tests a reader writes, not ours."""
    found = []
    for page in [README, *sorted(DOCS.rglob("*.md"))]:
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            if "scratch" not in line:
                where = f"{page.relative_to(ROOT)}:{number}"
                found += [
                    (name, where) for name in re.findall(r"\b(test_[a-z0-9_]+)\b(?!\.py)", line)
                ]
    return found


def test_every_test_the_docs_name_exists() -> None:
    defined = _defined_tests()
    missing = [f"{where}: {name}" for name, where in _named_tests() if name not in defined]
    assert not missing, missing
