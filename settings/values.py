"""Azure's kinds of value in config: resource IDs, names, regions, VM sizes, GUIDs, e-mails,
webhooks and tags, each parsed and explained alike wherever a config names one (the stack
config in ``settings.schema``, the bootstrap program's config in ``bootstrap.config``).
"""

from __future__ import annotations

import ipaddress
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Final

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic import WithJsonSchema as Schema

from settings.catalogs import (
    AML_VM_SIZES_SOURCE,
    AZURE_REGIONS,
    RETIRED_VM_SIZES,
    SUPPORTED_VM_SIZES,
    WINDOWS_TIME_ZONES,
)
from settings.names import (
    CLUSTER_NAME,
    CONTAINER_NAME,
    CRON,
    CRON_FIELDS,
    DATASTORE_NAME,
    DEPLOYMENT_NAME,
    EMAIL,
    FQDN,
    GUID,
    HOST_NAME,
    K8S_LABEL_KEY,
    K8S_LABEL_VALUE,
    K8S_NAMESPACE,
    K8S_OBJECT_NAME,
    KEY_ID_FORM,
    PREFIX,
    REGIONAL_NAME,
    SUFFIX_LENGTH,
    TAG_NAME,
    VM_SIZE,
    WEBHOOK,
    ArmId,
    KeyVaultKey,
    id_form,
    parse_arm_id,
    parse_key_id,
)
from settings.validation import (
    Hint,
    Problem,
    did_you_mean,
    invalid,
    named,
    pattern,
    problems,
    type_name,
)

# Tags the program sets itself: config may not set them, and they count against Azure's limit.
# Every resource gets environment and managedBy; endpoints also purpose, and allowKeyAuth when
# key auth is chosen; the workspace storage allowSharedKeyAccess when shared keys are allowed; a
# model registry allowPublicNetworkAccess when config opens it to the internet; a workspace the
# team's network isolates customerManagedNetwork, and egressFirewall where config names one; a
# regulated workspace (mlops:compliance) compliance.
PROGRAM_TAGS: Final = (
    "environment",
    "managedBy",
    "purpose",
    "allowKeyAuth",
    "allowSharedKeyAccess",
    "allowPublicNetworkAccess",
    "customerManagedNetwork",
    "egressFirewall",
    "compliance",
)
# https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources#limitations
AZURE_MAX_TAGS: Final = 50
TAG_VALUE_LENGTH: Final = 256


def _resource_id(resource_type: str, *others: str) -> tuple[Any, ...]:
    """A resource ID in config (of ``resource_type`` or one of ``others``), parsed into an
    ArmId."""
    types = (resource_type, *others)
    expected = " or ".join(id_form(t) for t in types)

    def parse(value: object) -> ArmId:
        if isinstance(value, ArmId):  # built in code, already parsed
            return value
        if not isinstance(value, str):
            raise invalid(f"must be a resource ID string ({expected}), got {type_name(value)}")
        errors: list[str] = []
        for kind in types:
            try:
                return parse_arm_id(value, kind)
            except ValueError as error:
                errors.append(str(error))
        raise invalid(errors[0] if len(types) == 1 else f"must be {expected}; got {value!r}")

    def shape(kind: str) -> str:
        namespace, *kinds = kind.split("/")
        path = "".join(f"/{step}/[^/]+" for step in kinds)
        return f"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/{namespace}{path}"

    # One alternative is a pattern as it is; several are grouped.
    shapes = "|".join(shape(t) for t in types)

    return (
        BeforeValidator(parse),
        Schema(
            {"type": "string", "pattern": f"^{shapes}$" if len(types) == 1 else f"^({shapes})$"}
        ),
        Hint(f"the resource ID of a {' or a '.join(types)}"),
    )


def _regional(azure_max: int) -> tuple[Any, ...]:
    """A compute instance or endpoint name, which gets the stack's suffix."""
    why = (
        f"a {SUFFIX_LENGTH}-character suffix is added to keep it unique in the region and "
        f"Azure allows {azure_max}"
    )
    longest = azure_max - SUFFIX_LENGTH - 1
    return pattern(REGIONAL_NAME, 3, longest), Hint(REGIONAL_NAME.what, why)


def _one_of(names: tuple[str, ...], what: str) -> tuple[Any, ...]:
    """A name Azure defines (a region, a time zone): from its list, with a did-you-mean."""

    def check(value: str) -> str:
        if value not in names:
            raise invalid(f"must be {what}, got {value!r}{did_you_mean(value, names)}")
        return value

    return AfterValidator(check), Schema({"type": "string", "enum": list(names)}), Hint(what)


# Sizes by their case-folded names: Azure ignores case in them, so a retired size is named as
# such however it is written.
_RETIRED_BY_KEY: Final = {size.casefold(): size for size in RETIRED_VM_SIZES}


