"""The stack config's schema for editors, and every generated block of the docs.

The schema and the configuration reference are generated from the pydantic models in
``settings.schema``, which stay the one declaration of every key; the alert table from the
catalogue in ``settings.alerts``; the table of an attached cluster's side from
``settings.kubernetes``; the environment profiles and the overview diagram from
``settings.profiles``; the plan figures from the dev stack's offline preview; the delivery's
access table from the bootstrap. ``BLOCKS`` says which page holds each, between its markers.
``make docs`` (and ``make schema``) writes them all; tests fail when any is stale.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from types import UnionType
from typing import Any, Final, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from bootstrap import pipeline_access
from offline import esc
from offline.engine import ProgramRun
from policy.mlops_policy import RESOURCE_RULES, STACK_RULES
from policy.mlops_policy.rules import ResourceRule, StackRule
from policy.mlops_policy.stack import TAGGABLE
from settings import secrets
from settings.alerts import CATALOGUE, Alert, Metric
from settings.kubernetes import STEPS
from settings.loader import CLASSIC_PROVIDER, PROVIDER, PROVIDER_GUIDS, provider_keys
from settings.names import GUID
from settings.profiles import PROFILES, EnvironmentProfile
from settings.schema import DEFAULTED_BY_LOADER, NAMESPACE, Settings
from settings.validation import choices, condition, constraint, hint, unwrap

ROOT: Final = Path(__file__).resolve().parent.parent
SCHEMA_FILE: Final = ROOT / "schema" / "stack-config.schema.json"
README: Final = ROOT / "README.md"
DOCS: Final = ROOT / "docs"
# Keys of other namespaces (other providers) are the providers' business; the azure-native
# provider's are declared (a typo is flagged in the editor as the loader refuses it), and the
# classic azure provider's, which this program does not use, are refused.
OTHER_NAMESPACES: Final = f"^(?!{NAMESPACE}:|{PROVIDER}:|{CLASSIC_PROVIDER}:)[A-Za-z0-9_.-]+:.+$"


def _provider_keys(declared: dict[str, Any]) -> dict[str, Any]:
    """The azure-native provider's config keys the installed SDK reads, beside the program's
    own (``azure-native:location``): a GUID where the provider takes one, plain or secret."""
    found: dict[str, Any] = {}
    for name in provider_keys():
        key = f"{PROVIDER}:{name}"
        if key in declared:
            continue
        found[key] = {"description": f"The azure-native provider's {name}."}
        if name in PROVIDER_GUIDS:
            found[key] = {
                "description": f"The azure-native provider's {name}: {PROVIDER_GUIDS[name]}.",
                "anyOf": [{"type": "string", "pattern": GUID.pattern}, secrets.SECURE_SCHEMA],
            }
    return found


def stack_file_schema() -> dict[str, Any]:
    """JSON Schema of a whole `Pulumi.<stack>.yaml`, its `config` from the Settings model."""
    config = Settings.model_json_schema(by_alias=True, mode="validation")
    definitions = config.pop("$defs", {})
    defaulted = [k for k, v in config["properties"].items() if DEFAULTED_BY_LOADER in v]
    config["required"] = [key for key in config["required"] if key not in defaulted]
    config["patternProperties"] = {OTHER_NAMESPACES: {}}
    config["properties"] |= _provider_keys(config["properties"])
    # A key that may carry a credential may be secret as a whole (settings.secrets).
    for name, field in Settings.model_fields.items():
        key = field.alias or name
        if secrets.positions(field):
            described = dict(config["properties"][key])
            note = {"description": described.pop("description", "")}
            config["properties"][key] = {**note, "anyOf": [described, secrets.SECURE_SCHEMA]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "mlops stack file (Pulumi.<stack>.yaml)",
        "description": "Generated from settings/schema.py by `make schema`; do not edit.",
        "type": "object",
        "properties": {
            "config": config,
            "secretsprovider": {"type": "string"},
            "encryptedkey": {"type": "string"},
            "encryptionsalt": {"type": "string"},
            "environment": {
                "description": "Pulumi ESC environments to import, in order (later over "
                "earlier), or an environment definition written here (imports:, values:).",
                "anyOf": [
                    {"type": "array", "items": {"type": "string", "pattern": esc.NAME_PATTERN}},
                    {
                        "type": "object",
                        "properties": {
                            "imports": {"type": "array"},
                            "values": {"type": "object"},
                            "description": {"type": "string"},
                        },
                        "additionalProperties": False,
                    },
                ],
            },
        },
        "additionalProperties": False,
        "$defs": definitions,
    }


def _what(field: FieldInfo) -> str:
    """The kind of value a key takes, in a reader's words."""
    told, annotation = hint(field), unwrap(field.annotation)
    item = get_args(annotation)[0] if get_origin(annotation) is tuple else None
    if choices(field):
        return ", ".join(f"`{choice}`" for choice in choices(field))
    if item is not None:
        return f"list of {_link(item)}" if _is_model(item) else f"list, each: {_what(_entry(item))}"
    if _is_model(annotation):
        return f"map: {_link(annotation)}"
    if told is not None:
        return told.what + (f" ({told.why})" if told.why else "")
    if annotation is int:
        return f"whole number {constraint(field, 'ge')}-{constraint(field, 'le')}"
    kinds = {bool: "`true` or `false`", dict: "map of strings", str: "text"}
    return kinds.get(get_origin(annotation) or annotation, str(annotation))


