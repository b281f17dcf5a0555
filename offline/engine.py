"""Run the real ``__main__.py`` under Pulumi's mock engine: no Pulumi CLI, no Azure, no network.

The engine records every registered resource with its inputs, the mocked outputs Azure would
compute, and the resource options that matter (parent, protect, dependencies...). Tests, the
offline preview and the policy tests all read the same records.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import runpy
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

import pulumi
import pulumi.resource as pulumi_resource
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as pulumi_runtime_resource
from pulumi.runtime import rpc
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.proto import resource_pb2, source_pb2
from pulumi.runtime.rpc_manager import RPCManager
from pulumi.runtime.stack import wait_for_rpcs

from offline.references import ORGANIZATION, Reference, referenced, resolve
from offline.resource_types import Generated, resource_type
from offline.stack_file import StackConfig, read_config
from settings import secrets

ROOT: Final = Path(__file__).resolve().parent.parent
PROJECT: Final = "mlops"

# Values only Azure knows. They are fixed so that runs are reproducible, and recognisable so
# that the preview can say "known after apply" instead of showing them as real.
MOCK_SUBSCRIPTION_ID: Final = "00000000-0000-0000-0000-000000000001"
MOCK_TENANT_ID: Final = "00000000-0000-0000-0000-000000000002"
MOCK_SUFFIX: Final = "sfx0x1"
_PRINCIPAL_NAMESPACE: Final = uuid.UUID("0d6a7f39-2f1e-4f43-9b0c-5d1f7f1c3e11")
SECRET_PLACEHOLDER: Final = secrets.SECRET_PLACEHOLDER  # what stands for a secure value offline
# What the program logs (pulumi.log: the placeholder warning of a preview) is not printed: the
# offline preview reports it itself, and its stderr carries errors alone.
_PROGRAM_LOG: Final = logging.getLogger("offline.engine.program")
_PROGRAM_LOG.addHandler(logging.NullHandler())
_PROGRAM_LOG.propagate = False
# What the mocked ``getClientConfig`` answers: who runs the program, where.
CLIENT_CONFIG: Final[Mapping[str, str]] = {
    "subscriptionId": MOCK_SUBSCRIPTION_ID,
    "tenantId": MOCK_TENANT_ID,
    "clientId": "00000000-0000-0000-0000-000000000003",
    "objectId": "00000000-0000-0000-0000-000000000004",
}


@dataclass(frozen=True)
class Resource:
    """One registered resource, as the engine saw it."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    id: str
    inputs: Mapping[str, Any]
    outputs: Mapping[str, Any]
    protect: bool
    retain_on_delete: bool
    delete_before_replace: bool
    ignore_changes: tuple[str, ...]
    replace_on_changes: tuple[str, ...]
    depends_on: tuple[str, ...]
    property_dependencies: Mapping[str, tuple[str, ...]]
    # URNs this resource was known by before (the aliases option): the same resource, moved.
    aliases: tuple[str, ...] = ()

    @property
    def physical_name(self) -> str | None:
        name = self.outputs.get("name")
        return name if isinstance(name, str) else None

    @property
    def dependencies(self) -> tuple[str, ...]:
        """Every resource this one waits for: explicit and through its inputs."""
        found = dict.fromkeys(self.depends_on)
        for urns in self.property_dependencies.values():
            found.update(dict.fromkeys(urns))
        return tuple(found)


