"""Offline preview: what a stack would create, without Azure, the Pulumi CLI or a network.

Runs the real ``__main__.py`` with ``Pulumi.<stack>.yaml`` under Pulumi's mock engine and
prints a plan in the spirit of ``pulumi preview``::

    python -m offline.preview                          # stack dev, text
    python -m offline.preview --stack prod --format markdown
    python -m offline.preview --stack qa --format svg  # its architecture diagram (make diagram)
    python -m offline.preview --format json            # stable: two runs diff cleanly
    python -m offline.preview --compare qa prod        # what differs between two stacks
    python -m offline.preview --config-file my.yaml    # any stack file, e.g. in tests
    python -m offline.preview --base origin/main       # what a change does: the reviewer's diff
    python -m offline.preview --stack qa --journeys    # each workflow, hop by hop
    python -m offline.preview --environment-file mlops/dev=../esc/dev.yaml   # its ESC environment

Every run also runs the policy pack (``policy/``) as ``pulumi preview --policy-pack policy``
would, and evaluates the journeys (``offline.journeys``). Exit status 1: invalid config or stack
file (the errors alone on stderr, nothing else), an unusable ``--base``, a mandatory policy
violation or a broken journey the stack does not switch off (the preview is printed, with it).
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final

from offline import esc, svg
from offline.diff import SYMBOLS, Change, Diff, Op, compare_properties, diff_plans
from offline.engine import (
    PROJECT,
    ROOT,
    SECRET_PLACEHOLDER,
    ProgramRun,
    Resource,
    file_config,
    run_program,
    settings_error,
    stack_config,
    stacks,
)
from offline.imports import run_one_shot
from offline.journeys import JourneyReport, evaluate
from offline.journeys import data as journey_data
from offline.journeys import lines as journey_lines
from offline.journeys import markdown as journey_markdown
from offline.plan import (
    KNOWN_AFTER_APPLY,
    SECRET,
    STACK_TYPE,
    SUFFIX_MARKER,
    Plan,
)
from offline.policies import POLICY_COUNT, PolicyReport, Violation, check
from offline.prices import FALLBACK_REGION, Source
from offline.references import ReferenceError, used
from offline.resource_types import AzureMock, JourneyPart, resource_type
from offline.revision import RevisionError, run_at
from offline.stack_file import StackFileError
from settings.loader import CONFIG_KEYS, SettingsError, load
from settings.placeholders import Placeholder
from settings.placeholders import find as find_placeholders
from settings.secrets import Unreadable, redact, secret_strings, unreadable
from settings.shared_stack import SharedStackError

# The plan's formats; "svg" draws the stack's architecture instead (render_svg).
FORMATS: Final = ("text", "json", "markdown")
SVG: Final = "svg"
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


# What ends a run with status 1 and its message alone on stderr.
FAILURES: Final = (ConfigError, StackFileError, RevisionError, ReferenceError, svg.SvgError)


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
    return file_config(config_file)


def environment_config(
    stack: str,
    config_file: Path | None = None,
    environment_files: Mapping[str, Path] | None = None,
) -> esc.Resolved:
    """Config as the Pulumi CLI would pass it: the stack file's over the ``pulumiConfig`` of the
    ESC environments it imports, each read from its local copy in ``environment_files`` (name →
    path; ``offline.esc``). Without one, the stack file's alone, and the notice says so."""
    config, secret_keys = load_stack_config(stack, config_file)
    path = ROOT / f"Pulumi.{stack}.yaml" if config_file is None else config_file
    return esc.resolve(
        path,
        config,
        secret_keys,
        environment_files or {},
        project=PROJECT,
        placeholder=SECRET_PLACEHOLDER,
    )


def run_stack(
    stack: str,
    config: Mapping[str, str] | None = None,
    secret_keys: Sequence[str] = (),
    config_file: Path | None = None,
    environment_files: Mapping[str, Path] | None = None,
) -> ProgramRun:
    """Evaluate the program for a stack; invalid config raises ConfigError (secrets redacted).

    What the stack's ESC environments leave unresolved offline (``environment_config``) is said
    on stderr, and first in the ConfigError's message."""
    if str(ROOT) not in sys.path:  # the program imports its own modules (settings, components)
        sys.path.insert(0, str(ROOT))
    resolved: esc.Resolved | None = None
    if config is None:
        resolved = environment_config(stack, config_file, environment_files)
        config, secret_keys = resolved.values, resolved.secret_keys
    try:
        run = run_program(stack, config=config, secret_keys=secret_keys)
    except Exception as error:
        found = settings_error(error)
        if found is None:
            raise
        secrets = secret_strings(config, secret_keys)
        notes = resolved.explain(getattr(found, "problems", ())) if resolved else []
        raise ConfigError("\n".join([*notes, redact(str(found), secrets)])) from None
    for line in resolved.notice() if resolved else []:
        print(f"{stack}: {line}", file=sys.stderr)
    return run


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
        items = ", ".join(f"{json.dumps(k)}: {_format_value(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_format_value(v) for v in value) + "]"
    return json.dumps(value)