def _default(field: FieldInfo) -> str:
    extra = field.json_schema_extra
    if isinstance(extra, dict) and DEFAULTED_BY_LOADER in extra:
        return str(extra[DEFAULTED_BY_LOADER])
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        value = field.get_default(call_default_factory=True)
        return "`{}`" if value == {} else "see below"
    if field.default in (None, ()):
        return "-" if field.default is None else "`[]`"
    return f"`{json.dumps(field.default)}`"


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _link(model: type[BaseModel]) -> str:
    return f"[{_title(model)}](#{_anchor(model)})"


def _entry(annotation: Any) -> FieldInfo:
    """A list entry as a field of its own, with its constraints and hint."""
    return FieldInfo.from_annotation(annotation)


def _title(model: type[BaseModel]) -> str:
    return model.__name__.removesuffix("Settings")


def _anchor(model: type[BaseModel]) -> str:
    return _title(model).lower()


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """The lines of a Markdown table: the header, its rule, a line per row."""
    return [f"| {' | '.join(cells)} |" for cells in (header, ["---"] * len(header), *rows)]


def _table(model: type[BaseModel]) -> list[str]:
    rows = []
    for name, field in model.model_fields.items():
        meaning = " ".join(f"{field.description or ''} {condition(model, name)}".split())
        value = _what(field).replace("|", "\\|")
        rows.append([f"`{field.alias or name}`", _default(field), value, meaning])
    return markdown_table(["key", "default", "value", "meaning"], rows)


def _sections(model: type[BaseModel], seen: set[type[BaseModel]]) -> Iterator[type[BaseModel]]:
    for field in model.model_fields.values():
        annotation = unwrap(field.annotation)
        inner = get_args(annotation)[0] if get_origin(annotation) is tuple else annotation
        # A list entry of one of several kinds (a name or a map): each kind that is a section.
        kinds = getattr(inner, "__origin__", inner) if hasattr(inner, "__metadata__") else inner
        members = get_args(kinds) if get_origin(kinds) in (Union, UnionType) else ()
        for candidate in (inner, *members):
            if _is_model(candidate) and candidate not in seen:
                seen.add(candidate)
                yield candidate
                yield from _sections(candidate, seen)


