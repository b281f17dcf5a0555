"""Typed, validated, immutable settings for one stack, read from Pulumi config.

Every problem in a stack's config is collected and reported at once, each naming its key
path (``mlops:computeClusters[1].maxNodes``) and what would be valid, before any resource is
registered. Components receive these objects and never read ``pulumi.Config`` themselves.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeVar

import pulumi
from pulumi.runtime import config as runtime_config

NAMESPACE: Final = "mlops"
LOCATION_KEY: Final = "azure-native:location"
ENVIRONMENTS: Final = ("dev", "qa", "prod")

# Length of the pulumi-random suffix that makes global and per-region names unique.
SUFFIX_LENGTH: Final = 6

IsolationMode = Literal["Disabled", "AllowInternetOutbound", "AllowOnlyApprovedOutbound"]
ISOLATION_MODES: Final[Mapping[str, IsolationMode]] = {
    "disabled": "Disabled",
    "allowInternetOutbound": "AllowInternetOutbound",
    "allowOnlyApprovedOutbound": "AllowOnlyApprovedOutbound",
}
REPLICATIONS: Final = ("LRS", "ZRS", "GRS", "GZRS", "RAGRS", "RAGZRS")
REGISTRY_MODES: Final = ("none", "create", "existing")
REGISTRY_SKUS: Final = ("Basic", "Standard", "Premium")
PRINCIPAL_TYPES: Final = ("User", "Group", "ServicePrincipal")
DATASTORE_KINDS: Final = ("blob", "adlsGen2")
ENDPOINT_KINDS: Final = ("online", "batch")
ENDPOINT_PURPOSES: Final = ("scoring", "preprocessing")
AUTH_MODES: Final[Mapping[str, str]] = {"aadToken": "AADToken", "key": "Key"}
SCHEDULE_ACTIONS: Final[Mapping[str, str]] = {"start": "Start", "stop": "Stop"}

# Built-in Azure role definition GUIDs (identical in every subscription).
BUILT_IN_ROLES: Final[Mapping[str, str]] = {
    "AzureML Data Scientist": "f6c7c914-8db3-469d-8ca1-694a8f32e121",
    "AzureML Compute Operator": "e503ece1-11d0-4e8e-8e2c-7a6c3bf38815",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "Storage Blob Data Reader": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    "AcrPush": "8311e382-0749-4cb8-b61a-304f252e45ec",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Key Vault Reader": "21090545-7ca7-4776-b22c-e363652d74d2",
}
# Where each role may be granted through `mlops:access`. Owner and User Access Administrator are
# deliberately absent: granting those is a decision for the subscription owner, not this program.
ACCESS_SCOPES: Final[Mapping[str, tuple[str, ...]]] = {
    "AzureML Data Scientist": ("workspace",),
    "AzureML Compute Operator": ("workspace",),
    "Reader": ("workspace", "resourceGroup"),
    "Contributor": ("workspace",),
    "Storage Blob Data Reader": ("storage",),
    "Storage Blob Data Contributor": ("storage",),
    "AcrPull": ("registry",),
    "AcrPush": ("registry",),
    "Key Vault Secrets User": ("keyVault",),
    "Key Vault Reader": ("keyVault",),
}

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_PREFIX = re.compile(r"^[a-z][a-z0-9]{1,9}$")
_LOCATION = re.compile(r"^[a-z][a-z0-9]{2,39}$")
_ARM_ID = re.compile(
    r"^/subscriptions/(?P<subscription>[^/]+)/resourceGroups/(?P<group>[-\w.()]{1,90})"
    r"/providers/(?P<namespace>[A-Za-z.]+)/(?P<type>[A-Za-z]+)/(?P<name>[^/]+)$"
)
_VAULT_NAME = re.compile(r"^(?!.*--)[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$")
_STORAGE_NAME = re.compile(r"^[a-z0-9]{3,24}$")
_REGISTRY_NAME = re.compile(r"^[a-zA-Z0-9]{5,50}$")
# Compute instances: 3-24 characters once suffixed, letters, digits and hyphens, starting with a
# letter; unique per Azure region, hence the suffix. Clusters: 3-24 characters, named as given
# because pipelines and jobs refer to them by name.
_INSTANCE_NAME = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
_CLUSTER_NAME = re.compile(r"^[a-z][a-z0-9-]{1,22}[a-z0-9]$")
# Endpoints: 3-32 characters once suffixed, starting with a letter; unique per Azure region.
_DATASTORE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,254}$")
_CONTAINER_NAME = re.compile(r"^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_VM_SIZE = re.compile(r"^Standard_[A-Za-z0-9_]+$")
_CRON = re.compile(r"^\S+( \S+){4}$")
_TAG_KEY_FORBIDDEN = re.compile(r"[<>%&\\?/]")
# Values that look like credentials must live in secret config, never in a stack file.
_SECRET_LOOKING = re.compile(
    r"(AccountKey=|SharedAccessSignature=|sig=[A-Za-z0-9%]{20,}|-----BEGIN [A-Z ]*PRIVATE KEY"
    r"|^[A-Za-z0-9+/]{86}==$)"
)

IDLE_SHUTDOWN_MINUTES: Final = (15, 3 * 24 * 60)
SCALE_DOWN_SECONDS: Final = (60, 7 * 24 * 60 * 60)
MAX_NODES: Final = 1000


class SettingsError(pulumi.RunError):
    """The stack's config is invalid; ``problems`` lists every finding, one per key path.

    A ``RunError``, so `pulumi up` reports the message alone, without a traceback.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(
            "Invalid stack configuration:\n" + "\n".join(f"  - {p}" for p in self.problems)
        )


