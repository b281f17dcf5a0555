"""Zone-redundant storage and registries only where the region has availability zones: the
settings refuse them elsewhere, naming the key, before any resource is registered."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import load_settings, problem_at, settings_problems

BASE = {
    "mlops:prefix": "contoso",
    "mlops:alerts": json.dumps({"emails": ["ml-platform@contoso.example"]}),
}
SHARED = {**BASE, "mlops:environment": "shared", "mlops:budget": json.dumps({"monthlyAmount": 500})}
PROD = {**BASE, "mlops:budget": json.dumps({"monthlyAmount": 5000})}
# A region with availability zones, and regions without them (regions-list).
ZONED, UNZONED, UNZONED_REPLICA = "westeurope", "westcentralus", "ukwest"


def located(base: dict[str, str], region: str) -> dict[str, str]:
    return {**base, "azure-native:location": region}


def created(regions: list[str]) -> dict[str, Any]:
    """mlops:modelRegistry of a shared stack creating it with replicas in ``regions``."""
    return {"mode": "create", "regions": regions}


@pytest.mark.parametrize("replication", ["ZRS", "GZRS", "RAGZRS"])
def test_zone_redundant_storage_is_refused_in_a_region_without_zones(replication: str) -> None:
    found = settings_problems(located(BASE, UNZONED), storage={"replication": replication})
    message = problem_at(found, "mlops:storage.replication")
    assert f"{replication} needs a region with availability zones" in message
    assert "use LRS, GRS or RAGRS there" in message


def test_the_default_storage_replication_is_refused_in_a_region_without_zones() -> None:
    message = problem_at(settings_problems(located(BASE, UNZONED)), "mlops:storage.replication")
    assert "ZRS is the default" in message


@pytest.mark.parametrize("replication", ["LRS", "GRS", "RAGRS"])
def test_storage_without_zones_loads_in_a_region_without_zones(replication: str) -> None:
    loaded = load_settings(located(BASE, UNZONED), storage={"replication": replication})
    assert loaded.storage.replication == replication


def test_zone_redundant_storage_loads_in_a_region_with_zones() -> None:
    assert load_settings(located(BASE, ZONED)).storage.replication == "ZRS"


def test_a_prod_premium_registry_is_refused_in_a_region_without_zones() -> None:
    found = settings_problems(
        located(PROD, UNZONED),
        "prod",
        storage={"replication": "GRS"},
        containerRegistry={"mode": "create", "sku": "Premium"},
    )
    assert found == (
        "azure-native:location: westcentralus has no availability zones, which the Premium "
        "container registry's zone redundancy (mlops:containerRegistry) in prod need: deploy to "
        "a region with availability zones "
        "(https://learn.microsoft.com/azure/reliability/regions-list)",
    )


def test_a_dev_premium_registry_loads_in_a_region_without_zones() -> None:
    # dev's profile does not make its registry zone redundant.
    loaded = load_settings(
        located(BASE, UNZONED),
        storage={"replication": "LRS"},
        containerRegistry={"mode": "create", "sku": "Premium"},
    )
    assert not loaded.profile.zone_redundant_registry


def test_the_shared_model_registry_is_refused_in_a_primary_region_without_zones() -> None:
    found = settings_problems(
        located(SHARED, UNZONED),
        "shared",
        modelRegistry=created([ZONED]),
        containerRegistry={"mode": "create", "sku": "Premium"},
    )
    # One problem for the region, naming both registries that need its zones.
    assert found == (
        "azure-native:location: westcentralus has no availability zones, which the Premium "
        "container registry's zone redundancy (mlops:containerRegistry) and the model "
        "registry's zone-redundant storage (Standard_ZRS) in shared need: deploy to a region "
        "with availability zones (https://learn.microsoft.com/azure/reliability/regions-list)",
    )


def test_a_replica_region_without_zones_is_refused_by_index() -> None:
    found = settings_problems(
        located(SHARED, ZONED), "shared", modelRegistry=created(["northeurope", UNZONED_REPLICA])
    )
    assert found == (
        "mlops:modelRegistry.regions[1]: ukwest has no availability zones, which the model "
        "registry's zone-redundant storage (Standard_ZRS, in each of its regions in shared) "
        "needs: replicate to a region with availability zones "
        "(https://learn.microsoft.com/azure/reliability/regions-list)",
    )


def test_a_shared_registry_with_zones_in_every_region_loads() -> None:
    loaded = load_settings(
        located(SHARED, ZONED), "shared", modelRegistry=created(["northeurope", "swedencentral"])
    )
    assert loaded.model_registry.regions == ("northeurope", "swedencentral")