def _vm_size(size: str) -> str:
    """A size Azure ML supports, spelled as Azure lists it: a retired one is refused with its
    replacement, any other with the closest supported spelling."""
    if not size.strip():
        raise invalid(f"must not be empty; it must be {VM_SIZE.what}")
    retired_name = _RETIRED_BY_KEY.get(size.casefold())
    if retired_name is not None:
        retired = RETIRED_VM_SIZES[retired_name]
        raise invalid(
            f"{retired_name} was retired by Azure on {retired.retired_on} and can no longer be "
            f"provisioned; choose a current size such as {retired.replacement} "
            f"({retired.source})"
        )
    if size not in SUPPORTED_VM_SIZES:
        # A size written without its tier (DS3_v2) is compared as Standard_DS3_v2.
        tiered = size if size.casefold().startswith("standard_") else f"Standard_{size}"
        raise invalid(
            f"must be a VM size Azure ML supports ({AML_VM_SIZES_SOURCE}), got {size!r}"
            f"{did_you_mean(tiered, SUPPORTED_VM_SIZES)}"
        )
    return size


Guid = Annotated[str, *named(GUID), AfterValidator(str.lower)]
# Editors check a size's shape, not the list: an enum of SUPPORTED_VM_SIZES, written out for
# each key that takes a size, would make the schema file half as large again.
VmSize = Annotated[
    str,
    AfterValidator(_vm_size),
    Schema({"type": "string", "pattern": VM_SIZE.pattern}),
    Hint(VM_SIZE.what),
]
Region = Annotated[str, *_one_of(AZURE_REGIONS, "an Azure region name such as westeurope")]
TimeZone = Annotated[
    str,
    *_one_of(WINDOWS_TIME_ZONES, "a Windows time-zone ID such as UTC or W. Europe Standard Time"),
]
Email = Annotated[str, *named(EMAIL)]
Webhook = Annotated[str, pattern(WEBHOOK), Hint(WEBHOOK.what, "alerts leave Azure only over TLS")]
DeploymentName = Annotated[str, *named(DEPLOYMENT_NAME)]
VAULT: Final = "Microsoft.KeyVault/vaults"
VaultId = Annotated[ArmId, *_resource_id(VAULT)]
REGISTRY: Final = "Microsoft.ContainerRegistry/registries"
RegistryId = Annotated[ArmId, *_resource_id(REGISTRY)]
STORAGE: Final = "Microsoft.Storage/storageAccounts"
StorageId = Annotated[ArmId, *_resource_id(STORAGE)]
ML_REGISTRY: Final = "Microsoft.MachineLearningServices/registries"
ModelRegistryId = Annotated[ArmId, *_resource_id(ML_REGISTRY)]
SUBNET: Final = "Microsoft.Network/virtualNetworks/subnets"
SubnetId = Annotated[ArmId, *_resource_id(SUBNET)]
ZoneId = Annotated[ArmId, *_resource_id("Microsoft.Network/privateDnsZones")]
ManagedClusterId = Annotated[ArmId, *_resource_id("Microsoft.ContainerService/managedClusters")]
Fqdn = Annotated[str, *named(FQDN)]
# The firewall a subnet's default route leads to: an Azure Firewall or a network virtual appliance.
FirewallId = Annotated[
    ArmId,
    *_resource_id("Microsoft.Network/azureFirewalls", "Microsoft.Network/networkVirtualAppliances"),
]


def _key_id(value: object) -> KeyVaultKey:
    if isinstance(value, KeyVaultKey):  # built in code, already parsed
        return value
    if not isinstance(value, str):
        raise invalid(f"must be a Key Vault key identifier ({KEY_ID_FORM}), got {type_name(value)}")
    try:
        return parse_key_id(value)
    except ValueError as error:
        raise invalid(str(error)) from None


# A Key Vault key, by its identifier (kid), with or without its version.
KeyId = Annotated[
    KeyVaultKey,
    BeforeValidator(_key_id),
    Schema(
        {"type": "string", "pattern": r"^https://[^./]+\.vault\.azure\.net/keys/[^/]+(/[^/]*)?/?$"}
    ),
    Hint(f"a Key Vault key identifier such as {KEY_ID_FORM}"),
]

# A Pulumi stack: a name in this organization and project, or organization/project/stack.
SharedStackName = Annotated[
    str, Field(pattern=r"^([\w.-]+|[\w.-]+/[\w.-]+/[\w.-]+)$", max_length=300)
]
ClusterName = Annotated[str, *named(CLUSTER_NAME)]
DatastoreName = Annotated[str, *named(DATASTORE_NAME)]
ContainerName = Annotated[str, *named(CONTAINER_NAME)]