@dataclass(frozen=True)
class ArmId:
    """A parsed Azure Resource Manager resource ID of a top-level resource."""

    id: str
    subscription_id: str
    resource_group: str
    provider: str
    name: str


@dataclass(frozen=True)
class KeyVaultSettings:
    existing: ArmId | None = None


@dataclass(frozen=True)
class RegistrySettings:
    mode: Literal["none", "create", "existing"] = "none"
    sku: str = "Premium"
    existing: ArmId | None = None


@dataclass(frozen=True)
class StorageSettings:
    replication: str = "ZRS"


@dataclass(frozen=True)
class NetworkSettings:
    isolation: IsolationMode = "AllowInternetOutbound"
    public_network_access: bool = True

    @property
    def managed(self) -> bool:
        """True when the workspace has a managed virtual network (no public IPs needed)."""
        return self.isolation != "Disabled"


@dataclass(frozen=True)
class AccessGrant:
    principal_id: str
    principal_type: str
    role: str
    scope: str

    @property
    def role_guid(self) -> str:
        return BUILT_IN_ROLES[self.role]


@dataclass(frozen=True)
class DatastoreSettings:
    name: str
    storage_account: ArmId
    kind: Literal["blob", "adlsGen2"]
    container: str
    read_only: bool = True
    description: str = ""

    @property
    def scope(self) -> str:
        """Container-level scope: the least the workspace identity needs."""
        return f"{self.storage_account.id}/blobServices/default/containers/{self.container}"

    @property
    def subresource(self) -> str:
        return "dfs" if self.kind == "adlsGen2" else "blob"

    @property
    def role(self) -> str:
        return "Storage Blob Data Reader" if self.read_only else "Storage Blob Data Contributor"


@dataclass(frozen=True)
class ScheduleSettings:
    action: str
    cron: str
    time_zone: str = "UTC"


@dataclass(frozen=True)
class ComputeInstanceSettings:
    name: str
    vm_size: str
    assigned_user_object_id: str
    assigned_user_tenant_id: str | None = None
    idle_shutdown_minutes: int = 60
    schedules: tuple[ScheduleSettings, ...] = ()


@dataclass(frozen=True)
class ComputeClusterSettings:
    name: str
    vm_size: str
    max_nodes: int
    min_nodes: int = 0
    low_priority: bool = False
    idle_seconds_before_scale_down: int = 120


@dataclass(frozen=True)
class EndpointSettings:
    name: str
    kind: Literal["online", "batch"]
    purpose: Literal["scoring", "preprocessing"]
    auth_mode: str = "AADToken"
    description: str = ""
    cluster: ComputeClusterSettings | None = None


@dataclass(frozen=True)
class EnvironmentProfile:
    """What one environment differs in; components receive these values, never its name."""

    # Compute instances and clusters (experiments, training) are allowed.
    allows_compute: bool
    # Default of mlops:protect: data-bearing resources are protected and locked.
    protect: bool
    log_retention_days: int
    # Days a deleted blob or container can be restored.
    soft_delete_days: int
    # Blob versions keep every overwritten model and dataset recoverable.
    blob_versioning: bool


PROFILES: Final[Mapping[str, EnvironmentProfile]] = {
    "dev": EnvironmentProfile(True, False, 30, 7, False),
    "qa": EnvironmentProfile(False, False, 30, 7, False),
    "prod": EnvironmentProfile(False, True, 90, 30, True),
}


