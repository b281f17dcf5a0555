"""What dev, qa and prod use but never manage: the Azure ML registry models are promoted through
(with the storage account and container registry Azure created for it), and the Key Vault and
container registry they may adopt.

Each comes from the shared stack's outputs through a stack reference (``mode: shared``; which
output carries what is declared in ``settings.shared_stack``), or from its ID in config where
the estate is managed elsewhere (``mode: existing``, ``existingId``). Components see the same
``Adopted`` either way. A stack reference reads the outputs of the shared stack's last update,
so that stack is deployed first (docs/concepts/shared-stack.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from settings.loader import SettingsError
from settings.names import ArmId
from settings.schema import KeyVaultSettings, ModelRegistrySettings, RegistrySettings
from settings.shared_stack import (
    SHARED_OUTPUTS,
    SharedPart,
    SharedStackError,
    Source,
    pick,
    sources,
)


@dataclass(frozen=True)
class Adopted:
    """A resource this stack uses and never creates, changes or locks."""

    id: pulumi.Input[str]
    name: pulumi.Input[str]
    subscription_id: pulumi.Input[str]


@dataclass(frozen=True)
class UsedModelRegistry:
    """The shared Azure ML registry, and what Azure created for it that deployments reach
    (None where config names no ID for it: mode existing)."""

    registry: Adopted
    storage_account_id: pulumi.Input[str] | None = None
    container_registry_id: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class SharedStackArgs:
    # organization/project/stack, where a mode is shared (settings.referenced_stack, qualified).
    stack: str | None
    # The stack's region: the registry's storage account is this region's.
    location: str
    model_registry: ModelRegistrySettings
    key_vault: KeyVaultSettings
    container_registry: RegistrySettings


class SharedStack(pulumi.ComponentResource):
    """Exposes ``model_registry``, ``key_vault`` and ``container_registry`` (each None where the
    stack does not use one it does not own), and ``sources``: where each value came from."""

    def __init__(
        self, name: str, args: SharedStackArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:shared:SharedStack", name, None, opts)
        found = sources(args.model_registry, args.key_vault, args.container_registry)
        stack = args.stack
        reference = (
            pulumi.StackReference(
                f"{name}-reference", stack_name=stack, opts=pulumi.ResourceOptions(parent=self)
            )
            if stack is not None and any(s.shared for s in found.values())
            else None
        )

        # Every value read from the shared stack, checked at once: what it does not export is
        # reported in one message.
        read = [source for source in found.values() if source.shared]
        picked: pulumi.Output[dict[SharedPart, ArmId]] = (
            pulumi.Output.all(
                *(reference.get_output(SHARED_OUTPUTS[s.part].output) for s in read)
            ).apply(lambda values: _picked(read, values, str(stack), args.location))
            if reference is not None
            else pulumi.Output.from_input({})
        )

        def adopted(part: SharedPart) -> Adopted | None:
            source = found.get(part)
            if source is None:
                return None
            if source.configured is not None:
                arm = source.configured
                return Adopted(arm.id, arm.name, arm.subscription_id)
            return Adopted(
                picked.apply(lambda ids: ids[part].id),
                picked.apply(lambda ids: ids[part].name),
                picked.apply(lambda ids: ids[part].subscription_id),
            )

        registry = adopted("modelRegistry")
        storage, acr = adopted("modelRegistryStorage"), adopted("modelRegistryAcr")
        self.model_registry: UsedModelRegistry | None = (
            UsedModelRegistry(
                registry,
                storage_account_id=storage.id if storage else None,
                container_registry_id=acr.id if acr else None,
            )
            if registry is not None
            else None
        )
        self.key_vault: Adopted | None = adopted("keyVault")
        self.container_registry: Adopted | None = adopted("containerRegistry")
        self.sources: Mapping[SharedPart, str] = {
            part: f"{stack} ({SHARED_OUTPUTS[part].output})" if source.shared else source.key
            for part, source in found.items()
        }
        self.register_outputs({"sources": dict(self.sources)})


def _picked(
    read: Sequence[Source], values: Sequence[Any], stack: str, location: str
) -> dict[SharedPart, ArmId]:
    """The IDs read, by part; whatever the shared stack does not export stops the preview or
    update with the keys to change (a SettingsError: Pulumi prints the message alone)."""
    ids: dict[SharedPart, ArmId] = {}
    problems: list[str] = []
    for source, value in zip(read, values, strict=True):
        try:
            ids[source.part] = pick(source.part, value, stack, location)
        except SharedStackError as error:
            problems.append(f"{source.key}: shared, but {error}")
    if problems:
        raise SettingsError(list(dict.fromkeys(problems)))
    return ids