def reference() -> str:
    """The configuration reference: one table per section."""
    lines = _table(Settings)
    for section in _sections(Settings, set()):
        lines += ["", f"### {_title(section)}", "", *_table(section)]
    return "\n".join(lines)


def _signal(alert: Alert) -> str:
    window = alert.window.removeprefix("PT").replace("M", " min").replace("H", " h")
    signal = alert.signal
    if not isinstance(signal, Metric) and signal.measure is None:
        return f"rows of `{' '.join(signal.query.split())}` in {window}"
    if not isinstance(signal, Metric):
        per = "".join(f"; per {name}" for name in signal.dimensions)
        return (
            f"`{signal.measure}` of `{' '.join(signal.query.split())}` "
            f"({signal.aggregation.lower()} over {window}{per})"
        )
    where = [
        f"; {name} {', '.join(values)}" if values != ("*",) else f"; per {name}"
        for name, values in signal.dimensions.items()
    ]
    return f"`{signal.name}` ({signal.aggregation.lower()} over {window}{''.join(where)})"


def alert_table() -> str:
    """The alert catalogue: one row per alert."""
    environments = ("dev", "qa", "prod")
    rows = [
        [
            f"{alert.what} (`{alert.key}`)",
            alert.target,
            _signal(alert).replace("|", "\\|"),
            *(f"> {alert.defaults.of(env):,} {alert.unit}" for env in environments),
            alert.why,
        ]
        for alert in CATALOGUE
    ]
    header = ["alert (`mlops:alerts.thresholds` key)", "on each", "signal", *environments, "why"]
    return "\n".join(markdown_table(header, rows))


# How the table names what the stack output fills in per cluster.
_OWNER_FIELDS: Final = {
    "cluster": "`<cluster>`",
    "group": "`<cluster's resource group>`",
    "namespace": "`<namespace>`",
    "instance_types": "`<instanceTypes>`",
    "tls_secret": "`<extension.tls.secret>`",
    "tls_host": "`<extension.tls.hostName>`",
}


def _owner_text(text: str) -> str:
    escaped = text.replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
    return escaped.format(**_OWNER_FIELDS)


def owner_table() -> str:
    """A cluster's side: who does each step, per ``manage``."""
    rows = []
    for step in STEPS:
        managed = "this stack" if step.managed is None else _owner_text(step.managed)
        managed = "the same" if step.managed == step.elsewhere else managed
        only = " (where `instanceTypes` lists any)" if step.instance_types_only else ""
        page = step.source.rsplit("/", 1)[-1]
        rows.append(
            [step.what, _owner_text(step.elsewhere) + only, managed, f"[{page}]({step.source})"]
        )
    header = [
        "step",
        "another team's cluster (`manage: false`): its owner",
        "the team's cluster (`manage: true`)",
        "source",
    ]
    return "\n".join(markdown_table(header, rows))


ENVIRONMENTS: Final = tuple(PROFILES)
WORKSPACE_ENVIRONMENTS: Final = tuple(env for env, p in PROFILES.items() if p.has_workspace)


def _policy_types(rule: ResourceRule) -> str:
    """What a resource policy checks: its resource types (compute by kind), its environments."""
    if rule.resource_types == TAGGABLE:
        return "every taggable resource"
    kinds = sorted(rule.compute_types) or sorted(
        kind.rsplit(":", 1)[-1] for kind in rule.resource_types
    )
    if "Registry" in kinds:  # a container registry's type and an Azure ML registry's share it
        kinds = [kind.split(":", 1)[1] for kind in sorted(rule.resource_types)]
    where = f" ({', '.join(e for e in ENVIRONMENTS if e in rule.environments)})"
    return ", ".join(kinds) + (where if rule.environments else "")


def _policy_cells(rule: ResourceRule | StackRule) -> list[str]:
    """A policy's name, enforcement and severity, as both policy tables start."""
    return [f"`{rule.name}`", rule.enforcement_level.value, rule.severity.value]