@dataclass(frozen=True)
class Settings:
    project: str
    stack: str
    environment: Literal["dev", "qa", "prod"]
    location: str
    prefix: str
    tags: Mapping[str, str]
    key_vault: KeyVaultSettings
    container_registry: RegistrySettings
    storage: StorageSettings
    network: NetworkSettings
    access: tuple[AccessGrant, ...]
    datastores: tuple[DatastoreSettings, ...]
    compute_instances: tuple[ComputeInstanceSettings, ...]
    compute_clusters: tuple[ComputeClusterSettings, ...]
    endpoints: tuple[EndpointSettings, ...]
    protect: bool
    names: Names = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", Names(self.prefix, self.environment, self.stack))

    @property
    def all_tags(self) -> dict[str, str]:
        return {**self.tags, "environment": self.environment, "managedBy": "pulumi"}

    @property
    def profile(self) -> EnvironmentProfile:
        """The environment's profile, resolved against this stack's config."""
        base = PROFILES[self.environment]
        return EnvironmentProfile(
            allows_compute=base.allows_compute,
            protect=self.protect,
            log_retention_days=base.log_retention_days,
            soft_delete_days=base.soft_delete_days,
            blob_versioning=base.blob_versioning or self.protect,
        )

    @property
    def assignment_seed(self) -> str:
        """What makes this stack's role assignment names its own (see components.roles)."""
        return f"{self.project}/{self.stack}"


@dataclass(frozen=True)
class Names:
    """Physical names, derived once from prefix and environment so they never drift.

    Names that must be globally or regionally unique take the stack's random suffix, which
    pulumi-random keeps in state, so a re-run or a destroy-and-recreate never collides with a
    soft-deleted vault or workspace.
    """

    prefix: str
    environment: str
    stack: str

    @property
    def resource_group(self) -> str:
        return f"rg-{self.prefix}-mlops-{self.stack}"

    def key_vault(self, suffix: str) -> str:
        return f"kv-{self.prefix}{self.environment}-{suffix}"

    def storage_account(self, suffix: str) -> str:
        return f"st{self.prefix}{self.environment}{suffix}"

    def container_registry(self, suffix: str) -> str:
        return f"cr{self.prefix}{self.environment}{suffix}"

    def log_analytics(self, suffix: str) -> str:
        return f"log-{self.prefix}-{self.environment}-{suffix}"

    def application_insights(self, suffix: str) -> str:
        return f"appi-{self.prefix}-{self.environment}-{suffix}"

    def workspace(self, suffix: str) -> str:
        return f"mlw-{self.prefix}-{self.environment}-{suffix}"

    @staticmethod
    def regional(name: str, suffix: str) -> str:
        """Compute instance and endpoint names, unique per Azure region."""
        return f"{name}-{suffix}"


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------

T = TypeVar("T")
_MISSING: Final = object()


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []
        # Where each parsed list entry sits in config: invalid entries are left out of the
        # parsed tuples, so a later check must not name a position in those tuples.
        self._indexes: dict[int, int] = {}

    def add(self, path: str, message: str) -> None:
        self.items.append(f"{path}: {message}")

    def place(self, index: int, entry: object) -> None:
        self._indexes[id(entry)] = index

    def indexed(self, entries: Sequence[T]) -> Iterator[tuple[int, T]]:
        """Each parsed list entry with its index in config."""
        return ((self._indexes[id(entry)], entry) for entry in entries)


def _type_name(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a map"
    return "null"


class _Reader:
    """Reads one map of config, recording every problem under its key path."""

    def __init__(self, problems: _Problems, path: str, data: Mapping[str, Any]) -> None:
        self.problems = problems
        self.path = path
        self.data = data
        self.seen: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}"

    def raw(self, name: str) -> Any:
        self.seen.add(name)
        return self.data.get(name, _MISSING)

    def string(
        self,
        name: str,
        *,
        default: str | None = None,
        pattern: re.Pattern[str] | None = None,
        rule: str = "",
        choices: Sequence[str] = (),
    ) -> str | None:
        value = self.raw(name)
        if value is _MISSING or value is None:
            if default is None:
                self.problems.add(self.key(name), "is required")
            return default
        if not isinstance(value, str):
            self.problems.add(self.key(name), f"must be a string, got {_type_name(value)}")
            return None
        if not value.strip():
            self.problems.add(self.key(name), "must not be empty")
            return None
        if choices and value not in choices:
            self.problems.add(self.key(name), f"must be one of {', '.join(choices)}; got {value!r}")
            return None
        if pattern is not None and not pattern.fullmatch(value):
            self.problems.add(self.key(name), f"{value!r} is invalid: {rule}")
            return None
        return value

    def boolean(self, name: str, default: bool) -> bool:
        value = self.raw(name)
        if value is _MISSING or value is None:
            return default
        if isinstance(value, str) and value in ("true", "false"):
            return value == "true"
        if not isinstance(value, bool):
            self.problems.add(self.key(name), f"must be true or false, got {_type_name(value)}")
            return default
        return value

    def integer(self, name: str, default: int | None, low: int, high: int) -> int | None:
        value = self.raw(name)
        if value is _MISSING or value is None:
            if default is None:
                self.problems.add(self.key(name), f"is required (a whole number {low}-{high})")
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.problems.add(
                self.key(name), f"must be a whole number {low}-{high}, got {_type_name(value)}"
            )
            return None
        if not low <= value <= high:
            self.problems.add(self.key(name), f"must be between {low} and {high}, got {value}")
            return None
        return value

    def guid(self, name: str, *, required: bool = True) -> str | None:
        value = self.raw(name)
        if value is _MISSING or value is None:
            if required:
                self.problems.add(self.key(name), "is required (a GUID)")
            return None
        if not isinstance(value, str) or not _GUID.fullmatch(value):
            self.problems.add(
                self.key(name),
                f"must be a GUID like 00000000-0000-0000-0000-000000000000, got {value!r}",
            )
            return None
        return value.lower()

    def arm_id(self, name: str, resource_type: str, *, required: bool = True) -> ArmId | None:
        value = self.raw(name)
        if value is _MISSING or value is None:
            if required:
                self.problems.add(
                    self.key(name), f"is required (the resource ID of a {resource_type})"
                )
            return None
        return _parse_arm_id(self.problems, self.key(name), value, resource_type)

    def finish(self) -> None:
        for unknown in sorted(set(self.data) - self.seen):
            hint = _closest(unknown, self.seen)
            self.problems.add(
                self.key(unknown),
                f"unknown key{hint}; valid keys: {', '.join(sorted(self.seen))}",
            )


