"""The hand-maintained lists of Azure's names stay easy to maintain and to review."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from pydantic import TypeAdapter

from offline.engine import ROOT
from settings.catalogs import (
    AML_VM_SERIES,
    AVAILABILITY_ZONE_REGIONS,
    AZURE_REGIONS,
    RETIRED_VM_SIZES,
    SUPPORTED_VM_SIZES,
    WINDOWS_TIME_ZONES,
)
from settings.names import VM_SIZE
from settings.values import VmSize


@pytest.mark.parametrize(
    "names",
    [AZURE_REGIONS, AVAILABILITY_ZONE_REGIONS, WINDOWS_TIME_ZONES],
    ids=["regions", "availability-zone-regions", "zones"],
)
def test_list_is_sorted_and_free_of_duplicates(names: tuple[str, ...]) -> None:
    assert list(names) == sorted(set(names))


def test_regions_are_programmatic_names() -> None:
    assert all(name.isalnum() and name.islower() for name in AZURE_REGIONS)


def test_regions_with_availability_zones_are_azure_regions() -> None:
    assert set(AVAILABILITY_ZONE_REGIONS) <= set(AZURE_REGIONS)
    # Regions the regions list shows without zones stay out.
    assert not {"westcentralus", "ukwest", "westus", "francesouth"} & set(AVAILABILITY_ZONE_REGIONS)


def test_time_zones_include_utc_and_the_example_stack_zone() -> None:
    assert {"UTC", "W. Europe Standard Time"} <= set(WINDOWS_TIME_ZONES)


def test_every_retired_size_names_its_date_replacement_and_microsoft_source() -> None:
    for retired in RETIRED_VM_SIZES.values():
        assert retired.source.startswith("https://learn.microsoft.com/")
        assert re.fullmatch(r"\d{1,2} [A-Z][a-z]+ \d{4}", retired.retired_on)


def test_every_retired_size_s_replacement_is_a_size_the_loader_accepts() -> None:
    accepts = TypeAdapter(VmSize).validate_python
    for size, retired in RETIRED_VM_SIZES.items():
        assert accepts(retired.replacement) == retired.replacement, size


def test_supported_sizes_are_listed_once_and_none_is_retired() -> None:
    assert len(SUPPORTED_VM_SIZES) == len({size.casefold() for size in SUPPORTED_VM_SIZES})
    retired = {size.casefold() for size in RETIRED_VM_SIZES}
    assert not retired & {size.casefold() for size in SUPPORTED_VM_SIZES}
    assert all(sizes for sizes in AML_VM_SERIES.values())


def test_editors_accept_every_supported_size() -> None:
    # The JSON Schema checks a size's shape only; it must not flag a size the loader accepts.
    assert all(re.fullmatch(VM_SIZE.pattern, size) for size in SUPPORTED_VM_SIZES)


def _vm_sizes(value: Any) -> Iterator[str]:
    """Every vmSize in a stack file's config, or in a hostile case's keys and values."""
    if isinstance(value, dict):
        for key, item in value.items():
            if str(key).endswith("vmSize"):
                yield item
            else:
                yield from _vm_sizes(item)
    elif isinstance(value, list):
        for item in value:
            yield from _vm_sizes(item)


def _repository_vm_sizes() -> Iterator[tuple[str, str]]:
    """(file, size) of every size the repository's stack files and examples name, and its
    hostile configs where the size is not what the case refuses."""
    files = [
        *ROOT.glob("Pulumi.*.yaml"),
        *ROOT.glob("tests/fixtures/**/*.yaml"),
        *ROOT.glob("docs/examples/*.yaml"),
    ]
    for path in files:
        for size in _vm_sizes(yaml.safe_load(path.read_text(encoding="utf-8"))):
            yield str(path.relative_to(ROOT)), size
    for path in ROOT.glob("tests/hostile_configs/*.yaml"):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            if not any(e["key"].endswith("vmSize") for e in case["expect"]):
                for size in _vm_sizes(case.get("set", {})):
                    yield f"{path.relative_to(ROOT)} {case['id']}", size


def test_every_vm_size_the_repository_names_is_supported() -> None:
    found = list(_repository_vm_sizes())
    assert {"Standard_DS3_v2", "Standard_NC4as_T4_v3"} <= {size for _, size in found}
    assert [(where, size) for where, size in found if size not in SUPPORTED_VM_SIZES] == []