BUDGET_KEY: Final = "mlops:budget.monthlyAmount"
BILLING_CURRENCY: Final = "the subscription's billing currency"


def _budget(plan: Plan) -> dict[str, Any] | None:
    """The stack's monthly budget (``mlops:budget.monthlyAmount``, else its profile's default)."""
    try:
        settings = load(
            plan.run.config, project=PROJECT, stack=plan.stack, secret_keys=plan.run.secret_keys
        )
    except SettingsError:
        return None
    return {
        "monthlyAmount": settings.cost_budget.monthly_amount,
        "key": BUDGET_KEY,
        "fromProfile": settings.budget is None,
        "currency": BILLING_CURRENCY,
    }


def _max_node_keys(plan: Plan) -> list[str]:
    """The ``maxNodes`` keys the stack sets (``mlops:computeClusters[0].maxNodes`` …)."""
    found: list[str] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                if key == "maxNodes":
                    found.append(f"{path}.{key}")
                walk(item, f"{path}.{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]")

    for key, raw in plan.run.config.items():
        if key in plan.run.secret_keys or not key.startswith(f"{PROJECT}:"):
            continue
        try:
            walk(json.loads(raw), key)
        except ValueError:
            continue
    return found


def _over_budget(cost: Mapping[str, Any], budget: Mapping[str, Any] | None, plan: Plan) -> Any:
    """The warning when the upper bound exceeds the monthly budget, else None."""
    estimate = cost["estimateUsd"]
    if budget is None or estimate is None or estimate <= budget["monthlyAmount"]:
        return None
    amount = budget["monthlyAmount"]
    keys = _max_node_keys(plan)
    clusters = ", ".join(keys) if keys else "each compute cluster's maxNodes"
    default = " (the environment profile's default)" if budget["fromProfile"] else ""
    message = (
        f"the compute upper bound, ${estimate:,}/month in USD, exceeds the monthly budget of "
        f"{amount:,}{default} in {BILLING_CURRENCY} (not converted): lower maxNodes "
        f"({clusters}) or raise {BUDGET_KEY}"
    )
    return {
        "estimateUsd": estimate,
        "monthlyAmount": amount,
        "keys": [*keys, BUDGET_KEY],
        "message": message,
    }


def cost_summary(plan: Plan) -> dict[str, Any] | None:
    """The compute the stack can scale to in a month: node-hours, an estimate in USD priced in
    the stack's region, and the monthly budget it is held against."""
    bounds = plan.cost_bounds()
    if not bounds:
        return None
    prices = [(bound, bound.price) for _, bound in bounds]
    priced = [bound.estimate for bound, found in prices if found is not None]
    region = bounds[0][1].region
    fallback = sorted({b.vm_size for b, found in prices if found is not None and found.fallback})
    regions: dict[Source, set[str]] = {}
    for _, found in prices:
        if found is not None:
            regions.setdefault(found.source, set()).add(found.region)
    cost: dict[str, Any] = {
        "nodeHours": sum(bound.node_hours for _, bound in bounds),
        "estimateUsd": round(sum(e for e in priced if e is not None)) if priced else None,
        "priced": len(priced),
        "resources": len(bounds),
        "unpriced": sorted({b.vm_size for b, found in prices if found is None}),
        "region": region,
        "fallback": {"region": FALLBACK_REGION, "sizes": fallback} if fallback else None,
        "prices": [
            {"regions": sorted(where), "source": source.name, "dated": source.dated}
            for source, where in sorted(regions.items(), key=lambda item: sorted(item[1]))
        ],
    }
    budget = _budget(plan)
    cost["budget"] = budget
    cost["overBudget"] = _over_budget(cost, budget, plan)
    return cost


def _priced_where(cost: Mapping[str, Any]) -> str:
    where = f"priced in {cost['region']}"
    fallback = cost["fallback"]
    if fallback:
        where += (
            f"; {', '.join(fallback['sizes'])} at {fallback['region']}'s price "
            f"(no {cost['region']} price in the table)"
        )
    return where


def _prices_text(cost: Mapping[str, Any]) -> str:
    return "; ".join(
        f"{', '.join(p['regions'])}: {p['source']}, {p['dated']}" for p in cost["prices"]
    )


def _budget_text(cost: Mapping[str, Any]) -> str | None:
    budget = cost["budget"]
    if budget is None:
        return None
    default = ", the environment profile's default" if budget["fromProfile"] else ""
    return (
        f"budget {budget['monthlyAmount']:,}/month ({BUDGET_KEY}{default}, in "
        f"{BILLING_CURRENCY}; the estimate is in USD)"
    )


def _bound_text(cost: Mapping[str, Any]) -> str:
    """The bound in one line: node-hours, the estimate where priced, what the table lacks."""
    text = f"{cost['nodeHours']:,} node-hours/month"
    if cost["estimateUsd"] is not None:
        text += (
            f"; estimate ≤ ${cost['estimateUsd']:,}/month for {cost['priced']} of "
            f"{cost['resources']}, {_priced_where(cost)}"
        )
    if cost["unpriced"]:
        text += f"; not in the price table: {', '.join(cost['unpriced'])}"
    return text