def _closest(name: str, candidates: set[str] | Sequence[str]) -> str:

    match = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _parse_arm_id(
    problems: _Problems, path: str, value: object, resource_type: str
) -> ArmId | None:
    expected = f"/subscriptions/<guid>/resourceGroups/<group>/providers/{resource_type}/<name>"
    if not isinstance(value, str):
        problems.add(path, f"must be a resource ID string ({expected}), got {_type_name(value)}")
        return None
    match = _ARM_ID.fullmatch(value)
    if match is None or not _GUID.fullmatch(match["subscription"]):
        problems.add(path, f"{value!r} is not a resource ID of the form {expected}")
        return None
    found = f"{match['namespace']}/{match['type']}"
    if found.lower() != resource_type.lower():
        problems.add(path, f"must be the ID of a {resource_type}, but it names a {found}")
        return None
    name = match["name"]
    name_rule = {
        "Microsoft.KeyVault/vaults": _VAULT_NAME,
        "Microsoft.Storage/storageAccounts": _STORAGE_NAME,
        "Microsoft.ContainerRegistry/registries": _REGISTRY_NAME,
    }.get(resource_type)
    if name_rule is not None and not name_rule.fullmatch(name):
        problems.add(path, f"{name!r} is not a valid {resource_type} name")
        return None
    return ArmId(
        id=value,
        subscription_id=match["subscription"].lower(),
        resource_group=match["group"],
        provider=found,
        name=name,
    )


def _map(problems: _Problems, path: str, value: object) -> Mapping[str, Any] | None:
    if value is _MISSING or value is None:
        return {}
    if not isinstance(value, dict):
        problems.add(path, f"must be a map, got {_type_name(value)}")
        return None
    return value


def _list_of_maps(
    problems: _Problems, path: str, value: object, parse: Callable[[_Reader], T | None]
) -> tuple[T, ...]:
    if value is _MISSING or value is None:
        return ()
    if not isinstance(value, list):
        problems.add(path, f"must be a list, got {_type_name(value)}")
        return ()
    parsed: list[T] = []
    for index, item in enumerate(value):
        item_path = f"{path}[{index}]"
        if not isinstance(item, dict):
            problems.add(item_path, f"must be a map, got {_type_name(item)}")
            continue
        reader = _Reader(problems, item_path, item)
        result = parse(reader)
        reader.finish()
        if result is not None:
            problems.place(index, result)
            parsed.append(result)
    return tuple(parsed)


def _unique(problems: _Problems, path: str, names: Iterator[tuple[int, str]], what: str) -> None:
    seen: dict[str, int] = {}
    for index, name in names:
        key = name.lower()
        if key in seen:
            problems.add(
                f"{path}[{index}].name", f"duplicate {what} {name!r} (also at [{seen[key]}])"
            )
        else:
            seen[key] = index


# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------


def _key_vault(problems: _Problems, value: object) -> KeyVaultSettings:
    path = f"{NAMESPACE}:keyVault"
    data = _map(problems, path, value)
    if data is None:
        return KeyVaultSettings()
    reader = _Reader(problems, path, data)
    existing = reader.arm_id("existingId", "Microsoft.KeyVault/vaults", required=False)
    reader.finish()
    return KeyVaultSettings(existing=existing)


