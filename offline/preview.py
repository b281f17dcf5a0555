"""Offline preview: what a stack would create, without Azure, the Pulumi CLI or a network.

Runs the real ``__main__.py`` with ``Pulumi.<stack>.yaml`` under Pulumi's mock engine and
prints a plan in the spirit of ``pulumi preview``::

    python -m offline.preview                          # stack dev, text
    python -m offline.preview --stack prod --format markdown
    python -m offline.preview --format json            # stable: two runs diff cleanly
    python -m offline.preview --compare qa prod        # what differs between two stacks
    python -m offline.preview --config-file my.yaml    # any stack file, e.g. in tests

Invalid config ends with the settings' errors on stderr and exit status 1, nothing else.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from offline.engine import PROJECT, ROOT, ProgramRun, Resource, run_program, stack_config, stacks
from offline.imports import run_one_shot
from offline.plan import (
    KNOWN_AFTER_APPLY,
    SECRET,
    STACK_TYPE,
    SUFFIX_MARKER,
    Plan,
    redact,
    secret_values,
)
from offline.prices import DATED, SOURCE

FORMATS: Final = ("text", "json", "markdown")
LEGEND: Final = (
    f"{KNOWN_AFTER_APPLY}: only Azure knows the value (resource and principal IDs, URIs, "
    "subscription and tenant). "
    f"{SUFFIX_MARKER}: the stack's random name suffix, fixed by its first `pulumi up` and kept "
    "in state."
)
JSON_SCHEMA_VERSION: Final = 1
# Settings lines wrap at this width (the tree itself is as wide as its longest type).
WRAP: Final = 100


class ConfigError(Exception):
    """The stack's config is invalid (the program's SettingsError), or there is no stack file."""


# -- running a stack ------------------------------------------------------------------------------


def load_stack_config(
    stack: str, config_file: Path | None = None
) -> tuple[dict[str, str], tuple[str, ...]]:
    """Config as the Pulumi CLI would pass it, from ``Pulumi.<stack>.yaml`` or any stack file."""
    if config_file is None:
        path = ROOT / f"Pulumi.{stack}.yaml"
        if not path.is_file():
            known = ", ".join(stacks()) or "none"
            raise ConfigError(f"No stack file Pulumi.{stack}.yaml (stacks: {known})")
        return stack_config(stack)
    if not config_file.is_file():
        raise ConfigError(f"No such config file: {config_file}")
    if config_file.name == f"Pulumi.{stack}.yaml":
        return stack_config(stack, config_file.parent)
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copyfile(config_file, Path(tmp) / f"Pulumi.{stack}.yaml")
        return stack_config(stack, Path(tmp))


def _settings_error(error: BaseException) -> BaseException | None:
    """The program's SettingsError, however Pulumi or runpy wrapped it."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if type(current).__name__ == "SettingsError" and hasattr(current, "problems"):
            return current
        current = current.__cause__ or current.__context__
    return None


def run_stack(
    stack: str,
    config: Mapping[str, str] | None = None,
    secret_keys: Sequence[str] = (),
    config_file: Path | None = None,
) -> ProgramRun:
    """Evaluate the program for a stack; invalid config raises ConfigError (secrets redacted)."""
    if str(ROOT) not in sys.path:  # the program imports its own modules (settings, components)
        sys.path.insert(0, str(ROOT))
    if config is None:
        config, secret_keys = load_stack_config(stack, config_file)
    try:
        return run_program(stack, config=config, secret_keys=secret_keys)
    except Exception as error:
        found = _settings_error(error)
        if found is None:
            raise
        secrets = secret_values(config, secret_keys)
        raise ConfigError(redact(str(found), secrets)) from None


# -- text -----------------------------------------------------------------------------------------


def _tree_prefix(flags: tuple[bool, ...]) -> str:
    """Box-drawing prefix for a node, given is-last flags from the top level down."""
    parts = ["   " if last else "│  " for last in flags[:-1]]
    parts.append("└─ " if flags[-1] else "├─ ")
    return "".join(parts)


