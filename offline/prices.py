r"""Hourly list prices of a few VM sizes per region, so that a preview prices its compute.

The preview multiplies them by the node-hours a cluster or instance can run in a month (see
``offline.resource_types``), in the stack's region (``azure-native:location``), and labels the
result an estimate: actual cost depends on the agreement (reservations, savings plans, enterprise
discounts), taxes and how long nodes really run, and low-priority nodes cost less. The prices are
Linux pay-as-you-go list prices in USD; a budget is in the subscription's billing currency.

A size with no price in the stack's region is priced at East US's, and the preview says so; a
size missing for East US too is shown in node-hours only. No price here is guessed: a region and
size gets a row only when a published figure was found for it.

Refresh: query the Azure Retail Prices API for each region and size and update ``PRICES`` (and
the ``Source`` a row names)::

    curl -sG https://prices.azure.com/api/retail/prices --data-urlencode \
      "\$filter=armRegionName eq 'westeurope' and armSkuName eq 'Standard_DS3_v2' and \
      priceType eq 'Consumption'"

and take the ``retailPrice`` of the item whose ``productName`` does not say Windows and whose
``skuName`` says neither Spot nor Low Priority. Keep the rows sorted by region, then size
(``tests/test_costs.py`` checks it, and that no region and size appears twice).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

# Azure's pricing calculator counts a month as 730 hours.
HOURS_PER_MONTH: Final = 730
# Where a size without a price in the stack's region is priced instead.
FALLBACK_REGION: Final = "eastus"
CURRENCY: Final = "USD"
# The config key whose region prices a stack.
LOCATION_KEY: Final = "azure-native:location"


@dataclass(frozen=True)
class Source:
    """Where a row's price comes from, and when it was read."""

    name: str
    dated: str

    def __str__(self) -> str:
        return f"{self.name}, {self.dated}"


RETAIL_API: Final = Source(
    "Azure Retail Prices API, Linux pay-as-you-go list prices in USD", "2024-12"
)
# The API's figures as DataBiosphere/terra-ui generated them into azureRegionToPrices
# (src/libs/azure-utils.ts; DS*_v2 rows from commit bd9b3a7b1 of 2023-02-09, NC6s_v3 rows from
# commit e059ea9f2 of 2023-06-07). Its eastus rows equal RETAIL_API's of 2024-12.
TERRA_UI: Final = Source(
    "Azure Retail Prices API via DataBiosphere/terra-ui src/libs/azure-utils.ts, Linux "
    "pay-as-you-go list prices in USD",
    "2023-06",
)

# (region, VM size, USD an hour, source), sorted by region then size (case-insensitively).
# westeurope and northeurope: the sizes a published regional figure was found for; the others
# (D*s_v3, E4s_v3, NC4as_T4_v3, NC24ads_A100_v4) fall back to eastus, labelled.
PRICES: Final[tuple[tuple[str, str, float, Source], ...]] = (
    ("eastus", "Standard_D2s_v3", 0.096, RETAIL_API),
    ("eastus", "Standard_D4s_v3", 0.192, RETAIL_API),
    ("eastus", "Standard_DS2_v2", 0.146, RETAIL_API),
    ("eastus", "Standard_DS3_v2", 0.293, RETAIL_API),
    ("eastus", "Standard_E4s_v3", 0.252, RETAIL_API),
    ("eastus", "Standard_NC24ads_A100_v4", 3.673, RETAIL_API),
    ("eastus", "Standard_NC4as_T4_v3", 0.526, RETAIL_API),
    ("eastus", "Standard_NC6s_v3", 3.06, RETAIL_API),
    ("northeurope", "Standard_DS2_v2", 0.132, TERRA_UI),
    ("northeurope", "Standard_DS3_v2", 0.263, TERRA_UI),
    ("northeurope", "Standard_NC6s_v3", 3.305, TERRA_UI),
    ("westeurope", "Standard_DS2_v2", 0.136, TERRA_UI),
    ("westeurope", "Standard_DS3_v2", 0.272, TERRA_UI),
    ("westeurope", "Standard_NC6s_v3", 3.823, TERRA_UI),
)


@dataclass(frozen=True)
class Price:
    """A size's hourly price for a stack's region: its own, or East US's when it has none."""

    hourly: float
    region: str  # the region whose price this is
    wanted: str  # the stack's region
    source: Source

    @property
    def fallback(self) -> bool:
        return self.region != self.wanted

    @property
    def label(self) -> str:
        """Where the price is from, next to each resource."""
        if self.fallback:
            return (
                f"{self.region} Linux list price: no {self.wanted} price in the table, "
                f"{self.source.dated}"
            )
        return f"{self.region} Linux list price, {self.source.dated}"


def region_name(location: str | None) -> str:
    """A location as the price table names it: ``West Europe`` and ``westeurope`` alike."""
    if not location:
        return FALLBACK_REGION
    return "".join(location.split()).lower()


def price(vm_size: str, region: str = FALLBACK_REGION) -> Price | None:
    """The listed hourly price of a size in a region, else East US's; None when neither is listed.

    Azure compares size names case-insensitively.
    """
    wanted = region_name(region)
    for where in dict.fromkeys((wanted, FALLBACK_REGION)):
        found = _BY_REGION_AND_SIZE.get((where, vm_size.lower()))
        if found is not None:
            hourly, source = found
            return Price(hourly, where, wanted, source)
    return None


def hourly_price(vm_size: str) -> float | None:
    """The listed East US hourly price of a size."""
    found = price(vm_size)
    return None if found is None else found.hourly


_BY_REGION_AND_SIZE: Final = {
    (region, size.lower()): (hourly, source) for region, size, hourly, source in PRICES
}

# East US's prices by size, and how they were read.
HOURLY_USD: Final[Mapping[str, float]] = {
    size: hourly for region, size, hourly, _ in PRICES if region == FALLBACK_REGION
}
SOURCE: Final = RETAIL_API.name
DATED: Final = RETAIL_API.dated
PRICED_AS: Final = f"{FALLBACK_REGION} Linux list price"  # the short form, next to each resource