def _container_registry(
    problems: _Problems, value: object, network: NetworkSettings
) -> RegistrySettings:
    path = f"{NAMESPACE}:containerRegistry"
    data = _map(problems, path, value)
    if data is None:
        return RegistrySettings()
    reader = _Reader(problems, path, data)
    mode = reader.string("mode", default="none", choices=REGISTRY_MODES) or "none"
    sku = reader.string("sku", default="Premium", choices=REGISTRY_SKUS) or "Premium"
    existing = reader.arm_id(
        "existingId", "Microsoft.ContainerRegistry/registries", required=mode == "existing"
    )
    reader.finish()
    if mode != "existing" and existing is not None:
        problems.add(reader.key("existingId"), "is only valid with mode: existing")
    if mode != "create" and "sku" in data:
        problems.add(reader.key("sku"), "is only valid with mode: create")
    if mode == "create" and network.isolation == "AllowOnlyApprovedOutbound" and sku != "Premium":
        problems.add(
            reader.key("sku"),
            "must be Premium with mlops:network.isolation allowOnlyApprovedOutbound: the managed "
            "network reaches the registry through a private endpoint, which only Premium supports",
        )
    if mode == "none":
        return RegistrySettings(mode="none")
    if mode == "create":
        return RegistrySettings(mode="create", sku=sku)
    return RegistrySettings(mode="existing", existing=existing)


def _storage(problems: _Problems, value: object) -> StorageSettings:
    path = f"{NAMESPACE}:storage"
    data = _map(problems, path, value)
    if data is None:
        return StorageSettings()
    reader = _Reader(problems, path, data)
    replication = reader.string("replication", default="ZRS", choices=REPLICATIONS) or "ZRS"
    reader.finish()
    return StorageSettings(replication=replication)


def _network(problems: _Problems, value: object) -> NetworkSettings:
    path = f"{NAMESPACE}:network"
    data = _map(problems, path, value)
    if data is None:
        return NetworkSettings()
    reader = _Reader(problems, path, data)
    isolation = reader.string(
        "isolation", default="allowInternetOutbound", choices=tuple(ISOLATION_MODES)
    )
    public = reader.boolean("publicNetworkAccess", True)
    reader.finish()
    return NetworkSettings(
        isolation=ISOLATION_MODES.get(isolation or "", "AllowInternetOutbound"),
        public_network_access=public,
    )


def _access(problems: _Problems, value: object) -> tuple[AccessGrant, ...]:
    def parse(reader: _Reader) -> AccessGrant | None:
        principal = reader.guid("principalId")
        principal_type = reader.string("principalType", default="Group", choices=PRINCIPAL_TYPES)
        role = reader.string("role", choices=tuple(ACCESS_SCOPES))
        scopes = ACCESS_SCOPES.get(role or "", ("workspace",))
        scope = reader.string("scope", default=scopes[0], choices=scopes)
        if None in (principal, principal_type, role, scope):
            return None
        assert principal and principal_type and role and scope
        return AccessGrant(principal, principal_type, role, scope)

    grants = _list_of_maps(problems, f"{NAMESPACE}:access", value, parse)
    seen: set[tuple[str, str, str]] = set()
    for index, grant in problems.indexed(grants):
        key = (grant.principal_id, grant.role, grant.scope)
        if key in seen:
            problems.add(f"{NAMESPACE}:access[{index}]", "duplicates an earlier grant")
        seen.add(key)
    return grants


def _datastores(problems: _Problems, value: object) -> tuple[DatastoreSettings, ...]:
    def parse(reader: _Reader) -> DatastoreSettings | None:
        name = reader.string(
            "name",
            pattern=_DATASTORE_NAME,
            rule="lowercase letters, digits and underscores, starting with a letter",
        )
        account = reader.arm_id("storageAccountId", "Microsoft.Storage/storageAccounts")
        kind = reader.string("kind", default="blob", choices=DATASTORE_KINDS)
        container = reader.string(
            "container",
            pattern=_CONTAINER_NAME,
            rule="3-63 lowercase letters, digits and single hyphens, starting and ending "
            "with a letter or digit",
        )
        read_only = reader.boolean("readOnly", True)
        description = reader.string("description", default="") or ""
        if name is None or account is None or kind is None or container is None:
            return None
        return DatastoreSettings(
            name=name,
            storage_account=account,
            kind="adlsGen2" if kind == "adlsGen2" else "blob",
            container=container,
            read_only=read_only,
            description=description,
        )

    path = f"{NAMESPACE}:datastores"
    stores = _list_of_maps(problems, path, value, parse)
    _unique(problems, path, ((i, s.name) for i, s in problems.indexed(stores)), "datastore name")
    # The workspace's role on a container is one assignment: a second datastore with the same
    # access to the same container would create (and on removal delete) that assignment again.
    linked: dict[tuple[str, str, bool], int] = {}
    for index, store in problems.indexed(stores):
        target = (store.storage_account.id.lower(), store.container, store.read_only)
        if target in linked:
            problems.add(
                f"{path}[{index}].container",
                f"{store.container!r} in {store.storage_account.name} is already linked by "
                f"{path}[{linked[target]}] with the same readOnly; link each container once",
            )
        else:
            linked[target] = index
    return stores