_DIGITS: Final = re.compile(r"[0-9]+")


def _cron_value(text: str, low: int, names: tuple[str, ...]) -> int | None:
    """A field's value: a number or (months, weekdays) a name, whole or its first letters (3+)."""
    if _DIGITS.fullmatch(text):
        return int(text)
    found = [i for i, name in enumerate(names) if len(text) >= 3 and name.startswith(text.lower())]
    return low + found[0] if found else None


def _cron_field(text: str, what: str, low: int, high: int, names: tuple[str, ...]) -> str | None:
    """What is wrong with one field (None when it is valid): a list of *, values and ranges,
    each with an optional step."""
    named_too = f" or names ({names[0][:3]}-{names[-1][:3]})" if names else ""
    sunday = " (Sunday is 0)" if names and names[0] == "sunday" else ""
    for part in text.split(","):
        span, slash, step = part.partition("/")
        if slash and not (_DIGITS.fullmatch(step) and int(step) > 0):
            return f"the {what} field {text!r} has step {step!r}: a step is a whole number from 1"
        if span == "*":
            continue
        bounds = span.split("-")
        values = [v for bound in bounds if (v := _cron_value(bound, low, names)) is not None]
        if len(bounds) > 2 or len(values) < len(bounds):
            return (
                f"the {what} field {text!r} must be *, values {low}-{high}{named_too}, ranges "
                "(1-5), lists (1,3) or steps (*/15)"
            )
        if any(not low <= value <= high for value in values):
            return f"the {what} field {text!r} is outside {low}-{high}{sunday}"
        if len(values) == 2 and values[0] > values[1]:
            return f"the {what} field {text!r} has a range that ends before it starts"
    return None


def _cron(expression: str) -> str:
    """Each of the five fields within its range (settings.names.CRON_FIELDS)."""
    found = [
        wrong
        for text, (what, low, high, names) in zip(expression.split(), CRON_FIELDS, strict=True)
        if (wrong := _cron_field(text, what, low, high, names)) is not None
    ]
    if found:
        order = " ".join(what.replace(" ", "-") for what, *_ in CRON_FIELDS)
        raise invalid(f"{'; '.join(found)} (the fields are {order}, such as '0 19 * * 1-5')")
    return expression


Cron = Annotated[str, *named(CRON), AfterValidator(_cron)]
Prefix = Annotated[str, *named(PREFIX)]
KubernetesNamespace = Annotated[str, *named(K8S_NAMESPACE)]
KubernetesObjectName = Annotated[str, *named(K8S_OBJECT_NAME)]
HostName = Annotated[str, *named(HOST_NAME)]

# A Kubernetes resource quantity as Kubernetes reads one: a number, then a decimal suffix (n, u,
# m, k, M, G, T, P, E), a binary one (Ki, Mi, Gi, Ti, Pi, Ei) or an exponent (e3); no sign here.
# https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/
QUANTITY_PATTERN: Final = (
    r"^([0-9]+(\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$"
)
_BINARY: Final = ("Ki", "Mi", "Gi", "Ti", "Pi", "Ei")
_SUFFIXES: Final[dict[str, Decimal]] = {
    "": Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
    **{suffix: Decimal(1024**power) for power, suffix in enumerate(_BINARY, 1)},
}


def quantity(text: str) -> Decimal | None:
    """The amount a quantity stands for (cores, bytes), or None when it is no quantity."""
    match = re.fullmatch(QUANTITY_PATTERN, text)
    if match is None:
        return None
    number, suffix = match.group(1), match.group(3) or ""
    try:
        if suffix[:1] in ("e", "E") and suffix[1:]:
            return Decimal(number) * Decimal(10) ** int(suffix[1:])
        return Decimal(number) * _SUFFIXES[suffix]
    except (InvalidOperation, ValueError, OverflowError):
        return None


def _quantity(what: str, example: str, whole: Decimal, steps: str) -> Any:
    """A quantity of more than nothing, in steps of ``whole`` (a CPU's 1m, memory's byte,
    ``steps`` in words); YAML numbers (2, 0.5) are read as Kubernetes reads them."""

    def check(value: object) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise invalid(f"must be {what} such as {example}, got {type_name(value)}")
        text = value if isinstance(value, str) else format(Decimal(str(value)), "f")
        amount = quantity(text)
        if amount is None:
            raise invalid(f"must be {what} such as {example}, got {text!r}")
        if amount <= 0 or amount % whole:
            raise invalid(f"{text!r} must be {what} above zero {steps}, such as {example}")
        return text

    return check