def _continuation(flags: tuple[bool, ...], has_children: bool) -> str:
    parts = ["   " if last else "│  " for last in flags]
    parts.append("│  " if has_children else "   ")
    return "".join(parts)


def _resource_label(plan: Plan, resource: Resource) -> str:
    label = resource.name
    physical = plan.physical_name(resource)
    if physical is not None and physical != resource.name:
        label += f" ({physical})"
    options = plan.options(resource)
    if options:
        label += "  [" + "; ".join(options) + "]"
    return label


def _wrap(pairs: Sequence[tuple[str, str]], width: int) -> list[str]:
    """``label: value`` pairs joined with `` · ``, wrapped to ``width`` between pairs."""
    lines: list[str] = []
    current = ""
    for label, value in pairs:
        item = f"{label}: {value}"
        if current and len(current) + 3 + len(item) > width:
            lines.append(current)
            current = item
        else:
            current = f"{current} · {item}" if current else item
    if current:
        lines.append(current)
    return lines


def tree_lines(plan: Plan, *, settings: bool = True) -> list[str]:
    """The resource tree, one line per resource, with its settings on the lines below."""
    rows: list[tuple[str, str, str, list[str]]] = [("", STACK_TYPE, f"{PROJECT}-{plan.stack}", [])]
    for flags, resource in plan.walk():
        details: list[str] = []
        pairs = plan.settings(resource) if settings else []
        if pairs:
            indent = _continuation(flags, bool(plan.children.get(resource.urn)))
            details = [f"{indent}{text}" for text in _wrap(pairs, WRAP - len(indent))]
        rows.append((_tree_prefix(flags), resource.type, _resource_label(plan, resource), details))
    width = max(len(prefix) + len(kind) for prefix, kind, _, _ in rows)
    lines = [f"     {'Type':<{width}}  Name (physical name)"]
    for prefix, kind, label, details in rows:
        lines.append(f" +   {prefix + kind:<{width}}  {label}".rstrip())
        lines += [f"     {detail}".rstrip() for detail in details]
    return lines


def _format_value(value: Any) -> str:
    if isinstance(value, str):
        return value if value in (KNOWN_AFTER_APPLY, SECRET) else json.dumps(value)
    if isinstance(value, Mapping):
        items = ", ".join(f"{json.dumps(k)}: {_format_value(v)}" for k, v in value.items())  # pyright: ignore[reportUnknownVariableType]
        return "{" + items + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_format_value(v) for v in value) + "]"  # pyright: ignore[reportUnknownVariableType]
    return json.dumps(value)


def cost_summary(plan: Plan) -> dict[str, Any] | None:
    """The compute the stack can scale to in a month: node-hours, and an estimate in USD."""
    bounds = plan.cost_bounds()
    if not bounds:
        return None
    priced = [bound.estimate for _, bound in bounds if bound.estimate is not None]
    return {
        "nodeHours": sum(bound.node_hours for _, bound in bounds),
        "estimateUsd": round(sum(priced)) if priced else None,
        "priced": len(priced),
        "resources": len(bounds),
        "unpriced": sorted({b.vm_size for _, b in bounds if b.estimate is None}),
        "prices": {"source": SOURCE, "dated": DATED},
    }


def cost_lines(plan: Plan) -> list[str]:
    cost = cost_summary(plan)
    if cost is None:
        return []
    line = f"{cost['nodeHours']:,} node-hours/month"
    if cost["estimateUsd"] is not None:
        line += (
            f"; estimate ≤ ${cost['estimateUsd']:,}/month for {cost['priced']} of "
            f"{cost['resources']} ({SOURCE}, {DATED})"
        )
    if cost["unpriced"]:
        line += f"; not in the price table: {', '.join(cost['unpriced'])}"
    return [
        "Compute upper bound (clusters at their most nodes, instances running, all month):",
        f"    {line}",
    ]