def _schedules(problems: _Problems, path: str, value: object) -> tuple[ScheduleSettings, ...]:
    def parse(reader: _Reader) -> ScheduleSettings | None:
        action = reader.string("action", choices=tuple(SCHEDULE_ACTIONS))
        cron = reader.string(
            "cron",
            pattern=_CRON,
            rule="a five-field cron expression such as '0 19 * * 1-5'",
        )
        time_zone = reader.string("timeZone", default="UTC") or "UTC"
        if action is None or cron is None:
            return None
        return ScheduleSettings(SCHEDULE_ACTIONS[action], cron, time_zone)

    return _list_of_maps(problems, path, value, parse)


def _vm_size(reader: _Reader) -> str | None:
    return reader.string(
        "vmSize", pattern=_VM_SIZE, rule="an Azure VM size such as Standard_DS3_v2"
    )


def _regional_name(reader: _Reader, *, azure_max: int) -> str | None:
    """A compute instance or endpoint name: it gets the suffix that keeps it regionally unique."""
    name = reader.string(
        "name",
        pattern=_INSTANCE_NAME,
        rule="lowercase letters, digits and hyphens, starting with a letter and ending "
        "with a letter or digit",
    )
    longest = azure_max - SUFFIX_LENGTH - 1
    if name is not None and not 3 <= len(name) <= longest:
        reader.problems.add(
            reader.key("name"),
            f"{name!r} must be 3-{longest} characters: a {SUFFIX_LENGTH}-character suffix is "
            f"added to keep it unique in the region and Azure allows {azure_max}",
        )
        return None
    return name


def _compute_instances(problems: _Problems, value: object) -> tuple[ComputeInstanceSettings, ...]:
    path = f"{NAMESPACE}:computeInstances"

    def parse(reader: _Reader) -> ComputeInstanceSettings | None:
        name = _regional_name(reader, azure_max=24)
        vm_size = _vm_size(reader)
        user = reader.guid("assignedUserObjectId")
        tenant = reader.guid("assignedUserTenantId", required=False)
        idle = reader.integer("idleShutdownMinutes", 60, *IDLE_SHUTDOWN_MINUTES)
        schedules = _schedules(problems, reader.key("schedules"), reader.raw("schedules"))
        if name is None or vm_size is None or user is None or idle is None:
            return None
        return ComputeInstanceSettings(name, vm_size, user, tenant, idle, schedules)

    instances = _list_of_maps(problems, path, value, parse)
    _unique(
        problems, path, ((i, c.name) for i, c in problems.indexed(instances)), "compute instance"
    )
    return instances


def _cluster_fields(reader: _Reader, *, name_key: str = "name") -> ComputeClusterSettings | None:
    name = reader.string(
        name_key,
        pattern=_CLUSTER_NAME,
        rule="3-24 lowercase letters, digits and hyphens, starting with a letter and ending "
        "with a letter or digit",
    )
    vm_size = _vm_size(reader)
    min_nodes = reader.integer("minNodes", 0, 0, MAX_NODES)
    max_nodes = reader.integer("maxNodes", None, 1, MAX_NODES)
    low_priority = reader.boolean("lowPriority", False)
    idle = reader.integer("idleSecondsBeforeScaleDown", 120, *SCALE_DOWN_SECONDS)
    if min_nodes is not None and max_nodes is not None and min_nodes > max_nodes:
        reader.problems.add(
            reader.key("minNodes"), f"({min_nodes}) must not exceed maxNodes ({max_nodes})"
        )
        return None
    if None in (name, vm_size, min_nodes, max_nodes, idle):
        return None
    assert name and vm_size and min_nodes is not None and max_nodes and idle
    return ComputeClusterSettings(name, vm_size, max_nodes, min_nodes, low_priority, idle)


def _compute_clusters(problems: _Problems, value: object) -> tuple[ComputeClusterSettings, ...]:
    path = f"{NAMESPACE}:computeClusters"
    clusters = _list_of_maps(problems, path, value, _cluster_fields)
    _unique(problems, path, ((i, c.name) for i, c in problems.indexed(clusters)), "compute cluster")
    return clusters


def _batch_cluster(
    problems: _Problems, path: str, value: object, endpoint: str
) -> ComputeClusterSettings | None:
    data = _map(problems, path, value)
    if data is None:
        return None
    data = {"name": _default_batch_cluster_name(endpoint), **data}
    reader = _Reader(problems, path, data)
    cluster = _cluster_fields(reader)
    reader.finish()
    if cluster is not None and cluster.min_nodes != 0:
        problems.add(reader.key("minNodes"), "must be 0: a batch endpoint's cluster scales to zero")
        return None
    return cluster


def _default_batch_cluster_name(endpoint: str) -> str:
    return f"{endpoint[:18].rstrip('-')}-batch"