def resource_policy_table() -> str:
    """The policy pack's resource policies, as the pack declares them."""
    rows = [
        [*_policy_cells(rule), _policy_types(rule), rule.description] for rule in RESOURCE_RULES
    ]
    return "\n".join(markdown_table(["Policy", "Enforcement", "Severity", "Checks", "Rule"], rows))


def stack_policy_table() -> str:
    """The policy pack's stack policies, as the pack declares them."""
    rows = [[*_policy_cells(rule), rule.description] for rule in STACK_RULES]
    return "\n".join(markdown_table(["Policy", "Enforcement", "Severity", "Rule"], rows))


# Each row of the environment profile in a reader's words (settings/profiles.py says why);
# a row added there and not here stops `make docs`.
_PROFILE_ROWS: Final = {
    "has_workspace": "an Azure ML workspace, with its storage, Key Vault, logs and endpoints",
    "allows_compute": "compute instances and training clusters allowed",
    "protect": "data-bearing resources protected and delete-locked (`mlops:protect`'s default)",
    "log_retention_days": "log retention (days)",
    "soft_delete_days": "blob and container soft delete (days)",
    "blob_versioning": "blob versioning",
    "zone_redundant_registry": "a created Premium container registry zone redundant",
    "alerts_optional": "alerts may be switched off (`mlops:alerts.enabled: false`)",
    "alert_thresholds": "alert thresholds",
    "monthly_budget": "monthly budget unless `mlops:budget` sets one (billing currency)",
    "shares_models": "models shared from here to the registry",
    "private_inbound": "private inbound required (`mlops:network.inbound: private`)",
    "approved_outbound_only": "approved outbound only required (or the team's firewall)",
    "customer_managed_network": "the team's network may isolate the workspace "
    "(`isolation: customerManaged`)",
    "model_registry_public": "a created model registry public unless config says otherwise",
}


def _profile_value(row: str, value: object) -> str:
    if row == "alert_thresholds":
        return "[per alert](../operations/alerts-and-budgets.md#the-alert-catalogue)"
    if value is None:
        return "required"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:,}" if isinstance(value, int) else str(value)


def profile_table() -> str:
    """The environment profiles, one row per difference."""
    rows = [
        [
            f"{_PROFILE_ROWS[row.name]} (`{row.name}`)",
            *(_profile_value(row.name, getattr(PROFILES[env], row.name)) for env in ENVIRONMENTS),
        ]
        for row in fields(EnvironmentProfile)
    ]
    return "\n".join(markdown_table(["`settings/profiles.py`", *ENVIRONMENTS], rows))


# What an environment adds to its workspace in the overview, where its profile says so.
_ADDS: Final = (
    ("allows_compute", "compute instances, training clusters"),
    ("private_inbound", "private endpoints only"),
    ("approved_outbound_only", "approved outbound only"),
    ("protect", "protected, delete locks"),
)


def overview() -> str:
    """The picture of what the program builds, from the environment profiles: models go from
    the environment that shares them through the shared stack's registry to the others."""
    lines = [
        "```mermaid",
        "flowchart TB",
        '  subgraph shared["shared stack"]',
        '    registry[("Azure ML registry<br/>protected, locked")]',
        "  end",
    ]
    for env in WORKSPACE_ENVIRONMENTS:
        adds = [words for row, words in _ADDS if getattr(PROFILES[env], row)]
        lines += [
            f'  subgraph {env}["{env}"]',
            "    direction LR",
            f'    {env}_workspace["Azure ML workspace"]',
            f'    {env}_dependencies["Key Vault · storage account<br/>container registry<br/>'
            'Application Insights · Log Analytics"]',
            f'    {env}_adds["{"<br/>".join(adds)}"]',
            "  end",
        ]
    for env in WORKSPACE_ENVIRONMENTS:
        if PROFILES[env].shares_models:
            lines.append(f'  {env} -- "shares models" --> shared')
        else:
            lines.append(f'  shared -- "deploys models" --> {env}')
    return "\n".join([*lines, "```"])