@dataclass(frozen=True)
class ProgramRun:
    stack: str
    config: Mapping[str, str]
    secret_keys: tuple[str, ...]
    resources: tuple[Resource, ...]
    outputs: Mapping[str, Any] = field(default_factory=dict)
    secret_outputs: frozenset[str] = frozenset()
    # The stacks the program read through stack references, resolved offline.
    references: tuple[Reference, ...] = ()

    def of_type(self, type_token: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_token]

    def by_urn(self) -> dict[str, Resource]:
        return {r.urn: r for r in self.resources}

    def named(self, name: str) -> Resource:
        matches = [r for r in self.resources if r.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources named {name!r}")
        return matches[0]


def run_to_data(run: ProgramRun) -> dict[str, Any]:
    """A run as JSON-ready data, for a run made in another process (``run_from_data``)."""
    return {
        "stack": run.stack,
        "config": dict(run.config),
        "secretKeys": list(run.secret_keys),
        "resources": [
            {**asdict(r), "property_dependencies": dict(r.property_dependencies)}
            for r in run.resources
        ],
        "outputs": dict(run.outputs),
        "secretOutputs": sorted(run.secret_outputs),
        "references": [asdict(r) for r in run.references],
    }


def run_from_data(data: Mapping[str, Any]) -> ProgramRun:
    def resource(fields: Mapping[str, Any]) -> Resource:
        listed = ("ignore_changes", "replace_on_changes", "depends_on", "aliases")
        values: dict[str, Any] = {**fields, **{key: tuple(fields[key]) for key in listed}}
        values["property_dependencies"] = {
            key: tuple(urns) for key, urns in fields["property_dependencies"].items()
        }
        return Resource(**values)

    return ProgramRun(
        stack=data["stack"],
        config=data["config"],
        secret_keys=tuple(data["secretKeys"]),
        resources=tuple(resource(r) for r in data["resources"]),
        outputs=data["outputs"],
        secret_outputs=frozenset(data["secretOutputs"]),
        references=tuple(
            Reference(r["stack"], r["outputs"], tuple(r["secret_outputs"]), r["source"])
            for r in data.get("references", ())
        ),
    )


def _principal_id(urn: str) -> str:
    return str(uuid.uuid5(_PRINCIPAL_NAMESPACE, urn))


def _with_templates(
    values: Mapping[str, Any], templates: Mapping[str, str], **fields: Any
) -> dict[str, Any]:
    """``values`` with each template filled in at its path (``a.b.c``), mappings copied; a
    segment ``key[*]`` fills every entry of that list, whose own ``location`` (a registry's
    region) is then ``{location}``."""
    result = dict(values)
    for path, template in templates.items():
        result = _with_value(result, path.split("."), template, fields)
    return result


def _with_value(
    values: Mapping[str, Any], path: list[str], template: str, fields: Mapping[str, Any]
) -> dict[str, Any]:
    head, *rest = path
    if head.endswith("[*]"):
        key = head.removesuffix("[*]")
        entries = values.get(key)
        return {
            **values,
            key: [
                _with_value(entry, rest, template, {**fields, **_located(entry)})
                for entry in (entries if isinstance(entries, list) else [])
                if isinstance(entry, Mapping)
            ],
        }
    if not rest:
        return {**values, head: template.format(**fields)}
    inner = values.get(head)
    inner = inner if isinstance(inner, Mapping) else {}
    return {**values, head: _with_value(inner, rest, template, fields)}


def _located(entry: Mapping[str, Any]) -> dict[str, Any]:
    location = entry.get("location")
    return {"location": location} if isinstance(location, str) else {}


STACK_REFERENCE: Final = "pulumi:pulumi:StackReference"


# -- aliases nobody reads -------------------------------------------------------------------------
# The SDK's Resource.__init__ turns every alias option into a URN (collapse_alias_to_urn: a chain
# of Outputs and asyncio tasks) for engines that take aliases as URNs. An engine that takes alias
# specifications, as the mock monitor does (and the Pulumi CLI's), is sent the aliases themselves
# (pulumi.runtime.resource.prepare_aliases, from the option), and those URNs are never read.
# azure-native gives each resource a type alias per API version (50 for a workspace): half of
# every run went to them. Under such an engine an alias that only renames the type, which cannot
# fail to collapse, is left out; any other is collapsed as the SDK does. What the engine receives,
# and so every record, is the same (tests/test_engine.py runs a stack both ways).
_collapse_alias_to_urn: Final = pulumi_resource.collapse_alias_to_urn
_UNREAD_ALIAS: Final = "urn:offline:unread-type-alias"
_SKIP_UNREAD_ALIASES = True  # tests/test_engine.py turns it off to compare


def _type_alias_urn(
    alias: Any,
    defaultName: str,  # noqa: N803 (the SDK's parameter names)
    defaultType: str,  # noqa: N803
    defaultParent: pulumi.Resource | None,  # noqa: N803
) -> pulumi.Output[str] | str:
    type_only = (
        isinstance(alias, pulumi.Alias)
        and isinstance(alias.type_, str)
        and all(value is ... for value in (alias.name, alias.parent, alias.stack, alias.project))
    )
    if (
        _SKIP_UNREAD_ALIASES
        and type_only
        and runtime_settings.monitor_supports_feature(
            resource_pb2.RESOURCE_MONITOR_FEATURE_ALIAS_SPECS
        )
    ):
        return _UNREAD_ALIAS
    return _collapse_alias_to_urn(alias, defaultName, defaultType, defaultParent)


# The SDK keeps the result as an Input[str] (Resource._aliases): a string does.
pulumi_resource.collapse_alias_to_urn = _type_alias_urn  # pyrefly: ignore[bad-assignment]


# -- stack traces nobody reads --------------------------------------------------------------------
# For every resource it registers, the SDK sends the engine the stack of the program's call and
# its source position (traceback.extract_stack: each frame's source line read, its file turned
# into a URI), which the Pulumi CLI shows in its messages. The mock monitor ignores both and no
# record holds them: about 5% of a run, and in a fresh process the reading of every source file
# on the stack. The mock engine is sent an empty stack; every record is the same
# (tests/test_engine_shortcuts.py runs a stack both ways).
_sdk_stack_trace: Final = pulumi_runtime_resource._get_stack_trace


def _no_stack_trace() -> source_pb2.StackTrace:
    return source_pb2.StackTrace()


pulumi_runtime_resource._get_stack_trace = _no_stack_trace


class AzureMocks(pulumi_mocks.Mocks):
    """Answers as Azure would on create, deterministically; a stack reference with the
    referenced stack's outputs, resolved before the run (``offline.references``)."""

    def __init__(self, references: Sequence[Reference] = (), location: str | None = None) -> None:
        self.references = {r.stack: r for r in references}
        # Where an existing resource the program reads is taken to be: the stack's region.
        self.location = location or "region"

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = dict(args.inputs)
        if args.typ == STACK_REFERENCE:
            name = str(inputs.get("name"))
            found = self.references.get(name)
            outputs = dict(found.outputs) if found else {}
            secret = list(found.secret_outputs) if found else []
            return name, {"name": name, "outputs": outputs, "secretOutputNames": secret}
        mock = resource_type(args.typ).mock
        if isinstance(mock, Generated):
            return f"{args.name}-id", _with_templates(inputs, mock.outputs, suffix=MOCK_SUFFIX)
        name = inputs.get(mock.name_input) or args.name
        if mock.placement is None:
            resource_id = f"{args.name}-id"
        else:
            group_id = (
                f"/subscriptions/{MOCK_SUBSCRIPTION_ID}"
                f"/resourceGroups/{inputs.get('resourceGroupName')}"
            )
            resource_id = mock.placement.arm_id(group_id, inputs, name)
        outputs: dict[str, Any] = {**inputs, "id": resource_id, "name": name}
        identity = inputs.get("identity")
        if isinstance(identity, dict) and "SystemAssigned" in str(identity.get("type", "")):
            outputs["identity"] = {
                **identity,
                "principalId": _principal_id(f"{args.typ}::{args.name}"),
                "tenantId": MOCK_TENANT_ID,
            }
        assigned = identity.get("userAssignedIdentities") if isinstance(identity, dict) else None
        if isinstance(assigned, list):
            # Given as a list of IDs (azure-native 3), answered as Azure does: a map by ID.
            outputs["identity"] = {
                **outputs.get("identity", identity),
                "userAssignedIdentities": {str(i): {} for i in assigned},
            }
        location = inputs.get("location", "region")
        return resource_id, _with_templates(
            outputs, mock.computed, name=name, location=location, inputs=inputs
        )

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[Any]]:
        if args.token == "azure-native:authorization:getClientConfig":
            return dict(CLIENT_CONFIG), []
        if args.token == "azure-native:containerservice:getManagedCluster":
            # An AKS cluster the stack manages the cluster side of (an existing one).
            group, name = args.args.get("resourceGroupName"), args.args.get("resourceName")
            cluster_id = (
                f"/subscriptions/{MOCK_SUBSCRIPTION_ID}/resourceGroups/{group}"
                f"/providers/Microsoft.ContainerService/managedClusters/{name}"
            )
            return {"id": cluster_id, "name": name, "location": self.location}, []
        raise NotImplementedError(f"no mock for {args.token}")


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    """Keeps what a resource's registration request said, options included."""

    def __init__(self, mocks: pulumi_mocks.Mocks) -> None:
        super().__init__(mocks)
        self.requests: dict[str, Any] = {}

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        self.requests[response.urn] = request
        return response


