"""Physical names and Azure's naming rules: each rule once, with the words that explain it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

# Length of the pulumi-random suffix that makes global and per-region names unique.
SUFFIX_LENGTH: Final = 6


@dataclass(frozen=True)
class NameRule:
    """A pattern and how to say it to a person ("must be <what>")."""

    pattern: str
    what: str


GUID: Final = NameRule(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    "a GUID like 00000000-0000-0000-0000-000000000000",
)
PREFIX: Final = NameRule(
    r"^[a-z][a-z0-9]{1,9}$",
    "2-10 lowercase letters and digits, starting with a letter (it starts globally unique "
    "names such as the storage account's)",
)
# Compute instances and endpoints: unique per Azure region, so they get the stack's suffix.
REGIONAL_NAME: Final = NameRule(
    r"^[a-z][a-z0-9-]*[a-z0-9]$",
    "lowercase letters, digits and hyphens, starting with a letter and ending with a letter or "
    "digit",
)
# Clusters keep their configured name: pipelines and jobs refer to them by it. Azure's compute
# name pattern (machinelearningservices REST spec, ComputeNameParameter:
# ^[a-zA-Z](?![a-zA-Z0-9-]*-\d+$)[a-zA-Z0-9\-]{2,23}$) refuses a name whose last hyphen is
# followed by digits only; lowercase and a last letter or digit are this program's own choice.
CLUSTER_NAME: Final = NameRule(
    r"^(?![a-z0-9-]*-\d+$)[a-z][a-z0-9-]{1,22}[a-z0-9]$",
    "3-24 lowercase letters, digits and hyphens, starting with a letter, ending with a letter "
    "or digit, and not ending in a hyphen followed by digits only (gpu-2)",
)
DATASTORE_NAME: Final = NameRule(
    r"^[a-z][a-z0-9_]{0,254}$",
    "lowercase letters, digits and underscores, starting with a letter (at most 255)",
)
CONTAINER_NAME: Final = NameRule(
    r"^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$",
    "3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit",
)
# The shape of a VM size, for editors (the JSON Schema); the loader checks the size itself
# against settings.catalogs. Constrained-vCPU sizes have a hyphen (Standard_DS11-1_v2).
VM_SIZE: Final = NameRule(
    r"^Standard_[A-Za-z0-9_-]+$", "a VM size Azure ML supports, such as Standard_DS3_v2"
)
CRON: Final = NameRule(r"^\S+( \S+){4}$", "a five-field cron expression such as '0 19 * * 1-5'")
# Azure ML reads schedules' cron expressions with NCrontab (the REST spec: "should follow NCronTab
# format"): each field a list of *, values, ranges and steps (*/15, 8-18/2) within its range, and
# months and weekdays by name too (jan, Monday). NCrontab counts weekdays 0-6 from Sunday: 7 is
# refused there, as it is here.
_MONTHS: Final = ("january", "february", "march", "april", "may", "june", "july", "august",
                  "september", "october", "november", "december")  # fmt: skip
_WEEKDAYS: Final = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
# (what, lowest, highest, names) of each field, in order.
CRON_FIELDS: Final = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 6, _WEEKDAYS),
)
# Azure allows tag names of 512 characters, but 128 on storage accounts, which get every tag.
# https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources#limitations
TAG_NAME: Final = NameRule(r"^[^<>%&\\?/]{1,128}$", "1-128 characters, without < > % & \\ ? /")
EMAIL: Final = NameRule(
    r"^[^@\s]+@[^@\s]+\.[^@\s]+$", "an e-mail address such as ml-platform@contoso.example"
)
# Alerts leave Azure only over TLS.
WEBHOOK: Final = NameRule(r"^https://[^\s/?#]+\.[^\s/?#]+(/\S*)?$", "an https:// URL")
# Azure ML online deployments (the release pipeline names them, e.g. blue and green).
DEPLOYMENT_NAME: Final = NameRule(
    r"^[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]$",
    "3-32 letters, digits and hyphens, starting with a letter and ending with a letter or digit",
)

# Kubernetes names (attached clusters): a namespace is a DNS label, and an instance type (a custom
# resource) is named like most objects, a DNS subdomain.
# https://kubernetes.io/docs/concepts/overview/working-with-objects/names/
K8S_NAMESPACE: Final = NameRule(
    r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$",
    "a Kubernetes namespace: 1-63 lowercase letters, digits and hyphens, starting and ending "
    "with a letter or digit",
)
K8S_OBJECT_NAME: Final = NameRule(
    r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
    "a Kubernetes object name: at most 253 lowercase letters, digits, hyphens and dots, "
    "starting and ending with a letter or digit",
)
# A node label's key: an optional DNS-subdomain prefix and '/', then a name of at most 63
# letters, digits, '-', '_' and '.' starting and ending with a letter or digit; its value is empty
# or such a name.
# https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set
K8S_LABEL_NAME: Final = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
K8S_LABEL_KEY: Final = NameRule(
    rf"^((?=[^/]{{1,253}}/)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    rf"{K8S_LABEL_NAME}$",
    "a Kubernetes label key: an optional DNS prefix and '/' (kubernetes.azure.com/), then at "
    "most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
)
K8S_LABEL_VALUE: Final = NameRule(
    rf"^({K8S_LABEL_NAME})?$",
    "a Kubernetes label value: empty, or at most 63 letters, digits, '-', '_' and '.', starting "
    "and ending with a letter or digit",
)
# The host name clients call Kubernetes online endpoints at (the extension's sslCname).
HOST_NAME: Final = NameRule(
    r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
    "a lowercase host name such as scoring.ml.contoso.com (no wildcard, no scheme, no port)",
)

# Outbound FQDN rules of a managed network: a host name, or a wildcard of one (lowercase).
FQDN: Final = NameRule(
    r"^(\*\.)?(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
    "a lowercase host name such as pypi.org, or a wildcard such as *.anaconda.org",
)

# Azure's rules for the names inside the IDs of resources the stack uses but does not create.
RESOURCE_NAMES: Final[dict[str, NameRule]] = {
    "Microsoft.KeyVault/vaults": NameRule(
        r"^(?!.*--)[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$",
        "3-24 letters, digits and single hyphens, starting with a letter and ending with a "
        "letter or digit",
    ),
    "Microsoft.Storage/storageAccounts": NameRule(
        r"^[a-z0-9]{3,24}$", "3-24 lowercase letters and digits"
    ),
    "Microsoft.ContainerRegistry/registries": NameRule(
        r"^[a-zA-Z0-9]{5,50}$", "5-50 letters and digits"
    ),
    # Microsoft Learn: 2-32 characters, starting with a letter or digit, then letters, digits,
    # '_' and '-'. The REST spec's registryName pattern ^[a-zA-Z0-9][a-zA-Z0-9\-_]{2,32}$ asks
    # for at least 3 but allows 33. Each refuses what the other allows, so both hold: 3-32.
    # https://learn.microsoft.com/azure/machine-learning/how-to-manage-registries
    "Microsoft.MachineLearningServices/registries": NameRule(
        r"^[a-zA-Z0-9][a-zA-Z0-9_-]{2,31}$",
        "3-32 letters, digits, '_' and '-', starting with a letter or digit",
    ),
    "Microsoft.Network/virtualNetworks/subnets": NameRule(
        r"^[a-zA-Z0-9]([a-zA-Z0-9._-]{0,78}[a-zA-Z0-9_])?$",
        "1-80 letters, digits, '.', '_' and '-', starting with a letter or digit and ending "
        "with a letter, digit or '_'",
    ),
    # https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftcontainerservice
    "Microsoft.ContainerService/managedClusters": NameRule(
        r"^[a-zA-Z0-9]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?$",
        "1-63 letters, digits, '_' and '-', starting and ending with a letter or digit",
    ),
}
# A Key Vault key's identifier (its kid): https://<vault>.vault.azure.net/keys/<name>, then the
# version (32 hexadecimal characters) for one version of it. Key names are 1-127 letters, digits
# and hyphens. Azure's public cloud only, like every vault URI the program derives.
# https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates#object-identifiers
KEY_NAME: Final = NameRule(r"^[a-zA-Z0-9-]{1,127}$", "1-127 letters, digits and hyphens")
_KEY_ID: Final = re.compile(
    r"^https://(?P<vault>[^./]+)\.vault\.azure\.net/keys/(?P<name>[^/]+)(?:/(?P<version>[^/]*))?/?$"
)
KEY_ID_FORM: Final = "https://<vault>.vault.azure.net/keys/<name>/<version>"
_KEY_VERSION: Final = re.compile(r"^[0-9a-fA-F]{32}$")


@dataclass(frozen=True)
class KeyVaultKey:
    """A parsed Key Vault key identifier: the vault, the key and (a versioned one) its version."""

    id: str
    vault: str
    name: str
    version: str | None = None

    @property
    def vault_uri(self) -> str:
        return f"https://{self.vault}.vault.azure.net/"

    @property
    def versionless(self) -> str:
        """The key without its version: services given it follow the key's rotations."""
        return f"{self.vault_uri}keys/{self.name}"