def summary_lines(plan: Plan) -> list[str]:
    total = plan.custom_count + plan.component_count + 1
    lines = [
        "Resources:",
        f"    + {total} to create ({plan.custom_count} resources, "
        f"{plan.component_count} components, 1 stack)",
        "",
    ]
    counts = plan.counts()
    width = max((len(str(n)) for _, n in counts), default=1)
    lines += [f"    {n:>{width}}  {kind}" for kind, n in counts]
    chain = plan.critical_chain()
    cost = cost_lines(plan)
    lines += ["", *cost] if cost else []
    lines += [
        "",
        f"Critical path: {len(chain)} resources, each created only after the one before "
        "(it bounds how long `pulumi up` takes):",
        "    " + " → ".join(r.name for r in chain),
    ]
    return lines


def output_lines(plan: Plan) -> list[str]:
    outputs = plan.outputs()
    if not outputs:
        return ["Outputs: none"]
    width = max(len(key) for key in outputs)
    return ["Outputs:"] + [
        f"    {key:<{width}}: {_format_value(value)}" for key, value in outputs.items()
    ]


def _config_line(plan: Plan) -> list[str]:
    keys, secrets = len(plan.run.config), sorted(plan.run.secret_keys)
    if not secrets:
        return [f"Config: {keys} keys, none secret"]
    return [f"Config: {keys} keys, {len(secrets)} secret:"] + [
        f"    {key}: {SECRET}" for key in secrets
    ]


def render_text(plan: Plan) -> str:
    lines = [
        f"Previewing stack {plan.stack} offline: Pulumi's mock engine, no Pulumi CLI, "
        "no Azure login, no network",
        "",
        *_config_line(plan),
        "",
        *tree_lines(plan),
        "",
        *summary_lines(plan),
        "",
        *output_lines(plan),
        "",
        LEGEND,
    ]
    return "\n".join(lines) + "\n"


# -- json -----------------------------------------------------------------------------------------


def plan_data(plan: Plan) -> dict[str, Any]:
    """Everything the plan says, JSON-ready and in a stable order."""
    resources = []
    for resource in sorted(plan.run.resources, key=lambda r: r.urn):
        entry: dict[str, Any] = {
            "urn": resource.urn,
            "type": resource.type,
            "name": resource.name,
            "custom": resource.custom,
            "parent": resource.parent or None,
        }
        if resource.custom:
            entry["physicalName"] = plan.physical_name(resource)
            entry["inputs"] = plan.values.render(resource.inputs)
            entry["settings"] = dict(plan.settings(resource))
        entry["options"] = {
            "protect": resource.protect,
            "retainOnDelete": resource.retain_on_delete,
            "deleteBeforeReplace": resource.delete_before_replace,
            "ignoreChanges": sorted(resource.ignore_changes),
            "replaceOnChanges": sorted(resource.replace_on_changes),
            "dependsOn": sorted(resource.depends_on),
        }
        entry["dependencies"] = sorted(set(resource.dependencies))
        entry["propertyDependencies"] = {
            key: sorted(set(urns))
            for key, urns in sorted(resource.property_dependencies.items())
            if urns
        }
        resources.append(entry)
    return {
        "version": JSON_SCHEMA_VERSION,
        "stack": plan.stack,
        "engine": "offline: Pulumi mock engine",
        "markers": {
            "knownAfterApply": KNOWN_AFTER_APPLY,
            "suffix": SUFFIX_MARKER,
            "secret": SECRET,
        },
        "config": plan.config(),
        "summary": {
            "toCreate": plan.custom_count + plan.component_count + 1,
            "resources": plan.custom_count,
            "components": plan.component_count,
            "byType": dict(sorted(plan.counts())),
            "criticalPath": [r.urn for r in plan.critical_chain()],
            "computeUpperBound": cost_summary(plan),
        },
        "resources": resources,
        "outputs": plan.outputs(),
    }