def stack_config(stack: str, root: Path = ROOT) -> tuple[dict[str, str], tuple[str, ...]]:
    """Config as the Pulumi CLI would pass it, from ``root / Pulumi.<stack>.yaml``."""
    return file_config(root / f"Pulumi.{stack}.yaml")


def file_config(path: Path) -> tuple[dict[str, str], tuple[str, ...]]:
    """Config as the Pulumi CLI would pass it: ``namespace:key`` → text (JSON for structures).

    The stack file is read as the CLI reads it (YAML 1.2, see ``offline.stack_file``); a file
    the CLI would refuse raises ``StackFileError`` naming the file and line. Secure values
    cannot be decrypted offline; they are passed as a placeholder and listed as secret keys,
    so they are never shown in clear.
    """
    try:
        stat = path.stat()
    except OSError:
        found = read_config(path, PROJECT, SECRET_PLACEHOLDER)  # says what is wrong with the path
    else:
        found = _parsed(path, (stat.st_ino, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size))
    return dict(found.values), found.secret_keys


@functools.lru_cache(maxsize=64)
def _parsed(path: Path, version: tuple[int, ...]) -> StackConfig:
    """A stack file is parsed once while it is unchanged (the tests read each one many times)."""
    del version  # the cache key: a file written again is parsed again
    return read_config(path, PROJECT, SECRET_PLACEHOLDER)