def parse_key_id(value: str) -> KeyVaultKey:
    """The parsed identifier; ValueError says what is wrong in a user's words."""
    match = _KEY_ID.fullmatch(value)
    if match is None:
        raise ValueError(
            f"{value!r} is not a Key Vault key identifier of the form {KEY_ID_FORM} (the "
            "version may be left out)"
        )
    vault, name, version = match["vault"], match["name"], match["version"] or None
    vault_rule = RESOURCE_NAMES["Microsoft.KeyVault/vaults"]
    if not re.fullmatch(vault_rule.pattern, vault):
        raise ValueError(f"{vault!r} is not a valid Key Vault name: Azure allows {vault_rule.what}")
    if not re.fullmatch(KEY_NAME.pattern, name):
        raise ValueError(f"{name!r} is not a valid key name: Azure allows {KEY_NAME.what}")
    if version is not None and not _KEY_VERSION.fullmatch(version):
        raise ValueError(
            f"{version!r} is not a key version: a version is 32 hexadecimal characters"
        )
    return KeyVaultKey(value, vault.lower(), name, version.lower() if version else None)


# A resource ID: its subscription and group, then the provider namespace and one or more
# type/name pairs (a top-level resource, or a child such as a virtual network's subnet).
_ARM_ID: Final = re.compile(
    r"^/subscriptions/(?P<subscription>[^/]+)/resourceGroups/(?P<group>[-\w.()]{1,90})"
    r"/providers/(?P<namespace>[A-Za-z.]+)/(?P<path>[A-Za-z]+/[^/]+(?:/[A-Za-z]+/[^/]+)*)$"
)