def cost_lines(plan: Plan) -> list[str]:
    cost = cost_summary(plan)
    if cost is None:
        return []
    line = _bound_text(cost)
    lines = [
        "Compute upper bound (clusters at their most nodes, instances running, all month):",
        f"    {line}",
    ]
    if cost["prices"]:
        lines.append(f"    prices: {_prices_text(cost)}")
    budget = _budget_text(cost)
    if budget is not None:
        lines.append(f"    {budget}")
    if cost["overBudget"] is not None:
        lines.append(f"    Warning: {cost['overBudget']['message']}.")
    return lines


def cost_markdown(plan: Plan) -> list[str]:
    """The bound as a paragraph, with a warning block when it exceeds the budget."""
    cost = cost_summary(plan)
    if cost is None:
        return []
    text = _bound_text(cost)
    lines = [
        "**Compute upper bound** (clusters at their most nodes, instances running, all month): "
        f"{text}.",
        "",
    ]
    if cost["prices"]:
        lines.insert(-1, f"- Prices: {_prices_text(cost)}.")
    budget = _budget_text(cost)
    if budget is not None:
        lines.insert(-1, f"- {budget[0].upper()}{budget[1:]}.")
    if len(lines) > 2:
        lines.insert(1, "")
    return lines


def budget_warning_markdown(plan: Plan) -> list[str]:
    cost = cost_summary(plan)
    if cost is None or cost["overBudget"] is None:
        return []
    message = cost["overBudget"]["message"]
    return ["> [!WARNING]", f"> {message[0].upper()}{message[1:]}.", ""]


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
    lines = [f"Config: {keys} keys, {len(secrets)} secret:"]
    lines += [f"    {key}: {SECRET}" for key in secrets]
    return lines + [f"    Note: {found}" for found in unreadable_secrets(plan)]


def unreadable_secrets(plan: Plan) -> tuple[Unreadable, ...]:
    """Keys secret as a whole, which the preview cannot read: what stood in for each."""
    return unreadable(plan.run.config, plan.run.secret_keys, CONFIG_KEYS)


def unreadable_data(plan: Plan) -> list[dict[str, Any]]:
    return [
        {"key": found.key, "standIn": found.stand_in, "note": str(found)}
        for found in unreadable_secrets(plan)
    ]


def unreadable_markdown(plan: Plan) -> list[str]:
    return [line for found in unreadable_secrets(plan) for line in ("> [!NOTE]", f"> {found}", "")]


def shared_from(plan: Plan) -> list[dict[str, str]]:
    """What the stack uses and does not manage (the shared model registry, an adopted Key Vault
    or container registry), each with where its ID came from: a stack reference's outputs
    (from the referenced stack's offline run, or its recorded outputs) or config."""
    try:
        settings = load(
            plan.run.config, project=PROJECT, stack=plan.stack, secret_keys=plan.run.secret_keys
        )
        found = used(settings, plan.run.references)
    except (SettingsError, SharedStackError):  # the program's run has said why
        return []
    return [
        {"uses": part, "name": str(plan.values.render(u.id.name)), "from": u.source}
        for part, u in found.items()
    ]


def shared_lines(plan: Plan) -> list[str]:
    """The section, with the blank line after it; none where the stack uses nothing of others."""
    found = shared_from(plan)
    if not found:
        return []
    width = max(len(f["uses"]) for f in found)
    return [
        "Uses, and does not manage:",
        *(f"    {f['uses']:<{width}}: {f['name']} ← {f['from']}" for f in found),
        "",
    ]


# The stack output listing what is done by hand on each attached AKS cluster before it serves
# (settings.kubernetes.STEPS); the preview shows it as a section of its own.
OWNER_ACTIONS: Final = "kubernetesOwnerActions"


def owner_actions(plan: Plan) -> dict[str, list[str]]:
    """Per attached cluster (config name), what its owner does first, in order."""
    found = plan.run.outputs.get(OWNER_ACTIONS)
    if not isinstance(found, Mapping):
        return {}
    return {str(name): [str(a) for a in actions] for name, actions in found.items()}


_OWNER_ACTIONS_TITLE: Final = "done by hand on each attached cluster before it serves"


def owner_action_lines(plan: Plan) -> list[str]:
    lines = [f"Kubernetes clusters, {_OWNER_ACTIONS_TITLE} ({OWNER_ACTIONS}):"]
    for cluster, actions in owner_actions(plan).items():
        lines.append(f"    {cluster}:")
        for number, action in enumerate(actions, 1):
            lines += textwrap.wrap(
                action,
                WRAP,
                initial_indent=f"      {number}. ",
                subsequent_indent=" " * (len(str(number)) + 8),
                break_on_hyphens=False,
            )
    return lines


