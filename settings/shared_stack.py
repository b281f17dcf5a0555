"""What dev, qa and prod read from the shared stack, declared once: the output that carries each
value, the kind of resource it names, and what the shared stack sets to export it.

The shared stack exports these outputs (``__main__.py``); a stack with ``mode: shared`` in
``mlops:modelRegistry``, ``mlops:keyVault`` or ``mlops:containerRegistry`` reads them through a
``pulumi.StackReference`` (``components.shared_stack``), and the offline preview reads them from
the shared stack's own offline run or a recorded outputs file (``offline.references``). Both
pick a value with ``pick``, so a missing or malformed output is explained alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

from settings.names import ArmId, parse_arm_id
from settings.values import ML_REGISTRY, REGISTRY, STORAGE, VAULT

if TYPE_CHECKING:  # the schema imports this module
    from settings.schema import KeyVaultSettings, ModelRegistrySettings, RegistrySettings

SharedPart = Literal[
    "modelRegistry", "modelRegistryStorage", "modelRegistryAcr", "keyVault", "containerRegistry"
]
# The stack a short mlops:sharedStack names: the same organization and project.
DEFAULT_SHARED_STACK: Final = "shared"


@dataclass(frozen=True)
class SharedOutput:
    """One value the shared stack exports for the others."""

    output: str
    resource_type: str
    # What the shared stack's config sets so that it exports the value.
    exported_with: str
    # A map of region → ID (the registry's storage, one per region it replicates to).
    per_region: bool = False


SHARED_OUTPUTS: Final[Mapping[SharedPart, SharedOutput]] = {
    "modelRegistry": SharedOutput(
        "modelRegistryId", ML_REGISTRY, "mlops:modelRegistry.mode: create"
    ),
    "modelRegistryStorage": SharedOutput(
        "modelRegistryStorageAccountIds",
        STORAGE,
        "mlops:modelRegistry.regions (every region a workspace is in, besides the primary)",
        per_region=True,
    ),
    "modelRegistryAcr": SharedOutput(
        "modelRegistryContainerRegistryId", REGISTRY, "mlops:modelRegistry.mode: create"
    ),
    "keyVault": SharedOutput("keyVaultId", VAULT, "mlops:keyVault: {mode: create}"),
    "containerRegistry": SharedOutput(
        "containerRegistryId", REGISTRY, "mlops:containerRegistry: {mode: create}"
    ),
}
# The registry's name, for the release pipeline's azureml://registries/<name>/... URIs.
MODEL_REGISTRY_NAME_OUTPUT: Final = "modelRegistryName"


class SharedStackError(ValueError):
    """The shared stack does not export a value this stack reads; the message says what to set."""


def qualified(reference: str, organization: str, project: str) -> str:
    """``organization/project/stack``, as ``pulumi.StackReference`` needs it: a short name is a
    stack of this organization and project."""
    return reference if "/" in reference else f"{organization}/{project}/{reference}"


@dataclass(frozen=True)
class Source:
    """Where a value a workspace stack uses comes from: the shared stack's output (``shared``),
    or its ID in config (``configured``, under ``key``)."""

    part: SharedPart
    key: str
    configured: ArmId | None = None

    @property
    def shared(self) -> bool:
        return self.configured is None


def sources(
    model_registry: ModelRegistrySettings, key_vault: KeyVaultSettings, images: RegistrySettings
) -> dict[SharedPart, Source]:
    """What a workspace stack uses that another stack or team owns, each with its source."""
    given: tuple[tuple[SharedPart, Any, str, ArmId | None], ...] = (
        ("modelRegistry", model_registry, "modelRegistry", model_registry.existing),
        ("modelRegistryStorage", model_registry, "modelRegistry", model_registry.storage_account),
        ("modelRegistryAcr", model_registry, "modelRegistry", model_registry.container_registry),
        ("keyVault", key_vault, "keyVault", key_vault.existing),
        ("containerRegistry", images, "containerRegistry", images.existing),
    )
    found: dict[SharedPart, Source] = {}
    for part, section, key, configured in given:
        if section.mode == "shared":
            found[part] = Source(part, f"mlops:{key}.mode")
        elif configured is not None:
            found[part] = Source(part, f"mlops:{key}", configured)
    return found


def pick(part: SharedPart, value: Any, stack: str, location: str) -> ArmId:
    """The ID ``part`` names, given the shared stack's output ``value`` (for the registry's
    storage, its region → ID map, of which this stack's region's); SharedStackError names the
    output and what to set."""
    wanted = SHARED_OUTPUTS[part]
    where = f"the shared stack {stack}"
    if value is None:
        raise SharedStackError(
            f"{where} exports no {wanted.output}: set {wanted.exported_with} there and run "
            "`pulumi up` on it first (or give the ID in this stack: mode: existing)"
        )
    if wanted.per_region:
        if not isinstance(value, Mapping):
            raise SharedStackError(
                f"{where}'s {wanted.output} must be a map of region to ID, got "
                f"{type(value).__name__}: check that mlops:sharedStack names the stack that "
                "creates the registry"
            )
        by_region = value
        value = by_region.get(location)
        if value is None:
            regions = ", ".join(sorted(map(str, by_region))) or "none"
            raise SharedStackError(
                f"{where}'s {wanted.output} has no entry for {location} (it has {regions}): "
                f"the registry must replicate to this stack's region: set {wanted.exported_with}"
            )
    try:
        return parse_arm_id(str(value), wanted.resource_type)
    except ValueError as error:
        raise SharedStackError(
            f"{where}'s {wanted.output}: {error}; check that mlops:sharedStack names the stack "
            f"that creates it ({wanted.exported_with})"
        ) from None