def id_form(resource_type: str) -> str:
    """How an ID of ``resource_type`` is written: ``.../virtualNetworks/<name>/subnets/<name>``."""
    namespace, *types = resource_type.split("/")
    path = "".join(f"/{kind}/<name>" for kind in types)
    return f"/subscriptions/<guid>/resourceGroups/<group>/providers/{namespace}{path}"


@dataclass(frozen=True)
class ArmId:
    """A parsed Azure Resource Manager resource ID (of a top-level resource or a child)."""

    id: str
    subscription_id: str
    resource_group: str
    provider: str  # the full resource type, e.g. Microsoft.Network/virtualNetworks/subnets
    name: str
    # A child resource's parent (a subnet's virtual network); None for a top-level resource.
    parent: ArmId | None = None


def parse_arm_id(value: str, resource_type: str) -> ArmId:
    """The parsed ID; ValueError says what is wrong in a user's words."""
    match = _ARM_ID.fullmatch(value)
    if match is None or not re.fullmatch(GUID.pattern, match["subscription"]):
        raise ValueError(f"{value!r} is not a resource ID of the form {id_form(resource_type)}")
    steps = match["path"].split("/")
    kinds, names = steps[0::2], steps[1::2]
    found = "/".join((match["namespace"], *kinds))
    if found.lower() != resource_type.lower():
        raise ValueError(f"must be the ID of a {resource_type}, but it names a {found}")
    rule = RESOURCE_NAMES.get(resource_type)
    if rule is not None and not re.fullmatch(rule.pattern, names[-1]):
        raise ValueError(
            f"{names[-1]!r} is not a valid {resource_type} name: Azure allows {rule.what}"
        )
    parent = None
    if len(names) > 1:
        parent_id = value[: value.rindex(f"/{kinds[-1]}/")]
        parent = parse_arm_id(parent_id, found.rsplit("/", 1)[0])
    return ArmId(
        id=value,
        subscription_id=match["subscription"].lower(),
        resource_group=match["group"],
        provider=found,
        name=names[-1],
        parent=parent,
    )


# Azure's length limits of the names that carry prefix and stack label (the Key Vault's binds
# first). https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules
_LIMITS: Final = (
    ("Key Vault name", "key_vault", 24),
    ("storage account name", "storage_account", 24),
    ("Azure ML workspace name", "workspace", 33),
    ("container registry name", "container_registry", 50),
    # 32, not the REST spec's 33: see RESOURCE_NAMES.
    ("Azure ML registry name", "model_registry", 32),
    ("Log Analytics workspace name", "log_analytics", 63),
)
# The action group's short name keeps at least one character of the prefix before "-<label>".
_LONGEST_SHORT_LABEL: Final = 12 - len("p-")