def _endpoints(problems: _Problems, value: object) -> tuple[EndpointSettings, ...]:
    path = f"{NAMESPACE}:endpoints"

    def parse(reader: _Reader) -> EndpointSettings | None:
        name = _regional_name(reader, azure_max=32)
        kind = reader.string("kind", choices=ENDPOINT_KINDS)
        purpose = reader.string("purpose", default="scoring", choices=ENDPOINT_PURPOSES)
        auth = reader.string("authMode", default="aadToken", choices=tuple(AUTH_MODES))
        description = reader.string("description", default="") or ""
        cluster_value = reader.raw("cluster")
        cluster: ComputeClusterSettings | None = None
        if kind == "online":
            if cluster_value is not _MISSING:
                problems.add(reader.key("cluster"), "is only valid for kind: batch")
        elif kind == "batch":
            if auth == "key":
                problems.add(
                    reader.key("authMode"),
                    "must be aadToken for kind: batch "
                    "(batch endpoints only accept Entra ID tokens)",
                )
            if cluster_value is _MISSING:
                problems.add(
                    reader.key("cluster"),
                    "is required for kind: batch ({vmSize, maxNodes}): batch deployments run on it",
                )
            elif name is not None:
                cluster = _batch_cluster(problems, reader.key("cluster"), cluster_value, name)
        if name is None or kind is None or purpose is None or auth is None:
            return None
        if kind == "batch" and cluster is None:
            return None
        return EndpointSettings(
            name=name,
            kind="batch" if kind == "batch" else "online",
            purpose="preprocessing" if purpose == "preprocessing" else "scoring",
            auth_mode=AUTH_MODES[auth],
            description=description,
            cluster=cluster,
        )

    endpoints = _list_of_maps(problems, path, value, parse)
    _unique(problems, path, ((i, e.name) for i, e in problems.indexed(endpoints)), "endpoint")
    return endpoints


def _tags(problems: _Problems, value: object) -> dict[str, str]:
    path = f"{NAMESPACE}:tags"
    data = _map(problems, path, value)
    if data is None:
        return {}
    tags: dict[str, str] = {}
    for key, tag in data.items():
        if key in ("environment", "managedBy"):
            problems.add(f"{path}.{key}", "is set by the program; remove it from config")
        elif not key.strip() or len(key) > 512 or _TAG_KEY_FORBIDDEN.search(key):
            problems.add(f"{path}.{key}", "tag names are 1-512 characters, without < > % & \\ ? /")
        elif not isinstance(tag, str) or len(tag) > 256:
            problems.add(f"{path}.{key}", "must be a string of at most 256 characters")
        else:
            tags[key] = tag
    if len(tags) > 48:
        problems.add(path, "at most 48 tags (Azure allows 50; the program adds two)")
    return tags


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------

_STRUCTURED_KEYS: Final = (
    "tags",
    "keyVault",
    "containerRegistry",
    "storage",
    "network",
    "access",
    "datastores",
    "computeInstances",
    "computeClusters",
    "endpoints",
)
_SCALAR_KEYS: Final = ("environment", "prefix", "protect")
KNOWN_KEYS: Final = _STRUCTURED_KEYS + _SCALAR_KEYS


def _decode(problems: _Problems, key: str, raw: str) -> Any:
    """Pulumi hands structured config to programs as JSON text."""
    if not raw.strip():  # Pulumi passes an empty (null) YAML value as ""
        problems.add(f"{NAMESPACE}:{key}", "is empty: give a YAML map or list, or remove the key")
        return None
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, RecursionError):
        problems.add(f"{NAMESPACE}:{key}", "must be a YAML map or list, got a plain string")
        return None
    except ValueError:  # an integer longer than Python converts (sys.get_int_max_str_digits)
        problems.add(
            f"{NAMESPACE}:{key}",
            "holds a number with too many digits to read; numbers here are small whole "
            "numbers such as maxNodes: 4",
        )
        return None


