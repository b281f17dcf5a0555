"""The hand-maintained lists of Azure's names stay easy to maintain and to review."""

from __future__ import annotations

import re

import pytest

from settings.catalogs import (
    AVAILABILITY_ZONE_REGIONS,
    AZURE_REGIONS,
    RETIRED_VM_SIZES,
    WINDOWS_TIME_ZONES,
)
from settings.names import VM_SIZE


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
    for size, retired in RETIRED_VM_SIZES.items():
        assert re.fullmatch(VM_SIZE.pattern, size)
        assert retired.source.startswith("https://learn.microsoft.com/")
        # The suggested replacement is itself current.
        assert retired.replacement.split()[0] not in RETIRED_VM_SIZES
        assert retired.retired_on