def owner_action_markdown(plan: Plan) -> list[str]:
    lines = [f"**Kubernetes clusters**, {_OWNER_ACTIONS_TITLE} ({_code(OWNER_ACTIONS)}):", ""]
    for cluster, actions in owner_actions(plan).items():
        lines.append(f"- {_code(cluster)}:")
        lines += [f"  {number}. {action}" for number, action in enumerate(actions, 1)]
    return [*lines, ""]


def placeholders(plan: Plan) -> tuple[Placeholder, ...]:
    """The config values still the example's (``settings.placeholders``), by key path."""
    return find_placeholders(plan.run.config, plan.run.secret_keys)


_PLACEHOLDERS_WARNING: Final = "values still the example's, which `pulumi up` refuses"


def placeholder_lines(plan: Plan) -> list[str]:
    """A warning naming each placeholder key (the exit status is unchanged)."""
    found = placeholders(plan)
    if not found:
        return []
    return [f"Placeholders ({len(found)}), a warning: {_PLACEHOLDERS_WARNING}:"] + [
        f"    {placeholder}" for placeholder in found
    ]


def placeholder_markdown(plan: Plan) -> list[str]:
    found = placeholders(plan)
    if not found:
        return []
    keys = ", ".join(_code(p.key) for p in found)
    # IMPORTANT, not WARNING: a stack must replace them to deploy (WARNING is the budget's).
    return [
        "> [!IMPORTANT]",
        f"> **Placeholders ({len(found)})**: {_PLACEHOLDERS_WARNING}: {keys}.",
        "",
    ]


def policy_lines(report: PolicyReport) -> list[str]:
    """The policy pack's findings: per policy, the config key that fixes it, then each finding."""
    if not report.violations:
        return [f"Policies ({report.pack}): {POLICY_COUNT} policies, no violations"]
    mandatory = len(report.mandatory)
    lines = [
        f"Policies ({report.pack}): {len(report.violations)} violations, {mandatory} mandatory"
        + (" (`pulumi preview --policy-pack policy` fails on them)" if mandatory else "")
    ]
    for policy, found in report.by_policy().items():
        first = found[0]
        advice = f": {first.fix.advice}" if first.fix else ""
        lines.append(f"  x {policy} ({first.level}, {first.severity}){advice}")
        lines += [f"      {violation.message}" for violation in found]
    return lines


def journey_summary(journeys: JourneyReport) -> list[str]:
    """One line: how many journeys hold, and where to see each hop."""
    checked = [r for r in journeys.results if r.hops is not None]
    return [
        f"Journeys: {len(checked)} checked, {len(journeys.broken)} broken "
        "(--journeys shows each hop)"
    ]