def _dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_json(plan: Plan) -> str:
    return _dumps(plan_data(plan))


# -- markdown -------------------------------------------------------------------------------------


def _code(text: str) -> str:
    """Inline code that survives any content (markdown table cells included)."""
    text = text.replace("|", "\\|").replace("\n", " ")
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _md_value(value: Any) -> str:
    if value in (KNOWN_AFTER_APPLY, SECRET):
        return f"*{value}*"
    return _code(_format_value(value))


def render_markdown(plan: Plan) -> str:
    chain = plan.critical_chain()
    total = plan.custom_count + plan.component_count + 1
    lines = [
        f"### Offline preview: stack `{plan.stack}`",
        "",
        f"**+ {total} to create**: {plan.custom_count} resources in "
        f"{plan.component_count} components. "
        f"**Critical path: {len(chain)} resources** created one after another: "
        + " → ".join(_code(r.name) for r in chain)
        + ".",
        "",
        "<details open><summary>Resources</summary>",
        "",
        "```text",
        *tree_lines(plan),
        "```",
        "",
        "</details>",
        "",
        "| Resource type | Count |",
        "|---|--:|",
        *(f"| {_code(kind)} | {n} |" for kind, n in plan.counts()),
        "",
    ]
    cost = cost_lines(plan)
    if cost:
        lines += [f"**{cost[0].rstrip(':')}**: {cost[1].strip()}.", ""]
    outputs = plan.outputs()
    if outputs:
        lines += ["| Output | Value |", "|---|---|"]
        lines += [f"| {_code(key)} | {_md_value(value)} |" for key, value in outputs.items()]
        lines.append("")
    if plan.run.secret_keys:
        secret = ", ".join(_code(k) for k in sorted(plan.run.secret_keys))
        lines += [f"Secret config (shown as {SECRET}): {secret}", ""]
    lines += [
        "<sub>Pulumi mock engine, no Azure calls. "
        + LEGEND.replace(SUFFIX_MARKER, f"`{SUFFIX_MARKER}`").replace("`pulumi up`", "pulumi up")
        + "</sub>",
    ]
    return "\n".join(lines) + "\n"


def render(plan: Plan, fmt: str) -> str:
    if fmt == "json":
        return render_json(plan)
    if fmt == "markdown":
        return render_markdown(plan)
    return render_text(plan)


# -- compare --------------------------------------------------------------------------------------


def _key(resource: Resource) -> tuple[str, str]:
    return resource.type, resource.name


def _comparable(plan: Plan, resource: Resource) -> dict[str, str]:
    """Settings and options by label (labels made unique within the resource)."""
    found: dict[str, str] = {}
    for label, value in plan.settings(resource):
        unique, n = label, 2
        while unique in found:
            unique, n = f"{label} #{n}", n + 1
        found[unique] = value
    found["protect"] = "true" if resource.protect else "false"
    found["retainOnDelete"] = "true" if resource.retain_on_delete else "false"
    found["ignoreChanges"] = ", ".join(sorted(resource.ignore_changes)) or "-"
    return found


def compare_data(left: Plan, right: Plan) -> dict[str, Any]:
    a = {_key(r): r for r in left.run.resources}
    b = {_key(r): r for r in right.run.resources}

    def listing(keys: set[tuple[str, str]]) -> list[dict[str, str]]:
        return [{"type": t, "name": n} for t, n in sorted(keys)]

    differences: list[dict[str, Any]] = []
    for key in sorted(a.keys() & b.keys()):
        before, after = _comparable(left, a[key]), _comparable(right, b[key])
        changed = {
            label: {left.stack: before.get(label, "-"), right.stack: after.get(label, "-")}
            for label in sorted(before.keys() | after.keys())
            if before.get(label) != after.get(label)
        }
        if changed:
            differences.append({"type": key[0], "name": key[1], "settings": changed})
    return {
        "stacks": [left.stack, right.stack],
        "onlyIn": {
            left.stack: listing(a.keys() - b.keys()),
            right.stack: listing(b.keys() - a.keys()),
        },
        "differences": differences,
        "resources": {left.stack: left.custom_count, right.stack: right.custom_count},
    }