@dataclass(frozen=True)
class Names:
    """Physical names, derived once from prefix and stack label so they never drift.

    Names that must be globally or regionally unique take the stack's random suffix, which
    pulumi-random keeps in state, so a re-run or a destroy-and-recreate never collides with a
    soft-deleted vault or workspace.
    """

    prefix: str
    environment: str
    stack: str

    @property
    def display(self) -> str:
        """The stack as people see it (the workspace's name in the studio): its environment, and
        its own name when that differs (``qa (staging)``)."""
        if self.stack in ("", self.environment):
            return self.environment
        return f"{self.environment} ({self.stack})"

    @property
    def label(self) -> str:
        """The stack in physical names: its lowercase letters and digits (``prod-eu`` →
        ``prodeu``), so ``staging`` (a qa stack) and ``qa`` differ by more than the random suffix;
        for a stack named after its environment, the environment itself."""
        return re.sub(r"[^a-z0-9]", "", self.stack.lower()) or self.environment

    @property
    def resource_group(self) -> str:
        return f"rg-{self.prefix}-mlops-{self.stack}"

    def key_vault(self, suffix: str) -> str:
        return f"kv-{self.prefix}{self.label}-{suffix}"

    def storage_account(self, suffix: str) -> str:
        return f"st{self.prefix}{self.label}{suffix}"

    def container_registry(self, suffix: str) -> str:
        return f"cr{self.prefix}{self.label}{suffix}"

    def log_analytics(self, suffix: str) -> str:
        return f"log-{self.prefix}-{self.label}-{suffix}"

    def application_insights(self, suffix: str) -> str:
        return f"appi-{self.prefix}-{self.label}-{suffix}"

    def workspace(self, suffix: str) -> str:
        return f"mlw-{self.prefix}-{self.label}-{suffix}"

    def model_registry(self, suffix: str) -> str:
        """Azure ML registries: 3-32 letters, digits, '-' and '_' (see RESOURCE_NAMES), unique
        in the tenant; the name is part of every asset ID in the registry."""
        return f"mlr-{self.prefix}-{self.label}-{suffix}"

    @property
    def encryption_key(self) -> str:
        """The customer-managed key the stack makes in its own vault (mlops:encryption mode
        create): 1-127 letters, digits and hyphens, unique in the vault."""
        return f"cmk-{self.prefix}-{self.label}"

    @property
    def encryption_identity(self) -> str:
        """The identity that reaches that key: user-assigned identity names are 3-128 letters,
        digits, '-' and '_', unique per resource group."""
        return f"id-{self.prefix}-{self.label}-encryption"

    def private_endpoint(self, suffix: str, group: str) -> str:
        """Per resource group, at most 80: ``group`` is the sub-resource it connects to."""
        return f"pe-{self.prefix}-{self.label}-{suffix}-{group}"

    @property
    def action_group(self) -> str:
        return f"ag-{self.prefix}-{self.label}"

    @property
    def action_group_short_name(self) -> str:
        """At most 12 characters (Azure's limit): it starts the subject of every notification."""
        return f"{self.prefix[: 11 - len(self.label)]}-{self.label}"

    @property
    def budget(self) -> str:
        """Budget names are 1-63 letters, digits, '_' and '-'; unique per resource group."""
        return f"budget-{self.prefix}-{self.label}"

    def too_long(self) -> str | None:
        """Why prefix and stack label make a name longer than Azure allows, or None.

        Said in the words of the two things a user chooses: what prefix length would fit with
        this stack name, or that the stack name itself is too long for any prefix.
        """
        suffix = "x" * SUFFIX_LENGTH
        over = [
            (what, getattr(self, method)(suffix), limit)
            for what, method, limit in _LIMITS
            if len(getattr(self, method)(suffix)) > limit
        ]
        if len(self.label) > _LONGEST_SHORT_LABEL:
            over.append(("action group short name", self.action_group_short_name, 12))
        if not over:
            return None
        names = "; ".join(
            f"the {what} {name} has {len(name)} characters, Azure allows {limit}"
            for what, name, limit in over
        )
        fits = min(
            limit - (len(getattr(self, method)(suffix)) - len(self.prefix))
            for _, method, limit in _LIMITS
        )
        if len(self.label) > _LONGEST_SHORT_LABEL or fits < 2:
            remedy = (
                f"no prefix fits: use a stack name with at most "
                f"{min(_LONGEST_SHORT_LABEL, len(self.label) + fits - 2)} letters and digits"
            )
        else:
            remedy = f"with this stack name, use a prefix of at most {fits} characters"
        written = f" (written {self.label!r} in names)" if self.label != self.stack else ""
        return f"{self.prefix!r} with stack {self.stack!r}{written} is too long: {names}; {remedy}"

    @staticmethod
    def regional(name: str, suffix: str) -> str:
        """Compute instance and endpoint names, unique per Azure region."""
        return f"{name}-{suffix}"