def render_text(
    plan: Plan, policies: PolicyReport | None = None, journeys: JourneyReport | None = None
) -> str:
    lines = [
        f"Previewing stack {plan.stack} offline: Pulumi's mock engine, no Pulumi CLI, "
        "no Azure login, no network",
        "",
        *_config_line(plan),
        "",
        *([*placeholder_lines(plan), ""] if placeholders(plan) else []),
        *shared_lines(plan),
        *tree_lines(plan),
        "",
        *summary_lines(plan),
        "",
        *output_lines(plan),
        "",
        *([*owner_action_lines(plan), ""] if owner_actions(plan) else []),
        *([*policy_lines(policies), ""] if policies is not None else []),
        *([*journey_summary(journeys), ""] if journeys is not None else []),
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
        "sharedFrom": shared_from(plan),
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


def policy_data(report: PolicyReport) -> dict[str, Any]:
    return {
        "pack": report.pack,
        "policies": POLICY_COUNT,
        "mandatoryViolations": len(report.mandatory),
        "violations": [_violation_data(v) for v in report.violations],
    }


def _violation_data(violation: Violation) -> dict[str, Any]:
    fix = violation.fix
    return {
        "policy": violation.policy,
        "enforcement": violation.level,
        "severity": violation.severity,
        "urn": violation.urn,
        "message": violation.message,
        "fix": {"key": fix.key, "advice": fix.advice} if fix else None,
    }


def render_json(
    plan: Plan, policies: PolicyReport | None = None, journeys: JourneyReport | None = None
) -> str:
    data = plan_data(plan)
    data["placeholders"] = [{"key": p.key, "why": p.why} for p in placeholders(plan)]
    data["unreadableSecrets"] = unreadable_data(plan)
    if owner_actions(plan):
        data[OWNER_ACTIONS] = owner_actions(plan)
    if policies is not None:
        data["policies"] = policy_data(policies)
    if journeys is not None:
        data["journeys"] = journey_data(journeys)
    return _dumps(data)


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


def policy_markdown(report: PolicyReport) -> list[str]:
    if not report.violations:
        return [f"**Policies** ({_code(report.pack)}): {POLICY_COUNT} policies, no violations.", ""]
    mandatory = len(report.mandatory)
    lines = [
        f"**Policies** ({_code(report.pack)}): **{len(report.violations)} violations, "
        f"{mandatory} mandatory**"
        + (": `pulumi preview --policy-pack policy` fails on them." if mandatory else "."),
        "",
    ]
    for policy, found in report.by_policy().items():
        first = found[0]
        advice = f": {first.fix.advice}" if first.fix else ""
        lines.append(f"- **{policy}** ({first.level}, {first.severity}){advice}")
        lines += [f"  - {violation.message}" for violation in found]
    return [*lines, ""]


def render_markdown(
    plan: Plan, policies: PolicyReport | None = None, journeys: JourneyReport | None = None
) -> str:
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
        *placeholder_markdown(plan),
        *unreadable_markdown(plan),
        *budget_warning_markdown(plan),
        *(policy_markdown(policies) if policies is not None else []),
        *(journey_markdown(journeys) if journeys is not None else []),
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
    lines += cost_markdown(plan)
    shared = shared_from(plan)
    if shared:
        lines += ["| Uses, and does not manage | Name | From |", "|---|---|---|"]
        lines += [f"| {_code(f['uses'])} | {_code(f['name'])} | {f['from']} |" for f in shared]
        lines.append("")
    outputs = plan.outputs()
    if outputs:
        lines += ["| Output | Value |", "|---|---|"]
        lines += [f"| {_code(key)} | {_md_value(value)} |" for key, value in outputs.items()]
        lines.append("")
    if owner_actions(plan):
        lines += owner_action_markdown(plan)
    if plan.run.secret_keys:
        secret = ", ".join(_code(k) for k in sorted(plan.run.secret_keys))
        lines += [f"Secret config (shown as {SECRET}): {secret}", ""]
    lines.append(_MARKDOWN_LEGEND)
    return "\n".join(lines) + "\n"


_MARKDOWN_LEGEND: Final = (
    "<sub>Pulumi mock engine, no Azure calls. "
    + LEGEND.replace(SUFFIX_MARKER, f"`{SUFFIX_MARKER}`").replace("`pulumi up`", "pulumi up")
    + "</sub>"
)


def render(
    plan: Plan,
    fmt: str,
    policies: PolicyReport | None = None,
    journeys: JourneyReport | None = None,
) -> str:
    if fmt == "json":
        return render_json(plan, policies, journeys)
    if fmt == "markdown":
        return render_markdown(plan, policies, journeys)
    if fmt == SVG:
        return render_svg(plan)
    return render_text(plan, policies, journeys)


def render_svg(plan: Plan) -> str:
    """The stack's architecture diagram, docs/architecture.md's, as a standalone SVG rendered by
    Mermaid in headless Chromium (offline/svg.py, which imports Playwright for this alone)."""
    from offline.diagram import mermaid  # noqa: PLC0415 (it imports this module)

    return svg.render(mermaid(plan))


# -- the reviewer's diff --------------------------------------------------------------------------


def _shown(value: str | None) -> str:
    return "(unset)" if value is None else value


def _change_label(diff: Diff, change: Change) -> str:
    plan = diff.before if change.op is Op.DELETE else diff.after
    label = _resource_label(plan, change.resource) if plan is not None else change.resource.name
    if change.replaced_by:
        label += "  [replace: " + ", ".join(change.replaced_by) + "]"
    return label


def _detail_lines(diff: Diff, change: Change) -> list[str]:
    """What changes in a resource, one line each (the settings of a created one)."""
    lines: list[str] = []
    if change.moved_from:
        lines.append(f"moved: was {change.moved_from}")
    if change.op is Op.CREATE:
        pairs = diff.after.settings(change.resource)
        lines += _wrap(pairs, WRAP - 9) if pairs else []
    for prop in change.properties:
        note = "  (forces replacement)" if prop.replaces else ""
        if prop.before is None:
            lines.append(f"+ {prop.path}: {_shown(prop.after)}{note}")
        elif prop.after is None:
            lines.append(f"- {prop.path}: {_shown(prop.before)}{note}")
        else:
            lines.append(f"~ {prop.path}: {prop.before} → {prop.after}{note}")
    lines += [f"~ option {o.name}: {o.before} → {o.after}" for o in change.options]
    lines += [f"! {r.by} refuses: {r.reason}" for r in change.refusals]
    return lines


def diff_lines(diff: Diff) -> list[str]:
    """The resources that change, pulumi-style, with what changes in each."""
    shown = [change for change in diff.changes if change.noteworthy]
    if not shown:
        return ["No resource changes."]
    width = max(len(change.resource.type) for change in shown)
    lines = [f"     {'Type':<{width}}  Name (physical name)"]
    for change in shown:
        symbol = SYMBOLS[change.op]
        label = _change_label(diff, change)
        lines.append(f" {symbol:<3} {change.resource.type:<{width}}  {label}".rstrip())
        lines += [f"         {detail}" for detail in _detail_lines(diff, change)]
    return lines


def refusal_lines(diff: Diff) -> list[str]:
    found = diff.refusals
    if not found:
        return []
    lines = [f"{len(found)} change{'s' if len(found) != 1 else ''} `pulumi up` would not make:"]
    lines += [
        f"    {change.resource.name}: {refusal.by} refuses: {refusal.reason}"
        for change, refusal in found
    ]
    return lines


def _against(diff: Diff, base: str) -> str:
    if diff.new_stack:
        return f"stack {diff.stack}, new since {base} (everything is created)"
    return f"changes to stack {diff.stack} against {base}"


def render_diff_text(
    diff: Diff,
    base: str,
    policies: PolicyReport | None = None,
    journeys: JourneyReport | None = None,
) -> str:
    lines = [
        f"Previewing {_against(diff, base)}, offline: Pulumi's mock engine, no Pulumi CLI, "
        "no Azure login, no network",
        "",
        *diff_lines(diff),
        "",
        "Resources:",
        *(f"    {line}" for line in diff.summary_lines()),
        "",
        *([*refusal_lines(diff), ""] if diff.refusals else []),
        *(f"Note: {found}\n" for found in unreadable_secrets(diff.after)),
        *([*policy_lines(policies), ""] if policies is not None else []),
        *([*journey_summary(journeys), ""] if journeys is not None else []),
        "Values as Pulumi shows them before `pulumi up`: " + LEGEND,
    ]
    return "\n".join(lines) + "\n"


def diff_data(
    diff: Diff,
    base: str,
    policies: PolicyReport | None = None,
    journeys: JourneyReport | None = None,
) -> dict[str, Any]:
    def change_data(change: Change) -> dict[str, Any]:
        return {
            "op": change.op.value,
            "urn": change.resource.urn,
            "type": change.resource.type,
            "name": change.resource.name,
            "movedFrom": change.moved_from,
            "replacedBy": list(change.replaced_by),
            "properties": [
                {"path": p.path, "before": p.before, "after": p.after, "replaces": p.replaces}
                for p in change.properties
            ],
            "options": [
                {"name": o.name, "before": o.before, "after": o.after} for o in change.options
            ],
            "refusals": [{"by": r.by, "reason": r.reason} for r in change.refusals],
        }

    data: dict[str, Any] = {
        "version": JSON_SCHEMA_VERSION,
        "stack": diff.stack,
        "base": base,
        "newStack": diff.new_stack,
        "engine": "offline: Pulumi mock engine",
        "summary": {op.value: diff.count(op) for op in Op},
        "changes": [change_data(c) for c in diff.changes if c.noteworthy],
        "plan": plan_data(diff.after),
        "unreadableSecrets": unreadable_data(diff.after),
    }
    if policies is not None:
        data["policies"] = policy_data(policies)
    if journeys is not None:
        data["journeys"] = journey_data(journeys)
    return data


def render_diff_markdown(
    diff: Diff,
    base: str,
    policies: PolicyReport | None = None,
    journeys: JourneyReport | None = None,
) -> str:
    *operations, total = diff.summary_lines()
    words = " · ".join(f"**{line}**" for line in operations)
    lines = [
        f"### Offline preview: stack `{diff.stack}` against `{base}`",
        "",
        f"{words} ({total.replace('. ', ', ')})" if operations else f"**{total}**",
        "",
    ]
    if diff.new_stack:
        lines += [f"Stack `{diff.stack}` does not exist at `{base}`: everything is created.", ""]
    lines += unreadable_markdown(diff.after)
    if diff.refusals:
        lines += ["> [!WARNING]", "> `pulumi up` would not make these changes:"]
        lines += [
            f"> - {_code(change.resource.name)}: {refusal.by} refuses: {refusal.reason}"
            for change, refusal in diff.refusals
        ]
        lines.append("")
    if policies is not None:
        lines += policy_markdown(policies)
    if journeys is not None:
        lines += journey_markdown(journeys)
    lines += ["```text", *diff_lines(diff), "```", ""]
    lines += [
        "<details><summary>The full plan: every resource of the stack</summary>",
        "",
        render_markdown(diff.after).rstrip("\n"),
        "",
        "</details>",
    ]
    return "\n".join(lines) + "\n"


def render_diff(
    diff: Diff,
    base: str,
    fmt: str,
    policies: PolicyReport | None = None,
    journeys: JourneyReport | None = None,
) -> str:
    if fmt == "json":
        return _dumps(diff_data(diff, base, policies, journeys))
    if fmt == "markdown":
        return render_diff_markdown(diff, base, policies, journeys)
    return render_diff_text(diff, base, policies, journeys)


# -- compare --------------------------------------------------------------------------------------


OUTBOUND_RULE = "outbound rule"


def _key(resource: Resource) -> tuple[str, str]:
    return resource.type, resource.name


def _is_grant(resource: Resource) -> bool:
    """A role assignment: its Azure name a GUID derived from its stack, principal and scope."""
    return resource.custom and resource_type(resource.type).journey is JourneyPart.ROLE_ASSIGNMENT


def _derived_name(resource: Resource) -> str | None:
    """The input that names a role assignment after its stack only (its GUID), else None."""
    mock = resource_type(resource.type).mock
    return mock.name_input if _is_grant(resource) and isinstance(mock, AzureMock) else None


def _twin_keys(plan: Plan) -> dict[tuple[str, str], Resource]:
    """A plan's resources by what makes them twins of another stack's: a role assignment by its
    role, principal and scope (its name is the stack's own GUID), anything else by type and name.
    Role assignments that share all three (never in Azure) keep their names."""
    keyed: dict[tuple[str, str], list[Resource]] = {}
    for resource in plan.run.resources:
        key = _key(resource)
        if _is_grant(resource):
            grant = dict(plan.settings(resource))
            key = (
                resource.type,
                " · ".join(grant.get(k, "-") for k in ("role", "principal", "scope")),
            )
        keyed.setdefault(key, []).append(resource)
    found: dict[tuple[str, str], Resource] = {}
    for key, resources in keyed.items():
        if len(resources) == 1:
            found[key] = resources[0]
        else:
            found.update({_key(r): r for r in resources})
    return found


def _comparable(plan: Plan, resource: Resource) -> dict[str, str]:
    """Settings and options by label (labels made unique within the resource). An outbound rule
    is labelled by its destination, its name the value: rules match by where they lead, however
    many others sort before them."""
    found: dict[str, str] = {}
    for setting, shown in plan.settings(resource):
        label, value = setting, shown
        if setting == OUTBOUND_RULE:
            name, _, destination = shown.partition(": ")
            label, value = f"{OUTBOUND_RULE} to {destination}", name
        unique, n = label, 2
        while unique in found:
            unique, n = f"{label} #{n}", n + 1
        found[unique] = value
    found["protect"] = "true" if resource.protect else "false"
    found["retainOnDelete"] = "true" if resource.retain_on_delete else "false"
    found["ignoreChanges"] = ", ".join(sorted(resource.ignore_changes)) or "-"
    return found


def compare_data(left: Plan, right: Plan, names: tuple[str, str] | None = None) -> dict[str, Any]:
    """What differs between two stacks, keyed by their names (``names``, when both are one).

    Resources are twins by type and name, role assignments by role, principal and scope; what
    only names a resource after its stack (a role assignment's GUID name) is no difference.
    """
    one, other = names or (left.stack, right.stack)
    a = _twin_keys(left)
    b = _twin_keys(right)

    def listing(
        keys: set[tuple[str, str]], side: dict[tuple[str, str], Resource]
    ) -> list[dict[str, str]]:
        return sorted(
            ({"type": t, "name": side[t, k].name} for t, k in keys),
            key=lambda item: (item["type"], item["name"]),
        )

    properties = compare_properties(left, right)
    differences: list[dict[str, Any]] = []
    for key in sorted(a.keys() & b.keys(), key=lambda k: (k[0], a[k].name)):
        first, second = a[key], b[key]
        before, after = _comparable(left, first), _comparable(right, second)
        changed = {
            label: {one: before.get(label, "-"), other: after.get(label, "-")}
            for label in sorted(before.keys() | after.keys())
            if before.get(label) != after.get(label)
        }
        derived = _derived_name(first)
        inputs = {
            prop.path: {one: prop.before or "-", other: prop.after or "-"}
            for prop in properties(first, second)
            if prop.path != derived
        }
        if changed or inputs:
            name = first.name if first.name == second.name else f"{first.name} → {second.name}"
            differences.append(
                {"type": key[0], "name": name, "settings": changed, "properties": inputs}
            )
    return {
        "stacks": [one, other],
        "onlyIn": {
            one: listing(a.keys() - b.keys(), a),
            other: listing(b.keys() - a.keys(), b),
        },
        "differences": differences,
        "resources": {one: left.custom_count, other: right.custom_count},
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
        f"Settings and inputs that differ ({len(diffs)} resources):"
        if diffs
        else "Settings and inputs that differ: none"
    )
    for diff in diffs:
        lines.append(f"    ~ {diff['type']}  {diff['name']}")
        for indent, group in (("        ", diff["settings"]), ("          ", diff["properties"])):
            if group is diff["properties"] and group:
                lines.append("        every input:")
            width = max((len(label) for label in group), default=0)
            for label, values in group.items():
                lines.append(f"{indent}{label:<{width}}  {values[left]}  →  {values[right]}")
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
            for path, values in diff["properties"].items():
                lines.append(
                    f"| {_code(diff['name'])} | {_code(path)} | {_code(values[left])} "
                    f"| {_code(values[right])} |"
                )
    else:
        lines.append("No settings differ.")
    return "\n".join(lines) + "\n"


def render_compare(left: Plan, right: Plan, fmt: str, names: tuple[str, str] | None = None) -> str:
    data = compare_data(left, right, names)
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
    parser.add_argument("--format", choices=(*FORMATS, SVG), default="text")
    parser.add_argument(
        "--config-file",
        type=Path,
        help="a Pulumi.<stack>.yaml-style file to use instead of the stack's own",
    )
    parser.add_argument(
        "--environment-file",
        action="append",
        default=[],
        type=_environment_file,
        dest="environment_files",
        metavar="NAME=PATH",
        help="a local copy of a Pulumi ESC environment the stack file imports (environment:), "
        "e.g. mlops/dev=../esc/mlops-dev.yaml from `esc env get mlops/dev --definition`; once "
        "per environment (docs/preview.md: Pulumi ESC environments)",
    )
    what = parser.add_mutually_exclusive_group()
    what.add_argument(
        "--compare",
        nargs=2,
        metavar=("STACK_A", "STACK_B"),
        help="show what differs between two stacks instead (--config-file stands in for the "
        "stack it is named for, or for --stack; for the second when both are that stack)",
    )
    what.add_argument(
        "--journeys",
        action="store_true",
        help="show every journey hop by hop: who reaches what, over which path, with which role",
    )
    what.add_argument(
        "--base",
        metavar="GIT_REF",
        help="show what changes against the stack at this git ref (e.g. origin/main): the "
        "program and stack file at the ref are evaluated too",
    )
    return parser


def _environment_file(text: str) -> tuple[str, Path]:
    name, equals, path = text.partition("=")
    if not (equals and name.strip() and path.strip()):
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=PATH (mlops/dev=esc/dev.yaml)")
    return name.strip(), Path(path.strip()).expanduser().resolve()


def _environment_files(args: argparse.Namespace) -> dict[str, Path]:
    """``--environment-file`` NAME=PATH, each environment once."""
    files: dict[str, Path] = {}
    for name, path in args.environment_files:
        if name in files:
            raise ConfigError(f"--environment-file {name} is given twice")
        files[name] = path
    return files


def _stack_name(stack: str | None, config_file: Path | None) -> str:
    if stack:
        return stack
    if config_file is not None:
        name = config_file.name
        if name.startswith("Pulumi.") and name.endswith(".yaml") and name.count(".") == 2:
            return name[len("Pulumi.") : -len(".yaml")]
    return "dev"


def _compared(args: argparse.Namespace) -> str:
    """``--compare``; ``--config-file`` stands in for the stack it is for (the second of two)."""
    pair: list[str] = list(args.compare)
    files: list[Path | None] = [None, None]
    names = (pair[0], pair[1])
    if args.config_file is not None:
        stack = _stack_name(args.stack, args.config_file)
        if stack not in pair:
            raise ConfigError(
                f"--config-file is for stack {stack}, which --compare does not name; give --stack "
                "to say which stack it stands in for"
            )
        files[1 if pair[1] == stack else 0] = args.config_file
        if pair[0] == pair[1]:
            names = (stack, f"{stack} ({args.config_file.name})")
    given = _environment_files(args)
    environments: dict[str, Any] = {"environment_files": given} if given else {}
    left, right = (
        Plan(run_stack(s, config_file=f, **environments)) for s, f in zip(pair, files, strict=True)
    )
    return render_compare(left, right, args.format, names)


def _preview(args: argparse.Namespace) -> tuple[str, PolicyReport, JourneyReport]:
    stack = _stack_name(args.stack, args.config_file)
    with ThreadPoolExecutor(max_workers=1) as pool:
        # The base is evaluated in another process while this one evaluates the working tree.
        given = _environment_files(args)
        at_ref: dict[str, Any] = {"environments": given} if given else {}
        base = pool.submit(run_at, args.base, stack, **at_ref) if args.base else None
        run = run_stack(stack, config_file=args.config_file, environment_files=given)
        plan, report, journeys = Plan(run), check(run), evaluate(run)
        if args.journeys and args.format == "text":
            output = "\n".join(journey_lines(journeys)) + "\n"
            return output, report, journeys
        if base is None:
            return render(plan, args.format, report, journeys), report, journeys
        base_run = base.result()
    diff = diff_plans(Plan(base_run) if base_run is not None else None, plan)
    return render_diff(diff, args.base, args.format, report, journeys), report, journeys


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.format == SVG and (args.compare or args.base or args.journeys):
        parser.error(
            "--format svg draws one stack's architecture: not with --compare, --base or --journeys"
        )
    report: PolicyReport | None = None
    journeys: JourneyReport | None = None
    try:
        if args.compare:
            output = _compared(args)
        else:
            output, report, journeys = _preview(args)
    except FAILURES as error:
        print(error, file=sys.stderr)
        return 1
    sys.stdout.write(output)
    sys.stdout.flush()
    if report is not None and report.mandatory:
        print("Mandatory policy violations:", file=sys.stderr)
        for policy, found in report.by_policy().items():
            fix = found[0].fix
            advice = f": {fix.advice}" if fix else f": {found[0].message}"
            print(f"  {policy}{advice} ({len(found)} found)", file=sys.stderr)
    if journeys is not None and journeys.broken:
        print("Broken journeys (mlops:journeys.<key> switches one off, with a reason):",
              file=sys.stderr)  # fmt: skip
        for result in journeys.broken:
            first = next(h for h in result.hops or () if not h.ok)
            print(f"  {result.journey.key}: {first.hop.what}: {first.detail}", file=sys.stderr)
    broken = journeys is not None and bool(journeys.broken)
    return 1 if broken or (report is not None and report.mandatory) else 0


if __name__ == "__main__":
    run_one_shot(main)