def _compare_text(data: dict[str, Any]) -> str:
    left, right = data["stacks"]
    lines = [f"Comparing stacks {left} → {right} offline (Pulumi mock engine, no Azure)", ""]
    for stack, sign in ((left, "-"), (right, "+")):
        only = data["onlyIn"][stack]
        lines.append(f"Only in {stack} ({len(only)}):" if only else f"Only in {stack}: none")
        lines += [f"    {sign} {item['type']}  {item['name']}" for item in only]
        lines.append("")
    diffs = data["differences"]
    lines.append(
        f"Settings that differ ({len(diffs)} resources):" if diffs else "Settings that differ: none"
    )
    for diff in diffs:
        lines.append(f"    ~ {diff['type']}  {diff['name']}")
        width = max(len(label) for label in diff["settings"])
        for label, values in diff["settings"].items():
            lines.append(f"        {label:<{width}}  {values[left]}  →  {values[right]}")
    counts = data["resources"]
    lines += ["", f"Resources (components aside): {left} {counts[left]}, {right} {counts[right]}"]
    return "\n".join(lines) + "\n"


def _compare_markdown(data: dict[str, Any]) -> str:
    left, right = data["stacks"]
    lines = [f"### Offline comparison: `{left}` → `{right}`", ""]
    for stack in (left, right):
        only = data["onlyIn"][stack]
        lines.append(f"**Only in `{stack}`** ({len(only)})" + (":" if only else ": none"))
        lines += [f"- {_code(item['type'])} {_code(item['name'])}" for item in only]
        lines.append("")
    diffs = data["differences"]
    if diffs:
        lines += [f"| Resource | Setting | `{left}` | `{right}` |", "|---|---|---|---|"]
        for diff in diffs:
            for label, values in diff["settings"].items():
                lines.append(
                    f"| {_code(diff['name'])} | {label} | {_code(values[left])} "
                    f"| {_code(values[right])} |"
                )
    else:
        lines.append("No settings differ.")
    return "\n".join(lines) + "\n"


def render_compare(left: Plan, right: Plan, fmt: str) -> str:
    data = compare_data(left, right)
    if fmt == "json":
        return _dumps(data)
    if fmt == "markdown":
        return _compare_markdown(data)
    return _compare_text(data)


# -- command line ---------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m offline.preview",
        description="Preview what a stack would create, offline: no Azure, no Pulumi CLI.",
    )
    parser.add_argument("--stack", help="stack name (default: dev, or from --config-file)")
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument(
        "--config-file",
        type=Path,
        help="a Pulumi.<stack>.yaml-style file to use instead of the stack's own",
    )
    parser.add_argument(
        "--compare",
        nargs=2,
        metavar=("STACK_A", "STACK_B"),
        help="show what differs between two stacks instead",
    )
    return parser


def _stack_name(stack: str | None, config_file: Path | None) -> str:
    if stack:
        return stack
    if config_file is not None:
        name = config_file.name
        if name.startswith("Pulumi.") and name.endswith(".yaml") and name.count(".") == 2:
            return name[len("Pulumi.") : -len(".yaml")]
    return "dev"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.compare:
            left, right = (Plan(run_stack(stack)) for stack in args.compare)
            output = render_compare(left, right, args.format)
        else:
            stack = _stack_name(args.stack, args.config_file)
            output = render(Plan(run_stack(stack, config_file=args.config_file)), args.format)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 1
    sys.stdout.write(output)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    run_one_shot(main)
