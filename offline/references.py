"""Stack references resolved offline: the outputs a stack reads from another (the shared stack).

``pulumi.StackReference`` reads the referenced stack's last update from the backend; offline
there is none. A referenced stack of this project whose stack file is in the repository is
evaluated under the mock engine and its outputs are used; any other is read from its recorded
outputs, ``stack-outputs/<organization>/<project>/<stack>.json`` (what `pulumi stack output
--json` prints). Each resolved reference says which of the two it came from, and the preview
shows it beside the values the stack uses.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

# The program's own modules (settings) are imported where used, never here: the engine that
# imports this module also runs programs of other git refs, with settings of their own.
if TYPE_CHECKING:
    from settings.names import ArmId
    from settings.schema import Settings
    from settings.shared_stack import SharedPart

RECORDED: Final = "stack-outputs"
# Pulumi DIY backends name every stack's organization this; the mock engine runs in it.
ORGANIZATION: Final = "organization"


@dataclass(frozen=True)
class Reference:
    """A referenced stack's outputs, and where the offline preview found them."""

    stack: str  # organization/project/stack, as the program names it
    outputs: Mapping[str, Any]
    secret_outputs: tuple[str, ...]
    source: str


class ReferenceError(Exception):
    """A stack reference the offline preview cannot resolve: the message says what to do."""


def referenced(config: Mapping[str, str], secret_keys: Sequence[str], stack: str) -> str | None:
    """The stack this stack's config reads from, qualified as the program qualifies it; None
    when it reads none, or when its config is invalid (the program's run then says why)."""
    try:
        from settings.loader import SettingsError, load  # noqa: PLC0415 (the program's own)
        from settings.shared_stack import qualified  # noqa: PLC0415
    except ImportError:  # a program from before stack references (an older git ref)
        return None
    from offline.engine import PROJECT  # noqa: PLC0415 (the engine imports this module)

    try:
        settings = load(config, project=PROJECT, stack=stack, secret_keys=secret_keys)
    except SettingsError:
        return None
    name = settings.referenced_stack
    return qualified(name, ORGANIZATION, PROJECT) if name else None


def resolve(name: str, root: Path, program: Path, seen: tuple[str, ...] = ()) -> Reference:
    """The outputs of stack ``name`` (organization/project/stack)."""
    from offline.engine import PROJECT  # noqa: PLC0415

    _, project, stack = name.split("/")
    stack_file = root / f"Pulumi.{stack}.yaml"
    if project == PROJECT and stack_file.is_file():
        if name in seen:
            chain = " → ".join((*seen, name))
            raise ReferenceError(f"mlops:sharedStack: stack references go round: {chain}")
        return _evaluated(name, stack_file, program, seen)
    recorded = root / RECORDED / f"{name}.json"
    if recorded.is_file():
        return _recorded(name, recorded, root)
    command = f"pulumi stack output --json -s {name} > {recorded.relative_to(root)}"
    raise ReferenceError(
        f"mlops:sharedStack: stack {name} is not in this repository (no Pulumi.{stack}.yaml of "
        f"project {PROJECT}) and its outputs are not recorded: record them with `{command}` "
        "(stack outputs hold no secret; a secret output is written as [secret] unless "
        "--show-secrets)"
    )


def _evaluated(name: str, stack_file: Path, program: Path, seen: tuple[str, ...]) -> Reference:
    stat, code = stack_file.stat(), program.stat()
    return _run(
        name,
        stack_file,
        program,
        (stat.st_mtime_ns, stat.st_size, code.st_mtime_ns, code.st_size),
        seen,
    )


@functools.lru_cache(maxsize=16)
def _run(
    name: str, stack_file: Path, program: Path, version: tuple[int, ...], seen: tuple[str, ...]
) -> Reference:
    """The referenced stack evaluated once while its stack file and the program are unchanged
    (every dev, qa and prod run reads it)."""
    del version  # the cache key
    from offline.engine import run_program, settings_error, stack_config  # noqa: PLC0415

    stack = stack_file.name[len("Pulumi.") : -len(".yaml")]
    config, secret_keys = stack_config(stack, stack_file.parent)
    try:
        run = run_program(
            stack, config, secret_keys, program=program, root=stack_file.parent, seen=seen
        )
    except Exception as error:
        found = settings_error(error)
        if found is None:
            raise
        raise ReferenceError(
            f"mlops:sharedStack: stack {name} (Pulumi.{stack}.yaml) does not evaluate, so its "
            f"outputs are unknown:\n{found}"
        ) from None
    source = f"{stack_file.name}, evaluated offline"
    return Reference(name, run.outputs, tuple(sorted(run.secret_outputs)), source)


def _recorded(name: str, path: Path, root: Path) -> Reference:
    where = path.relative_to(root)
    try:
        outputs = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        message = f"{where}: not the JSON of `pulumi stack output --json`: {error}"
        raise ReferenceError(message) from None
    if not isinstance(outputs, dict):
        raise ReferenceError(f"{where}: must be a map of output names to values")
    secret = tuple(sorted(k for k, v in outputs.items() if v == "[secret]"))
    return Reference(name, outputs, secret, f"{where}, recorded")


@dataclass(frozen=True)
class Used:
    """A resource a stack uses that another stack or team owns, and where its ID came from."""

    id: ArmId
    source: str


def used(settings: Settings, references: Sequence[Reference]) -> dict[SharedPart, Used]:
    """What the stack uses of others' resources, as the program resolved it: the config's IDs,
    or the referenced stack's outputs (a missing output raises SharedStackError)."""
    from settings.shared_stack import SHARED_OUTPUTS, pick, sources  # noqa: PLC0415

    found = sources(settings.model_registry, settings.key_vault, settings.container_registry)
    reference = references[0] if references else None
    result: dict[SharedPart, Used] = {}
    for part, source in found.items():
        if source.configured is not None:
            result[part] = Used(source.configured, f"config {source.key}")
        elif reference is not None:
            output = SHARED_OUTPUTS[part].output
            value = reference.outputs.get(output)
            arm = pick(part, value, reference.stack, settings.location)
            result[part] = Used(
                arm, f"stack {reference.stack}, output {output} ({reference.source})"
            )
    return result