# What the diff excerpt changes in dev's stack file (None: the key removed): a storage
# redundancy Azure updates in place, and the managed network turned off, which Azure refuses.
DIFF_EXAMPLE: Final = {
    "mlops:storage": {"replication": "ZRS"},
    "mlops:network": {"isolation": "disabled", "clientIpRanges": None},
}
DIFF_BASE: Final = "origin/main"
# What the policy excerpt changes in prod's stack file: a mandatory policy's violation.
POLICY_EXAMPLE: Final = {"mlops:protect": False}


@functools.cache
def _run(stack: str, changes: str = "{}") -> ProgramRun:
    """A repository stack under the mock engine, with ``changes`` (JSON: a key → a map merged
    over the stack file's, None removing one of its keys, or a value replacing it) applied."""
    from offline import preview  # noqa: PLC0415 (it runs the program: only make docs needs it)

    config, secret_keys = preview.load_stack_config(stack)
    for key, change in json.loads(changes).items():
        merged = {**json.loads(config[key]), **change} if isinstance(change, dict) else change
        if isinstance(merged, dict):
            merged = {name: value for name, value in merged.items() if value is not None}
        config[key] = json.dumps(merged)
    return preview.run_stack(stack, config=config, secret_keys=secret_keys)


def _preview_text(stack: str, changes: Mapping[str, Any] | None = None) -> list[str]:
    """What `make preview` prints for the stack, its stack file changed by ``changes``."""
    from offline import preview  # noqa: PLC0415

    run = _run(stack, json.dumps(changes or {}))
    text = preview.render_text(preview.Plan(run), preview.check(run), preview.evaluate(run))
    return text.splitlines()


def _dev_diff() -> list[str]:
    """What `make preview BASE=...` prints after ``DIFF_EXAMPLE``'s edit of dev's stack file."""
    from offline import preview  # noqa: PLC0415

    run = _run("dev", json.dumps(DIFF_EXAMPLE))
    diff = preview.diff_plans(preview.Plan(_run("dev")), preview.Plan(run))
    text = preview.render_diff(diff, DIFF_BASE, "text", preview.check(run), preview.evaluate(run))
    return text.splitlines()


# A resource's line in the plan's tree has its operation (+, ~, -) within these first columns,
# after a space; the lines under it that leave them blank are its summary.
TREE_COLUMN: Final = 4


def _resource_line(line: str) -> bool:
    return line.startswith(" ") and bool(line[:TREE_COLUMN].strip())


def _resource_name(line: str) -> str:
    """The logical name on a resource's line: after the tree's branches and the type."""
    return line[TREE_COLUMN:].lstrip(" │├└─").split(" ", 1)[-1].lstrip().split(" ", 1)[0]


def _summary_line(line: str) -> bool:
    return line.startswith(" " * TREE_COLUMN) and bool(line.strip())


def _excerpt(lines: Sequence[str], kept: Sequence[bool]) -> str:
    """The kept lines; a run of left-out lines is marked `...` (a blank one stays blank), in
    the tree at its names' column, elsewhere at the next kept line's indent."""
    shown: list[str] = []
    left_out: list[str] = []
    for index, line in enumerate(lines):
        if not kept[index]:
            left_out.append(line)
            continue
        if shown and any(gone.strip() for gone in left_out):
            indent = TREE_COLUMN + 1 if _resource_line(line) else len(line) - len(line.lstrip())
            shown.append(" " * indent + "...")
        elif shown and left_out:
            shown.append("")
        shown.append(line)
        left_out = []
    return "\n".join(shown)


def _section(lines: Sequence[str], head: str, length: int) -> set[int]:
    """The line that starts with ``head`` and the ``length - 1`` lines after it."""
    start = next(i for i, line in enumerate(lines) if line.startswith(head))
    return set(range(start, start + length))