def settings_error(error: BaseException) -> BaseException | None:
    """The program's SettingsError, however Pulumi or runpy wrapped it."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if type(current).__name__ == "SettingsError" and hasattr(current, "problems"):
            return current
        current = current.__cause__ or current.__context__
    return None


def stacks(root: Path = ROOT) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))


def run_program(
    stack: str,
    config: Mapping[str, str] | None = None,
    secret_keys: Sequence[str] = (),
    program: Path = ROOT / "__main__.py",
    root: Path = ROOT,
    *,
    preview: bool = True,
    references: Sequence[Reference] | None = None,
    seen: tuple[str, ...] = (),
) -> ProgramRun:
    """Evaluate the program for one stack under mocks and return what it registered.

    With ``config`` omitted, the stack's ``Pulumi.<stack>.yaml`` in ``root`` is used. The run is
    a preview (``pulumi.runtime.is_dry_run()``), as `pulumi preview` is; ``preview=False`` runs
    it as `pulumi up` would, which refuses placeholders (``settings.placeholders``). The stack
    the config references (``mlops:sharedStack``) is resolved from ``root`` unless
    ``references`` are given (``offline.references``; ``seen``: the stacks referring to this
    one, so that references going round are refused).
    """
    if config is None:
        config, secret_keys = stack_config(stack, root)
    if references is None:
        name = referenced(config, secret_keys, stack)
        references = (
            (resolve(name, root, program, (*seen, f"{ORGANIZATION}/{PROJECT}/{stack}")),)
            if name
            else ()
        )
    return evaluate(
        lambda: runpy.run_path(str(program), run_name="__main__"),
        stack,
        config,
        secret_keys,
        preview=preview,
        references=references,
    )


def evaluate(
    body: Callable[[], object],
    stack: str = "test",
    config: Mapping[str, str] | None = None,
    secret_keys: Sequence[str] = (),
    *,
    preview: bool = True,
    references: Sequence[Reference] = (),
) -> ProgramRun:
    """Run ``body`` as a Pulumi program under mocks (components can be tested on their own).

    Each run gets a fresh context and event loop, so runs in one process never see each
    other's resources. ``preview`` is what ``pulumi.runtime.is_dry_run()`` answers: a dry run
    by default, as the offline preview is one.
    """
    run = functools.partial(_run_isolated, preview=preview, references=tuple(references))
    return contextvars.copy_context().run(run, stack, dict(config or {}), tuple(secret_keys), body)


def _run_isolated(
    stack: str,
    config: dict[str, str],
    secret_keys: tuple[str, ...],
    body: Callable[[], object],
    *,
    preview: bool,
    references: tuple[Reference, ...],
) -> ProgramRun:
    # Pulumi keeps pending work in context-wide settings; a failed earlier run must not leak
    # its unfinished tasks into this one.
    runtime_settings.ROOT.set(None)
    runtime_settings.SETTINGS.outputs = set()  # pyrefly: ignore[bad-assignment]
    runtime_settings.SETTINGS.rpc_manager = RPCManager()  # pyrefly: ignore[bad-assignment]
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    mocks = AzureMocks(references, config.get("azure-native:location"))
    monitor = _RecordingMonitor(mocks)
    try:
        pulumi.runtime.set_mocks(
            mocks,
            project=PROJECT,
            stack=stack,
            preview=preview,
            logger=_PROGRAM_LOG,
            monitor=monitor,
            organization=ORGANIZATION,
        )
        pulumi.runtime.set_all_config(config, list(secret_keys))
        body()
        root = runtime_settings.get_root_resource()
        loop.run_until_complete(wait_for_rpcs())
        outputs, secret_outputs = _resolve_exports(loop, root)
        loop.run_until_complete(wait_for_rpcs())
    except BaseException:
        _cancel_pending(loop)
        raise
    finally:
        loop.run_until_complete(loop.shutdown_default_executor())
        asyncio.set_event_loop(None)
        loop.close()
    return ProgramRun(
        stack=stack,
        config=config,
        secret_keys=secret_keys,
        resources=tuple(_records(monitor)),
        outputs=outputs,
        secret_outputs=secret_outputs,
        references=references,
    )


def _cancel_pending(loop: asyncio.AbstractEventLoop) -> None:
    """A failed program leaves registrations in flight: end them quietly, not at exit."""
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


def _resolve_exports(
    loop: asyncio.AbstractEventLoop, root: Any
) -> tuple[dict[str, Any], frozenset[str]]:
    """Stack outputs by name, and the names of those the program marked secret."""
    exported: dict[str, Any] = dict(getattr(root, "outputs", {}) or {})

    async def resolve() -> tuple[dict[str, Any], frozenset[str]]:
        resolved: dict[str, Any] = {}
        secret: set[str] = set()
        for key, value in exported.items():
            output = pulumi.Output.from_input(value)
            resolved[key] = await output.future()
            if await output.is_secret():
                secret.add(key)
        return resolved, frozenset(secret)

    return loop.run_until_complete(resolve())


def _records(monitor: _RecordingMonitor) -> list[Resource]:
    records = []
    # Registration order depends on how async work interleaves; URN order does not.
    for urn, registration in sorted(monitor.resources.items()):
        request = monitor.requests.get(urn)
        if request is None:
            continue
        inputs = rpc.deserialize_properties(request.object)
        property_dependencies = {
            key: tuple(deps.urns) for key, deps in request.propertyDependencies.items()
        }
        through_inputs = {urn for urns in property_dependencies.values() for urn in urns}
        records.append(
            Resource(
                urn=urn,
                type=request.type,
                name=request.name,
                parent=request.parent,
                custom=request.custom,
                id=registration.id or "",
                inputs=_plain(inputs),
                outputs=_plain(registration.state),
                protect=request.protect,
                retain_on_delete=request.retainOnDelete,
                delete_before_replace=request.deleteBeforeReplace,
                ignore_changes=tuple(request.ignoreChanges),
                replace_on_changes=tuple(request.replaceOnChanges),
                # The request mixes the dependsOn option with dependencies through inputs;
                # what no input carries is the explicit option.
                depends_on=tuple(d for d in request.dependencies if d not in through_inputs),
                property_dependencies=property_dependencies,
                aliases=_alias_urns(request),
            )
        )
    return records


def _alias_urns(request: Any) -> tuple[str, ...]:
    """The URNs a registration's aliases stand for, as the mock monitor forms URNs.

    An alias spec names what changed (name, type, parent); what it leaves out is the
    resource's own. URNs follow ``MockMonitor.make_urn``: the parent's last type, then the
    type, so that base and head runs under the mock engine agree.
    """
    found: list[str] = list(request.aliasURNs)
    stack, project = runtime_settings.get_stack(), runtime_settings.get_project()
    for alias in request.aliases:
        if alias.WhichOneof("alias") == "urn":
            found.append(alias.urn)
            continue
        spec = alias.spec
        parent = request.parent
        if spec.WhichOneof("parent") == "noParent" and spec.noParent:
            parent = ""
        elif spec.WhichOneof("parent") == "parentUrn" and spec.parentUrn:
            parent = spec.parentUrn
        kind = spec.type or request.type
        if parent:
            kind = f"{parent.split('::')[2].split('$')[-1]}${kind}"
        found.append(
            f"urn:pulumi:{spec.stack or stack}::{spec.project or project}::{kind}"
            f"::{spec.name or request.name}"
        )
    return tuple(dict.fromkeys(found))


def is_secret(value: Any) -> bool:
    """True for a value the engine passes on still marked secret by Pulumi."""
    return rpc.is_rpc_secret(value)


def _plain(value: Any) -> Any:
    """Protobuf structures and Pulumi values to plain JSON-like Python."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