def _walk_strings(value: object, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk_strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk_strings(item, f"{path}[{index}]")


def load(
    config: Mapping[str, str],
    *,
    project: str,
    stack: str,
    secret_keys: Sequence[str] = (),
) -> Settings:
    """Validate a stack's config (keys as ``namespace:key``, values as Pulumi passes them).

    Raises SettingsError listing every problem; returns immutable Settings otherwise.
    """
    problems = _Problems()
    values: dict[str, Any] = {}
    for full_key, raw in config.items():
        namespace, _, key = full_key.partition(":")
        if namespace != NAMESPACE:
            if difflib.get_close_matches(namespace, [NAMESPACE], cutoff=0.6):
                problems.add(
                    full_key,
                    f"unknown namespace {namespace!r} (did you mean '{NAMESPACE}:{key}'?)",
                )
            continue
        if key not in KNOWN_KEYS:
            problems.add(
                full_key,
                f"unknown key{_closest(key, KNOWN_KEYS)}; valid keys: "
                + ", ".join(f"{NAMESPACE}:{k}" for k in sorted(KNOWN_KEYS)),
            )
            continue
        values[key] = _decode(problems, key, raw) if key in _STRUCTURED_KEYS else raw
        if full_key not in secret_keys:
            for path, text in _walk_strings(values[key], full_key):
                if _SECRET_LOOKING.search(text):
                    problems.add(
                        path,
                        "looks like a credential; never put secrets in plain config "
                        "(use `pulumi config set --secret`, and prefer identity-based access)",
                    )

    environment = values.get("environment", stack)
    if environment not in ENVIRONMENTS:
        where = f"{NAMESPACE}:environment" if "environment" in values else f"stack name {stack!r}"
        problems.add(
            where if "environment" in values else f"{NAMESPACE}:environment",
            f"must be one of {', '.join(ENVIRONMENTS)} (it defaults to the stack name); "
            f"got {environment!r} from {where}",
        )
        environment = "dev"

    if len(f"rg-{'x' * 10}-mlops-{stack}") > 90 or not re.fullmatch(r"[\w.-]+", stack):
        problems.add(
            "stack name",
            f"{stack!r} must be at most 70 letters, digits, '-', '_' or '.': it names the "
            "resource group rg-<prefix>-mlops-<stack>, which Azure limits to 90 characters",
        )

    location = config.get(LOCATION_KEY)
    if location is None:
        problems.add(LOCATION_KEY, "is required (an Azure region such as westeurope)")
    elif not _LOCATION.fullmatch(location):
        problems.add(LOCATION_KEY, f"{location!r} is not an Azure region name such as westeurope")

    prefix = values.get("prefix")
    if prefix is None:
        problems.add(f"{NAMESPACE}:prefix", "is required (2-10 lowercase letters and digits)")
    elif not _PREFIX.fullmatch(prefix):
        problems.add(
            f"{NAMESPACE}:prefix",
            f"{prefix!r} must be 2-10 lowercase letters and digits, starting with a letter "
            "(it starts globally unique names such as the storage account's)",
        )

    protect_raw = values.get("protect")
    protect = PROFILES[environment].protect
    if protect_raw is not None:
        if protect_raw in ("true", "false"):
            protect = protect_raw == "true"
        else:
            problems.add(f"{NAMESPACE}:protect", f"must be true or false, got {protect_raw!r}")

    network = _network(problems, values.get("network"))
    settings_values = {
        "tags": _tags(problems, values.get("tags")),
        "key_vault": _key_vault(problems, values.get("keyVault")),
        "container_registry": _container_registry(
            problems, values.get("containerRegistry"), network
        ),
        "storage": _storage(problems, values.get("storage")),
        "access": _access(problems, values.get("access")),
        "datastores": _datastores(problems, values.get("datastores")),
        "compute_instances": _compute_instances(problems, values.get("computeInstances")),
        "compute_clusters": _compute_clusters(problems, values.get("computeClusters")),
        "endpoints": _endpoints(problems, values.get("endpoints")),
    }

    if environment != "dev":
        for key in ("computeInstances", "computeClusters"):
            if values.get(key):
                problems.add(
                    f"{NAMESPACE}:{key}",
                    f"is not allowed in {environment}: qa and prod only serve preprocessing and "
                    "scoring endpoints; experiments and training belong in dev",
                )

    _check_cluster_names(problems, settings_values)
    if settings_values["container_registry"].mode == "none":
        for index, grant in problems.indexed(settings_values["access"]):
            if grant.scope == "registry":
                problems.add(
                    f"{NAMESPACE}:access[{index}].scope",
                    "is registry, but mlops:containerRegistry.mode is none: there is no registry "
                    "to grant on",
                )

    if problems.items:
        raise SettingsError(problems.items)
    return Settings(
        project=project,
        stack=stack,
        environment=environment,
        location=str(location),
        prefix=str(prefix),
        network=network,
        protect=protect,
        **settings_values,
    )


def _check_cluster_names(problems: _Problems, values: Mapping[str, Any]) -> None:
    """Batch endpoint clusters share the workspace's compute namespace with dev clusters."""
    taken = {c.name: f"{NAMESPACE}:computeClusters" for c in values["compute_clusters"]}
    for index, endpoint in problems.indexed(values["endpoints"]):
        if endpoint.cluster is None:
            continue
        owner = taken.get(endpoint.cluster.name)
        if owner is not None:
            problems.add(
                f"{NAMESPACE}:endpoints[{index}].cluster.name",
                f"{endpoint.cluster.name!r} is already used by {owner}; "
                "set a distinct cluster.name",
            )
        taken[endpoint.cluster.name] = f"{NAMESPACE}:endpoints[{index}]"


def from_pulumi() -> Settings:
    """Read the running stack's config; the single place that touches Pulumi config."""
    config = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    secret_keys = [
        *runtime_config.get_config_secret_keys_env(),
        *(key for key in config if runtime_config.is_config_secret(key)),
    ]
    return load(
        {key: str(value) for key, value in config.items()},
        project=pulumi.get_project(),
        stack=pulumi.get_stack(),
        secret_keys=secret_keys,
    )