def plan_summary() -> str:
    """What `make preview` ends with for dev: what it creates, the policies, the journeys."""
    lines = _preview_text("dev")
    kept = _section(lines, "Resources:", 2) | _section(lines, "Policies (", 1)
    kept |= _section(lines, "Journeys:", 1)
    return "\n".join(["```text", _excerpt(lines, [i in kept for i in range(len(lines))]), "```"])


# The resources the excerpt of dev's plan shows, each with its summary lines.
EXCERPT_RESOURCES: Final = ("ml-storage", "ml-workspace", "dev-compute-cluster-gpu-cluster")
EXCERPT_OUTPUTS: Final = ("storageAccountName", "workspaceId", "workspaceName")


def plan_excerpt() -> str:
    """An excerpt of `make preview` for dev: the tree's top, a few resources, the summaries."""
    lines = _preview_text("dev")
    tree = next(i for i, line in enumerate(lines) if line.lstrip().startswith("Type "))
    kept = set(range(tree, tree + 4))
    for index, line in enumerate(lines):
        if _resource_line(line) and _resource_name(line) in EXCERPT_RESOURCES:
            kept.add(index)
            details = index + 1
            while details < len(lines) and _summary_line(lines[details]):
                kept.add(details)
                details += 1
    kept |= _section(lines, "Resources:", 2) | _section(lines, "Critical path", 2)
    kept |= _section(lines, "Outputs:", 1)
    kept |= {i for i, line in enumerate(lines) if line.split(":")[0].strip() in EXCERPT_OUTPUTS}
    kept |= _section(lines, "Policies (", 1) | _section(lines, "Journeys:", 1)
    return "\n".join(["```text", _excerpt(lines, [i in kept for i in range(len(lines))]), "```"])


# The resources the diff excerpt shows, each with its updates and refusals (not its removals).
DIFF_RESOURCES: Final = ("ml-storage", "ml-workspace")


def diff_excerpt() -> str:
    """An excerpt of what `make preview BASE=...` prints for ``DIFF_EXAMPLE``."""
    lines = _dev_diff()
    kept = set(range(next(i for i, line in enumerate(lines) if "Name (physical name)" in line)))
    kept.add(max(kept) + 1)
    shown = False
    for index, line in enumerate(lines):
        if _resource_line(line):
            shown = _resource_name(line) in DIFF_RESOURCES
            kept |= {index} if shown else set()
        elif shown and _summary_line(line) and line.lstrip()[:1] in ("~", "!"):
            kept.add(index)
    start = next(i for i, line in enumerate(lines) if line.startswith("Resources:"))
    end = next(i for i in range(start, len(lines)) if " unchanged" in lines[i])
    kept |= set(range(start, end + 1))
    return "\n".join(["```text", _excerpt(lines, [i in kept for i in range(len(lines))]), "```"])


def cost_excerpt() -> str:
    """The compute upper bound `make preview` prints for dev, against its budget."""
    lines = _preview_text("dev")
    start = next(i for i, line in enumerate(lines) if line.startswith("Compute upper bound"))
    end = next(i for i in range(start, len(lines)) if not lines[i].strip())
    return "\n".join(["```text", *lines[start:end], "```"])


def journeys_excerpt() -> str:
    """What `--journeys` prints for dev: the first journey hop by hop, and the first one that
    does not apply there."""
    from offline import journeys  # noqa: PLC0415 (it runs the program: only make docs needs it)

    lines = journeys.lines(journeys.evaluate(_run("dev")))
    second = next(i for i, line in enumerate(lines) if i > 1 and line[2:3] in ("✓", "✗", "-"))
    skipped = next(i for i, line in enumerate(lines) if line.startswith("  - "))
    kept = set(range(second)) | {skipped, skipped + 1}
    return "\n".join(["```text", _excerpt(lines, [i in kept for i in range(len(lines))]), "```"])


