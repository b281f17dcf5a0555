"""Azure's own names that config values are checked against: small lists, each with its source.

They are maintained by hand. When Azure adds a region or Windows a time zone, add it here (a
test keeps each list sorted and free of duplicates); when Azure ML supports a new VM series, add
its sizes with the page that lists them; when Microsoft retires a VM size, move it to the
retired sizes with its date, its replacement and the page that announces it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

# Physical regions of Azure's public cloud, as `az account list-locations` names them (the
# display names of https://learn.microsoft.com/azure/reliability/regions-list, lowercased,
# without spaces). Access-restricted regions are included: a subscription may be allowed them.
AZURE_REGIONS: Final = (
    "australiacentral",
    "australiacentral2",
    "australiaeast",
    "australiasoutheast",
    "austriaeast",
    "brazilsouth",
    "brazilsoutheast",
    "canadacentral",
    "canadaeast",
    "centralindia",
    "centralus",
    "eastasia",
    "eastus",
    "eastus2",
    "francecentral",
    "francesouth",
    "germanynorth",
    "germanywestcentral",
    "indonesiacentral",
    "israelcentral",
    "italynorth",
    "japaneast",
    "japanwest",
    "koreacentral",
    "koreasouth",
    "mexicocentral",
    "newzealandnorth",
    "northcentralus",
    "northeurope",
    "norwayeast",
    "norwaywest",
    "polandcentral",
    "qatarcentral",
    "southafricanorth",
    "southafricawest",
    "southcentralus",
    "southeastasia",
    "southindia",
    "spaincentral",
    "swedencentral",
    "swedensouth",
    "switzerlandnorth",
    "switzerlandwest",
    "uaecentral",
    "uaenorth",
    "uksouth",
    "ukwest",
    "westcentralus",
    "westeurope",
    "westindia",
    "westus",
    "westus2",
    "westus3",
)

# The regions of AZURE_REGIONS with availability zones, where zone-redundant storage (ZRS, GZRS,
# RA-GZRS) and zone-redundant registries can be created. From the table "Regions with
# availability zones" of https://learn.microsoft.com/azure/reliability/availability-zones-overview
# (which https://learn.microsoft.com/azure/reliability/regions-list summarises; page dated
# 2026-02-11, read 2026-11-26). Listed there but not in AZURE_REGIONS, so left out: belgiumcentral,
# chilecentral, denmarkeast, indiasouthcentral, malaysiawest. The page marks some zones of
# eastus2 and northcentralus as preview; both are listed with three or more zones, so both count.
AVAILABILITY_ZONE_REGIONS: Final = (
    "australiaeast",
    "austriaeast",
    "brazilsouth",
    "canadacentral",
    "centralindia",
    "centralus",
    "eastasia",
    "eastus",
    "eastus2",
    "francecentral",
    "germanywestcentral",
    "indonesiacentral",
    "israelcentral",
    "italynorth",
    "japaneast",
    "japanwest",
    "koreacentral",
    "mexicocentral",
    "newzealandnorth",
    "northcentralus",
    "northeurope",
    "norwayeast",
    "polandcentral",
    "qatarcentral",
    "southafricanorth",
    "southcentralus",
    "southeastasia",
    "spaincentral",
    "swedencentral",
    "switzerlandnorth",
    "uaenorth",
    "uksouth",
    "westeurope",
    "westus2",
    "westus3",
)

# Windows time-zone IDs, which Azure ML schedules read their cron expressions in (the REST spec's
# Cron.timeZone points at https://learn.microsoft.com/windows-hardware/manufacture/desktop/
# default-time-zones). The IDs are those of CLDR's windowsZones.xml (territory 001), the
# machine-readable mapping of every Windows zone.
WINDOWS_TIME_ZONES: Final = (
    "AUS Central Standard Time",
    "AUS Eastern Standard Time",
    "Afghanistan Standard Time",
    "Alaskan Standard Time",
    "Aleutian Standard Time",
    "Altai Standard Time",
    "Arab Standard Time",
    "Arabian Standard Time",
    "Arabic Standard Time",
    "Argentina Standard Time",
    "Astrakhan Standard Time",
    "Atlantic Standard Time",
    "Aus Central W. Standard Time",
    "Azerbaijan Standard Time",
    "Azores Standard Time",
    "Bahia Standard Time",
    "Bangladesh Standard Time",
    "Belarus Standard Time",
    "Bougainville Standard Time",
    "Canada Central Standard Time",
    "Cape Verde Standard Time",
    "Caucasus Standard Time",
    "Cen. Australia Standard Time",
    "Central America Standard Time",
    "Central Asia Standard Time",
    "Central Brazilian Standard Time",
    "Central Europe Standard Time",
    "Central European Standard Time",
    "Central Pacific Standard Time",
    "Central Standard Time",
    "Central Standard Time (Mexico)",
    "Chatham Islands Standard Time",
    "China Standard Time",
    "Cuba Standard Time",
    "Dateline Standard Time",
    "E. Africa Standard Time",
    "E. Australia Standard Time",
    "E. Europe Standard Time",
    "E. South America Standard Time",
    "Easter Island Standard Time",
    "Eastern Standard Time",
    "Eastern Standard Time (Mexico)",
    "Egypt Standard Time",
    "Ekaterinburg Standard Time",
    "FLE Standard Time",
    "Fiji Standard Time",
    "GMT Standard Time",
    "GTB Standard Time",
    "Georgian Standard Time",
    "Greenland Standard Time",
    "Greenwich Standard Time",
    "Haiti Standard Time",
    "Hawaiian Standard Time",
    "India Standard Time",
    "Iran Standard Time",
    "Israel Standard Time",
    "Jordan Standard Time",
    "Kaliningrad Standard Time",
    "Korea Standard Time",
    "Libya Standard Time",
    "Line Islands Standard Time",
    "Lord Howe Standard Time",
    "Magadan Standard Time",
    "Magallanes Standard Time",
    "Marquesas Standard Time",
    "Mauritius Standard Time",
    "Middle East Standard Time",
    "Montevideo Standard Time",
    "Morocco Standard Time",
    "Mountain Standard Time",
    "Mountain Standard Time (Mexico)",
    "Myanmar Standard Time",
    "N. Central Asia Standard Time",
    "Namibia Standard Time",
    "Nepal Standard Time",
    "New Zealand Standard Time",
    "Newfoundland Standard Time",
    "Norfolk Standard Time",
    "North Asia East Standard Time",
    "North Asia Standard Time",
    "North Korea Standard Time",
    "Omsk Standard Time",
    "Pacific SA Standard Time",
    "Pacific Standard Time",
    "Pacific Standard Time (Mexico)",
    "Pakistan Standard Time",
    "Paraguay Standard Time",
    "Qyzylorda Standard Time",
    "Romance Standard Time",
    "Russia Time Zone 10",
    "Russia Time Zone 11",
    "Russia Time Zone 3",
    "Russian Standard Time",
    "SA Eastern Standard Time",
    "SA Pacific Standard Time",
    "SA Western Standard Time",
    "SE Asia Standard Time",
    "Saint Pierre Standard Time",
    "Sakhalin Standard Time",
    "Samoa Standard Time",
    "Sao Tome Standard Time",
    "Saratov Standard Time",
    "Singapore Standard Time",
    "South Africa Standard Time",
    "South Sudan Standard Time",
    "Sri Lanka Standard Time",
    "Sudan Standard Time",
    "Syria Standard Time",
    "Taipei Standard Time",
    "Tasmania Standard Time",
    "Tocantins Standard Time",
    "Tokyo Standard Time",
    "Tomsk Standard Time",
    "Tonga Standard Time",
    "Transbaikal Standard Time",
    "Turkey Standard Time",
    "Turks And Caicos Standard Time",
    "US Eastern Standard Time",
    "US Mountain Standard Time",
    "UTC",
    "UTC+12",
    "UTC+13",
    "UTC-02",
    "UTC-08",
    "UTC-09",
    "UTC-11",
    "Ulaanbaatar Standard Time",
    "Venezuela Standard Time",
    "Vladivostok Standard Time",
    "Volgograd Standard Time",
    "W. Australia Standard Time",
    "W. Central Africa Standard Time",
    "W. Europe Standard Time",
    "W. Mongolia Standard Time",
    "West Asia Standard Time",
    "West Bank Standard Time",
    "West Pacific Standard Time",
    "Yakutsk Standard Time",
    "Yukon Standard Time",
)


# The VM sizes Azure ML compute (instances and clusters) supports, by series: the series of the
# table "Supported VM series and sizes" (page dated 2025-11-13, read 2026-12-06), each with the
# sizes its Microsoft Learn size page names, less the series Azure has retired since (NC, NC
# Promo, NCv2, NCv3, ND, NV, NVv3, H, HB: in RETIRED_VM_SIZES). Azure ML says which sizes a
# region offers (`az ml compute list-sizes`); this table is what the loader accepts anywhere.
AML_VM_SIZES_SOURCE: Final = (
    "https://learn.microsoft.com/azure/machine-learning/concept-compute-target"
    "#supported-vm-series-and-sizes"
)
# A series noted "Retiring" is announced for retirement but still runs: it is accepted until
# its date, when its sizes move to RETIRED_VM_SIZES. A "capacity-restricted" one can be
# deployed since July 2026 only within the quota a subscription already has, and not at all in
# a new subscription. Both from Microsoft's list (page dated 2026-09-24):
# https://learn.microsoft.com/azure/virtual-machines/sizes/lifecycle/retirements-and-capacity-restrictions
AML_VM_SERIES: Final[Mapping[str, tuple[str, ...]]] = {
    # https://learn.microsoft.com/azure/virtual-machines/sizes/general-purpose/ddsv4-series
    "DDSv4": (
        "Standard_D2ds_v4",
        "Standard_D4ds_v4",
        "Standard_D8ds_v4",
        "Standard_D16ds_v4",
        "Standard_D32ds_v4",
        "Standard_D48ds_v4",
        "Standard_D64ds_v4",
    ),
    # Retiring 1 May 2028, capacity-restricted. With the memory-optimized sizes 11-15:
    # https://learn.microsoft.com/azure/virtual-machines/sizes/general-purpose/dv2-series
    # https://learn.microsoft.com/azure/virtual-machines/sizes/memory-optimized/dv2-dsv2-series-memory
    "Dv2": (
        "Standard_D1_v2",
        "Standard_D2_v2",
        "Standard_D3_v2",
        "Standard_D4_v2",
        "Standard_D5_v2",
        "Standard_D11_v2",
        "Standard_D12_v2",
        "Standard_D13_v2",
        "Standard_D14_v2",
        "Standard_D15_v2",
    ),
    # Retiring 1 May 2028, capacity-restricted. With the memory-optimized sizes 11-15 and their
    # constrained-vCPU sizes (https://learn.microsoft.com/azure/virtual-machines/constrained-vcpu):
    # https://learn.microsoft.com/azure/virtual-machines/sizes/general-purpose/dsv2-series
    "DSv2": (
        "Standard_DS1_v2",
        "Standard_DS2_v2",
        "Standard_DS3_v2",
        "Standard_DS4_v2",
        "Standard_DS5_v2",
        "Standard_DS11_v2",
        "Standard_DS12_v2",
        "Standard_DS13_v2",
        "Standard_DS14_v2",
        "Standard_DS15_v2",
        "Standard_DS11-1_v2",
        "Standard_DS12-1_v2",
        "Standard_DS12-2_v2",
        "Standard_DS13-2_v2",
        "Standard_DS13-4_v2",
        "Standard_DS14-4_v2",
        "Standard_DS14-8_v2",
    ),
    # Retiring 15 November 2029, capacity-restricted.
    # https://learn.microsoft.com/azure/virtual-machines/sizes/general-purpose/dv3-series
    "Dv3": (
        "Standard_D2_v3",
        "Standard_D4_v3",
        "Standard_D8_v3",
        "Standard_D16_v3",
        "Standard_D32_v3",
        "Standard_D48_v3",
        "Standard_D64_v3",
    ),
    # Retiring 15 November 2029, capacity-restricted.
    # https://learn.microsoft.com/azure/virtual-machines/sizes/general-purpose/dsv3-series
    "DSv3": (
        "Standard_D2s_v3",
        "Standard_D4s_v3",
        "Standard_D8s_v3",
        "Standard_D16s_v3",
        "Standard_D32s_v3",
        "Standard_D48s_v3",
        "Standard_D64s_v3",
    ),
    # https://learn.microsoft.com/azure/virtual-machines/sizes/memory-optimized/eav4-series
    "EAv4": (
        "Standard_E2a_v4",
        "Standard_E4a_v4",
        "Standard_E8a_v4",
        "Standard_E16a_v4",
        "Standard_E20a_v4",
        "Standard_E32a_v4",
        "Standard_E48a_v4",
        "Standard_E64a_v4",
        "Standard_E96a_v4",
    ),
    # Retiring 15 November 2029, capacity-restricted.
    # https://learn.microsoft.com/azure/virtual-machines/sizes/memory-optimized/ev3-esv3-series
    "Ev3": (
        "Standard_E2_v3",
        "Standard_E4_v3",
        "Standard_E8_v3",
        "Standard_E16_v3",
        "Standard_E20_v3",
        "Standard_E32_v3",
        "Standard_E48_v3",
        "Standard_E64_v3",
        "Standard_E64i_v3",
    ),
    # Retiring 15 November 2029, capacity-restricted. With the constrained-vCPU sizes.
    # https://learn.microsoft.com/azure/virtual-machines/sizes/memory-optimized/ev3-esv3-series
    "ESv3": (
        "Standard_E2s_v3",
        "Standard_E4s_v3",
        "Standard_E8s_v3",
        "Standard_E16s_v3",
        "Standard_E20s_v3",
        "Standard_E32s_v3",
        "Standard_E48s_v3",
        "Standard_E64s_v3",
        "Standard_E64is_v3",
        "Standard_E4-2s_v3",
        "Standard_E8-2s_v3",
        "Standard_E8-4s_v3",
        "Standard_E16-4s_v3",
        "Standard_E16-8s_v3",
        "Standard_E32-8s_v3",
        "Standard_E32-16s_v3",
        "Standard_E64-16s_v3",
        "Standard_E64-32s_v3",
    ),
    # Retiring 15 November 2028, capacity-restricted.
    # https://learn.microsoft.com/azure/virtual-machines/sizes/compute-optimized/fsv2-series
    "FSv2": (
        "Standard_F2s_v2",
        "Standard_F4s_v2",
        "Standard_F8s_v2",
        "Standard_F16s_v2",
        "Standard_F32s_v2",
        "Standard_F48s_v2",
        "Standard_F64s_v2",
        "Standard_F72s_v2",
    ),
    # Compute clusters only, not instances (the table's "Supported by").
    # https://learn.microsoft.com/azure/virtual-machines/sizes/compute-optimized/fx-series
    "FX": (
        "Standard_FX4mds",
        "Standard_FX12mds",
        "Standard_FX24mds",
        "Standard_FX36mds",
        "Standard_FX48mds",
    ),
    # Retiring 31 May 2027; the same shapes in HBv3 replace them.
    # https://learn.microsoft.com/azure/virtual-machines/sizes/high-performance-compute/hbv2-series
    "HBv2": (
        "Standard_HB120rs_v2",
        "Standard_HB120-96rs_v2",
        "Standard_HB120-64rs_v2",
        "Standard_HB120-32rs_v2",
        "Standard_HB120-16rs_v2",
    ),
    # https://learn.microsoft.com/azure/virtual-machines/sizes/high-performance-compute/hbv3-series
    "HBv3": (
        "Standard_HB120rs_v3",
        "Standard_HB120-96rs_v3",
        "Standard_HB120-64rs_v3",
        "Standard_HB120-32rs_v3",
        "Standard_HB120-16rs_v3",
    ),
    # Retiring 31 May 2027 (Standard_HB120rs_v3 replaces them).
    # https://learn.microsoft.com/azure/virtual-machines/sizes/retirement/hc-series-retirement
    "HC": ("Standard_HC44rs", "Standard_HC44-16rs", "Standard_HC44-32rs"),
    # Retiring 15 November 2028, capacity-restricted.
    # https://learn.microsoft.com/azure/virtual-machines/sizes/storage-optimized/lsv2-series
    "LSv2": (
        "Standard_L8s_v2",
        "Standard_L16s_v2",
        "Standard_L32s_v2",
        "Standard_L48s_v2",
        "Standard_L64s_v2",
        "Standard_L80s_v2",
    ),
    # With the constrained-vCPU sizes.
    # https://learn.microsoft.com/azure/virtual-machines/sizes/memory-optimized/m-series
    "M": (
        "Standard_M8ms",
        "Standard_M16ms",
        "Standard_M32ts",
        "Standard_M32ls",
        "Standard_M32ms",
        "Standard_M64",
        "Standard_M64s",
        "Standard_M64ls",
        "Standard_M64m",
        "Standard_M64ms",
        "Standard_M128",
        "Standard_M128s",
        "Standard_M128m",
        "Standard_M128ms",
        "Standard_M8-2ms",
        "Standard_M8-4ms",
        "Standard_M16-4ms",
        "Standard_M16-8ms",
        "Standard_M32-8ms",
        "Standard_M32-16ms",
        "Standard_M64-16ms",
        "Standard_M64-32ms",
        "Standard_M128-32ms",
        "Standard_M128-64ms",
    ),
    # https://learn.microsoft.com/azure/virtual-machines/sizes/gpu-accelerated/ndv2-series
    "NDv2": ("Standard_ND40rs_v2",),
    # https://learn.microsoft.com/azure/virtual-machines/sizes/gpu-accelerated/ncast4v3-series
    "NCasT4_v3": (
        "Standard_NC4as_T4_v3",
        "Standard_NC8as_T4_v3",
        "Standard_NC16as_T4_v3",
        "Standard_NC64as_T4_v3",
    ),
    # https://learn.microsoft.com/azure/virtual-machines/sizes/gpu-accelerated/ndasra100v4-series
    "NDasrA100_v4": ("Standard_ND96asr_v4",),
    # https://learn.microsoft.com/azure/virtual-machines/sizes/gpu-accelerated/ndh100v5-series
    "ND-H100-v5": ("Standard_ND96isr_H100_v5",),
    # https://learn.microsoft.com/azure/virtual-machines/sizes/gpu-accelerated/nd-h200-v5-series
    "ND-H200-v5": ("Standard_ND96isr_H200_v5",),
    # Not in the table, which predates them: the series Microsoft names as the successors of the
    # table's retired GPU series (their retirement pages are in RETIRED_VM_SIZES), so that each
    # retired size's replacement is accepted. NCv2's:
    # https://learn.microsoft.com/azure/virtual-machines/sizes/gpu-accelerated/nca100v4-series
    "NC_A100_v4": (
        "Standard_NC24ads_A100_v4",
        "Standard_NC48ads_A100_v4",
        "Standard_NC96ads_A100_v4",
    ),
    # ND's Standard_ND24rs:
    # https://learn.microsoft.com/azure/virtual-machines/sizes/gpu-accelerated/ndma100v4-series
    "NDm_A100_v4": ("Standard_ND96amsr_A100_v4",),
    # NCv3's:
    # https://learn.microsoft.com/azure/virtual-machines/sizes/gpu-accelerated/ncadsh100v5-series
    "NCads_H100_v5": ("Standard_NC40ads_H100_v5", "Standard_NC80adis_H100_v5"),
    # NVv3's, and so NV's:
    # https://learn.microsoft.com/azure/virtual-machines/sizes/gpu-accelerated/nvadsa10v5-series
    "NVadsA10_v5": (
        "Standard_NV6ads_A10_v5",
        "Standard_NV12ads_A10_v5",
        "Standard_NV18ads_A10_v5",
        "Standard_NV36ads_A10_v5",
        "Standard_NV36adms_A10_v5",
        "Standard_NV72ads_A10_v5",
    ),
}
SUPPORTED_VM_SIZES: Final = tuple(size for sizes in AML_VM_SERIES.values() for size in sizes)


@dataclass(frozen=True)
class Retirement:
    """When Microsoft retired a VM size, what replaces it, and where that is said."""

    retired_on: str
    replacement: str  # a size of SUPPORTED_VM_SIZES
    source: str


def _retired(
    retired_on: str, source: str, replacements: Mapping[str, str]
) -> dict[str, Retirement]:
    """The sizes of one retirement, each with its replacement."""
    return {size: Retirement(retired_on, new, source) for size, new in replacements.items()}


_N_SERIES: Final = (
    "https://learn.microsoft.com/azure/virtual-machines/migration/sizes/n-series-migration"
)
# Sizes Azure no longer provisions: a cluster or instance of one fails on create, or after a
# scale-down never comes back. Every series retired by 2026-12-06, each from its retirement page
# (Microsoft's list, above, names the recent ones). A replacement is Microsoft's own per-size
# mapping where its page gives one; otherwise the closest size, in vCPUs, memory and GPUs, of a
# series Microsoft recommends and Azure ML supports.
RETIRED_VM_SIZES: Final[Mapping[str, Retirement]] = {
    # NC (K80) and its promotional sizes; Microsoft's mapping.
    **_retired(
        "6 September 2023",
        _N_SERIES,
        {
            "Standard_NC6": "Standard_NC4as_T4_v3",
            "Standard_NC12": "Standard_NC16as_T4_v3",
            "Standard_NC24": "Standard_NC64as_T4_v3",
            "Standard_NC24r": "Standard_NC64as_T4_v3",
            "Standard_NC6_Promo": "Standard_NC4as_T4_v3",
            "Standard_NC12_Promo": "Standard_NC16as_T4_v3",
            "Standard_NC24_Promo": "Standard_NC64as_T4_v3",
            "Standard_NC24r_Promo": "Standard_NC64as_T4_v3",
        },
    ),
    # NCv2 (P100); Microsoft's mapping.
    **_retired(
        "6 September 2023",
        _N_SERIES,
        {
            "Standard_NC6s_v2": "Standard_NC24ads_A100_v4",
            "Standard_NC12s_v2": "Standard_NC48ads_A100_v4",
            "Standard_NC24s_v2": "Standard_NC96ads_A100_v4",
            "Standard_NC24rs_v2": "Standard_NC96ads_A100_v4",
        },
    ),
    # ND (P40); Microsoft's mapping (the guide drops the sizes' final s).
    **_retired(
        "6 September 2023",
        _N_SERIES,
        {
            "Standard_ND6s": "Standard_NC4as_T4_v3",
            "Standard_ND12s": "Standard_NC16as_T4_v3",
            "Standard_ND24s": "Standard_NC64as_T4_v3",
            "Standard_ND24rs": "Standard_ND96amsr_A100_v4",
        },
    ),
    # NV (M60) and its promotional sizes. Microsoft mapped them to NVv3 (NV6 to NV12s_v3, NV12 to
    # NV24s_v3, NV24 to NV48s_v3), retired since: that size's replacement below.
    **_retired(
        "6 September 2023",
        "https://learn.microsoft.com/azure/virtual-machines/sizes/retirement/nv-series-retirement",
        {
            "Standard_NV6": "Standard_NV12ads_A10_v5",
            "Standard_NV12": "Standard_NV36ads_A10_v5",
            "Standard_NV24": "Standard_NV72ads_A10_v5",
            "Standard_NV6_Promo": "Standard_NV12ads_A10_v5",
            "Standard_NV12_Promo": "Standard_NV36ads_A10_v5",
            "Standard_NV24_Promo": "Standard_NV72ads_A10_v5",
        },
    ),
    # H and its promotional sizes: HBv3 (HC and HBv2, also recommended, are retiring).
    **_retired(
        "31 August 2022",
        "https://learn.microsoft.com/azure/virtual-machines/h-series-retirement",
        {
            size: "Standard_HB120rs_v3"
            for size in (
                "Standard_H8",
                "Standard_H16",
                "Standard_H8m",
                "Standard_H16m",
                "Standard_H16r",
                "Standard_H16mr",
                "Standard_H8_Promo",
                "Standard_H16_Promo",
                "Standard_H8m_Promo",
                "Standard_H16m_Promo",
                "Standard_H16r_Promo",
                "Standard_H16mr_Promo",
            )
        },
    ),
    # HB; Microsoft's mapping, its HBv3 choices (HBv2 is retiring).
    **_retired(
        "31 August 2024",
        "https://learn.microsoft.com/azure/virtual-machines/sizes/retirement/hb-series-retirement",
        {
            "Standard_HB60rs": "Standard_HB120rs_v3",
            "Standard_HB60-45rs": "Standard_HB120-96rs_v3",
            "Standard_HB60-30rs": "Standard_HB120-32rs_v3",
            "Standard_HB60-15rs": "Standard_HB120-16rs_v3",
        },
    ),
    # Av1 (Basic_A0-A4, Standard_A0-A7). Microsoft's target, Av2, is retiring (15 November 2028):
    # DDSv4 or, for the memory-heavy A5-A7, EAv4, with as many vCPUs and as much memory or more.
    **_retired(
        "31 August 2024",
        "https://learn.microsoft.com/azure/virtual-machines/sizes/retirement/av1-series-retirement",
        {
            "Basic_A0": "Standard_D2ds_v4",
            "Basic_A1": "Standard_D2ds_v4",
            "Basic_A2": "Standard_D2ds_v4",
            "Basic_A3": "Standard_D4ds_v4",
            "Basic_A4": "Standard_D8ds_v4",
            "Standard_A0": "Standard_D2ds_v4",
            "Standard_A1": "Standard_D2ds_v4",
            "Standard_A2": "Standard_D2ds_v4",
            "Standard_A3": "Standard_D4ds_v4",
            "Standard_A4": "Standard_D8ds_v4",
            "Standard_A5": "Standard_E2a_v4",
            "Standard_A6": "Standard_E4a_v4",
            "Standard_A7": "Standard_E8a_v4",
        },
    ),
    # A8-A11, the compute-intensive A sizes: HBv3 for the RDMA ones (A8, A9), EAv4 with as many
    # vCPUs and as much memory or more for the others.
    **_retired(
        "1 March 2021",
        "https://learn.microsoft.com/azure/virtual-machines/sizes-previous-gen",
        {
            "Standard_A8": "Standard_HB120rs_v3",
            "Standard_A9": "Standard_HB120rs_v3",
            "Standard_A10": "Standard_E8a_v4",
            "Standard_A11": "Standard_E16a_v4",
        },
    ),
    # NCv3 (V100): NCads_H100_v5, Microsoft's recommendation; one H100 for one V100, two for
    # more (two H100s have more GPU memory than four V100s). US Gov Virginia and Arizona kept
    # them until 30 June 2026; Jio India West and China North 3, not in AZURE_REGIONS, keep them
    # until 30 June 2027.
    **_retired(
        "30 September 2025",
        "https://learn.microsoft.com/azure/virtual-machines/ncv3-retirement",
        {
            "Standard_NC6s_v3": "Standard_NC40ads_H100_v5",
            "Standard_NC12s_v3": "Standard_NC80adis_H100_v5",
            "Standard_NC24s_v3": "Standard_NC80adis_H100_v5",
            "Standard_NC24rs_v3": "Standard_NC80adis_H100_v5",
        },
    ),
    # NVv3 (M60): NVadsA10_v5, Microsoft's recommendation, with as many vCPUs and as much GPU
    # memory or more.
    **_retired(
        "30 September 2026",
        "https://learn.microsoft.com/azure/virtual-machines/sizes/gpu-accelerated/nvv3-series-retirement",
        {
            "Standard_NV12s_v3": "Standard_NV12ads_A10_v5",
            "Standard_NV24s_v3": "Standard_NV36ads_A10_v5",
            "Standard_NV48s_v3": "Standard_NV72ads_A10_v5",
            "Standard_NV12hs_v3": "Standard_NV12ads_A10_v5",
            "Standard_NV24ms_v3": "Standard_NV36ads_A10_v5",
            "Standard_NV32ms_v3": "Standard_NV36ads_A10_v5",
        },
    ),
    # NVv4 (AMD MI25 partitions). Microsoft recommends NVads_V710_v5, an AMD GPU Azure ML does
    # not list: the NVadsA10_v5 size with the next larger GPU share.
    **_retired(
        "30 September 2026",
        "https://learn.microsoft.com/azure/virtual-machines/sizes/gpu-accelerated/nvv4-retirement",
        {
            "Standard_NV4as_v4": "Standard_NV6ads_A10_v5",
            "Standard_NV4ahs_v4": "Standard_NV6ads_A10_v5",
            "Standard_NV8as_v4": "Standard_NV12ads_A10_v5",
            "Standard_NV8ahs_v4": "Standard_NV12ads_A10_v5",
            "Standard_NV16as_v4": "Standard_NV18ads_A10_v5",
            "Standard_NV16ahs_v4": "Standard_NV18ads_A10_v5",
            "Standard_NV32as_v4": "Standard_NV36ads_A10_v5",
            "Standard_NV32ahs_v4": "Standard_NV36ads_A10_v5",
        },
    ),
    # DCsv2 (Intel SGX). Azure ML offers no confidential sizes: DDSv4 with as many vCPUs and as
    # much memory or more.
    **_retired(
        "30 June 2026",
        "https://learn.microsoft.com/azure/virtual-machines/sizes/lifecycle/retirement/dcsv2-series-retirement",
        {
            "Standard_DC1s_v2": "Standard_D2ds_v4",
            "Standard_DC2s_v2": "Standard_D2ds_v4",
            "Standard_DC4s_v2": "Standard_D4ds_v4",
            "Standard_DC8_v2": "Standard_D8ds_v4",
        },
    ),
    # DCas_cc_v5, DCads_cc_v5, ECas_cc_v5 and ECads_cc_v5 (confidential child capable, AMD
    # SEV-SNP): likewise DDSv4 or EAv4, with as many vCPUs and as much memory or more.
    **_retired(
        "1 September 2026",
        "https://learn.microsoft.com/azure/virtual-machines/sizes/lifecycle/retirements-and-capacity-restrictions",
        {
            "Standard_DC4as_cc_v5": "Standard_D4ds_v4",
            "Standard_DC4ads_cc_v5": "Standard_D4ds_v4",
            "Standard_DC8as_cc_v5": "Standard_D8ds_v4",
            "Standard_DC8ads_cc_v5": "Standard_D8ds_v4",
            "Standard_DC16as_cc_v5": "Standard_D16ds_v4",
            "Standard_DC16ads_cc_v5": "Standard_D16ds_v4",
            "Standard_DC32as_cc_v5": "Standard_D32ds_v4",
            "Standard_DC32ads_cc_v5": "Standard_D32ds_v4",
            "Standard_DC48as_cc_v5": "Standard_D48ds_v4",
            "Standard_DC48ads_cc_v5": "Standard_D48ds_v4",
            "Standard_DC64as_cc_v5": "Standard_D64ds_v4",
            "Standard_DC64ads_cc_v5": "Standard_D64ds_v4",
            "Standard_DC96as_cc_v5": "Standard_E96a_v4",
            "Standard_DC96ads_cc_v5": "Standard_E96a_v4",
            "Standard_EC4as_cc_v5": "Standard_E4a_v4",
            "Standard_EC4ads_cc_v5": "Standard_E4a_v4",
            "Standard_EC8as_cc_v5": "Standard_E8a_v4",
            "Standard_EC8ads_cc_v5": "Standard_E8a_v4",
            "Standard_EC16as_cc_v5": "Standard_E16a_v4",
            "Standard_EC16ads_cc_v5": "Standard_E16a_v4",
            "Standard_EC20as_cc_v5": "Standard_E20a_v4",
            "Standard_EC20ads_cc_v5": "Standard_E20a_v4",
            "Standard_EC32as_cc_v5": "Standard_E32a_v4",
            "Standard_EC32ads_cc_v5": "Standard_E32a_v4",
            "Standard_EC48as_cc_v5": "Standard_E48a_v4",
            "Standard_EC48ads_cc_v5": "Standard_E48a_v4",
            "Standard_EC64as_cc_v5": "Standard_E64a_v4",
            "Standard_EC64ads_cc_v5": "Standard_E64a_v4",
            "Standard_EC96as_cc_v5": "Standard_E96a_v4",
            "Standard_EC96ads_cc_v5": "Standard_E96a_v4",
        },
    ),
}
