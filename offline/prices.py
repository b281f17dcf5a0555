r"""Hourly list prices of a few VM sizes, so that a pull request's preview prices its compute.

The preview multiplies them by the node-hours a cluster or instance can run in a month (see
``offline.resource_types``) and labels the result an estimate: actual cost depends on the
region, the agreement (reservations, savings plans, enterprise discounts), taxes and how long
nodes really run, and low-priority nodes cost less. A size missing here is shown in node-hours
only.

Refresh: query the Azure Retail Prices API for each size and update ``DATED``::

    curl -sG https://prices.azure.com/api/retail/prices --data-urlencode \
      "\$filter=armRegionName eq 'eastus' and armSkuName eq 'Standard_DS3_v2' and \
      priceType eq 'Consumption'"

and take the ``retailPrice`` of the item whose ``productName`` does not say Windows and whose
``skuName`` says neither Spot nor Low Priority.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

SOURCE: Final = "Azure Retail Prices API, eastus, Linux pay-as-you-go list prices in USD"
PRICED_AS: Final = "eastus Linux list price"  # the short form, next to each resource
DATED: Final = "2024-12"
# Azure's pricing calculator counts a month as 730 hours.
HOURS_PER_MONTH: Final = 730

HOURLY_USD: Final[Mapping[str, float]] = {
    "Standard_D2s_v3": 0.096,
    "Standard_D4s_v3": 0.192,
    "Standard_DS2_v2": 0.146,
    "Standard_DS3_v2": 0.293,
    "Standard_E4s_v3": 0.252,
    "Standard_NC4as_T4_v3": 0.526,
    "Standard_NC6s_v3": 3.06,
    "Standard_NC24ads_A100_v4": 3.673,
}


def hourly_price(vm_size: str) -> float | None:
    """The listed hourly price of a size (Azure compares size names case-insensitively)."""
    return _BY_LOWER_NAME.get(vm_size.lower())


_BY_LOWER_NAME: Final = {name.lower(): price for name, price in HOURLY_USD.items()}