def policy_excerpt() -> str:
    """The policy results `make preview` prints for ``POLICY_EXAMPLE``'s prod: the summary and
    the first violation."""
    lines = _preview_text("prod", POLICY_EXAMPLE)
    start = next(i for i, line in enumerate(lines) if line.startswith("Policies ("))
    return "\n".join(["```text", *lines[start : start + 3], "      ...", "```"])


@dataclass(frozen=True)
class Block:
    """A generated part of a page: what lies between its two markers is ``generate()``."""

    path: Path
    name: str
    source: str
    generate: Callable[[], str]

    @property
    def begin(self) -> str:
        return f"<!-- {self.name}:begin (generated by `make docs` from {self.source}) -->"

    @property
    def end(self) -> str:
        return f"<!-- {self.name}:end -->"

    def placed_in(self, text: str) -> str:
        head, found, rest = text.partition(self.begin)
        _, ended, tail = rest.partition(self.end)
        if not (found and ended):
            raise SystemExit(
                f"{self.path}: the markers {self.begin!r} and {self.end!r} are missing"
            )
        return f"{head}{self.begin}\n\n{self.generate()}\n\n{self.end}{tail}"


# Every generated block, on the page that holds it.
BLOCKS: Final = (
    Block(DOCS / "reference.md", "config-reference", "settings/schema.py", reference),
    Block(DOCS / "operations" / "alerts-and-budgets.md", "alert-catalogue", "settings/alerts.py",
          alert_table),
    Block(DOCS / "concepts" / "aks-serving.md", "kubernetes-owner", "settings/kubernetes.py",
          owner_table),
    Block(DOCS / "delivery" / "bootstrap.md", "pipeline-access", "the bootstrap",
          pipeline_access.table),
    Block(DOCS / "security.md", "resource-policies", "policy/mlops_policy", resource_policy_table),
    Block(DOCS / "security.md", "stack-policies", "policy/mlops_policy", stack_policy_table),
    Block(DOCS / "concepts" / "environments.md", "environment-profiles", "settings/profiles.py",
          profile_table),
    Block(README, "overview", "settings/profiles.py", overview),
    Block(DOCS / "index.md", "overview", "settings/profiles.py", overview),
    Block(README, "plan-summary", "Pulumi.dev.yaml", plan_summary),
    Block(DOCS / "operations" / "alerts-and-budgets.md", "cost-excerpt", "Pulumi.dev.yaml",
          cost_excerpt),
    Block(DOCS / "concepts" / "journeys.md", "journeys-excerpt", "Pulumi.dev.yaml",
          journeys_excerpt),
    Block(DOCS / "preview.md", "plan-excerpt", "Pulumi.dev.yaml", plan_excerpt),
    Block(DOCS / "preview.md", "policy-excerpt", "Pulumi.prod.yaml and POLICY_EXAMPLE",
          policy_excerpt),
    Block(DOCS / "preview.md", "diff-excerpt", "Pulumi.dev.yaml and DIFF_EXAMPLE", diff_excerpt),
)  # fmt: skip


def outputs(blocks: Sequence[Block]) -> dict[Path, str]:
    """Every generated file with the text it should hold."""
    texts = {SCHEMA_FILE: json.dumps(stack_file_schema(), indent=2, sort_keys=True) + "\n"}
    for block in blocks:
        text = texts.get(block.path) or block.path.read_text(encoding="utf-8")
        texts[block.path] = block.placed_in(text)
    return texts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Regenerate the stack-config schema and the generated blocks of the docs."
    )
    parser.add_argument("--check", action="store_true", help="fail when a file is stale")
    args = parser.parse_args(argv)
    stale = []
    for path, text in outputs(BLOCKS).items():
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        if args.check:
            stale.append(path.relative_to(ROOT))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print(f"stale: {', '.join(map(str, stale))}; run `make docs`", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