_QUANTITY_SCHEMA: Final = {
    "anyOf": [
        {"type": "string", "pattern": QUANTITY_PATTERN},
        {"type": "number", "exclusiveMinimum": 0},
    ]
}
# Kubernetes allows no CPU finer than 1m, and memory in bytes (400m would be 0.4 bytes).
# https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/#meaning-of-cpu
CpuQuantity = Annotated[
    str,
    BeforeValidator(
        _quantity("a CPU quantity", "500m or 2", Decimal("0.001"), "in whole millicores (1m)")
    ),
    Schema(_QUANTITY_SCHEMA),
    Hint("a CPU quantity such as 500m or 2"),
]
MemoryQuantity = Annotated[
    str,
    BeforeValidator(
        _quantity(
            "a memory quantity", "512Mi or 4Gi", Decimal(1), "in whole bytes (m means thousandths)"
        )
    ),
    Schema(_QUANTITY_SCHEMA),
    Hint("a memory quantity such as 512Mi or 4Gi"),
]


def _node_selector(labels: dict[str, str]) -> dict[str, str]:
    """Each key and value a Kubernetes label's."""
    found: list[Problem] = []
    for key, value in labels.items():
        if not re.fullmatch(K8S_LABEL_KEY.pattern, key):
            found.append(((key,), f"is not {K8S_LABEL_KEY.what}"))
        elif not re.fullmatch(K8S_LABEL_VALUE.pattern, value):
            found.append(((key,), f"{value!r} is not {K8S_LABEL_VALUE.what}"))
    if found:
        raise problems(found)
    return labels


# Node labels a pod must match (an instance type's nodeSelector).
NodeSelector = Annotated[dict[str, str], AfterValidator(_node_selector)]
InstanceName = Annotated[str, *_regional(24)]
EndpointName = Annotated[str, *_regional(32)]


def _tags(tags: dict[str, str]) -> dict[str, str]:
    found: list[Problem] = []
    # Azure compares tag names case-insensitively: "Owner" and "owner" are one tag.
    reserved = {name.casefold() for name in PROGRAM_TAGS}
    seen: dict[str, str] = {}
    for key, value in tags.items():
        if key.casefold() in reserved:
            found.append(((key,), "is set by the program; remove it from config"))
        elif not key.strip() or not re.fullmatch(TAG_NAME.pattern, key):
            found.append(((key,), f"tag names are {TAG_NAME.what}"))
        elif len(value) > TAG_VALUE_LENGTH:
            found.append(((key,), f"must be a string of at most {TAG_VALUE_LENGTH} characters"))
        elif (first := seen.setdefault(key.casefold(), key)) != key:
            found.append(((key,), f"is the same tag as {first!r}: Azure ignores case in tag names"))
    room = AZURE_MAX_TAGS - len(PROGRAM_TAGS)
    if len(tags) > room:
        found.append(((), f"at most {room} tags (Azure allows {AZURE_MAX_TAGS} per resource; the "
                      f"program keeps {len(PROGRAM_TAGS)} for its own)"))  # fmt: skip
    if found:
        raise problems(found)
    return tags


# Tags a config adds to every resource; the bootstrap program's config takes them too.
Tags = Annotated[dict[str, str], AfterValidator(_tags)]


# Private (RFC 1918), shared, loopback and link-local ranges: no internet client has them.
_NOT_INTERNET: Final = tuple(
    ipaddress.IPv4Network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8",
              "169.254.0.0/16", "0.0.0.0/8")
)  # fmt: skip


def _public_ip_range(value: str) -> str:
    """What a storage firewall's IP rule takes: a public IPv4 address, or a range of one
    (https://learn.microsoft.com/azure/storage/common/storage-network-security#restrictions-for-ip-network-rules)."""
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise invalid(
            f"must be a public IPv4 address or CIDR range such as 203.0.113.0/24, got {value!r}"
        ) from None
    if "/" in value and str(network) != value:
        raise invalid(f"{value} has bits set past its prefix: the range is {network}")
    if network.version != 4:
        raise invalid(f"{value} is IPv6: storage IP rules take IPv4 addresses and ranges only")
    if (
        network.is_multicast
        or network.is_reserved
        or any(network.overlaps(private) for private in _NOT_INTERNET)
    ):
        raise invalid(
            f"{value} is not (wholly) a public range: storage IP rules admit internet clients "
            "only (private addresses reach the storage through private endpoints); list the "
            "team's own public addresses, never 0.0.0.0/0"
        )
    if "/" in value and network.prefixlen > 30:
        raise invalid(
            f"{value}: Azure refuses /31 and /32 ranges in storage IP rules; give the address alone"
        )
    return value


PublicIpRange = Annotated[
    str,
    AfterValidator(_public_ip_range),
    Hint("a public IPv4 address or CIDR range such as 203.0.113.0/24"),
]
