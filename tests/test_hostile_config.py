"""Hostile and careless stack configs are refused before any resource is registered.

Each case in ``tests/hostile_configs/*.yaml`` patches one of the real stack files and goes
straight to ``settings.load``, which the program calls (through ``settings.from_pulumi``)
before it declares anything. It must be refused with a ``settings.SettingsError`` whose
problems name the offending key path and say what would be valid, without traceback text.

That a refusal stops the program before anything is registered is proven on the real program
under the mock engine, for one case of each stack (and an unpatched control run of each).
"Nothing registered" is observed at two levels, neither of which the engine exposes for a run
that raises: every ``pulumi.Resource`` constructed (so a resource whose registration RPC had not
completed yet still counts), and every ``RegisterResource`` call the mock monitor answers.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import functools
import gc
import re
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import pulumi.resource
import pytest
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings as runtime_settings

import settings
from offline.engine import PROJECT, SECRET_PLACEHOLDER, run_program, stack_config
from offline.stack_file import config_values
from settings.schema import Settings
from tests.conftest import FIXTURE_STACKS, STACKS

CORPUS_DIR = Path(__file__).parent / "hostile_configs"
# The page that says how many cases the corpus holds.
TESTS_PAGE = Path(__file__).parent.parent / "docs" / "development" / "tests.md"
# A refused run leaves the stack resource's registration as coroutines never awaited: they are
# harmless here, and collected when the module is done (see ``collect_refused_runs``).
NEVER_AWAITED = "coroutine .* was never awaited"
pytestmark = pytest.mark.filterwarnings(f"ignore:{NEVER_AWAITED}:RuntimeWarning")
STACK_TYPE = "pulumi:pulumi:Stack"
# A key path: the config key, then map keys (``.name``) and list indexes (``[1]``).
_PATH = re.compile(r"^(?P<key>[^.\[\]]+)(?P<rest>(?:\.[^.\[\]]*|\[\d+\])*)$")
_STEP = re.compile(r"\.([^.\[\]]*)|\[(\d+)\]")


# --------------------------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expectation:
    key: str
    message: str

    def matches(self, problem: str) -> bool:
        return problem.startswith(f"{self.key}: ") and self.message in problem


@dataclass(frozen=True)
class Case:
    id: str
    stack: str
    expect: tuple[Expectation, ...]
    set: Mapping[str, Any] = field(default_factory=dict)
    remove: tuple[str, ...] = ()


def _load_corpus() -> list[Case]:
    cases: list[Case] = []
    for path in sorted(CORPUS_DIR.glob("*.yaml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            unknown = set(entry) - {"id", "stack", "set", "remove", "expect"}
            assert not unknown, f"{path.name}: {entry.get('id')}: unknown fields {unknown}"
            cases.append(
                Case(
                    id=entry["id"],
                    stack=entry["stack"],
                    set=entry.get("set") or {},
                    remove=tuple(entry.get("remove") or ()),
                    expect=tuple(Expectation(**e) for e in entry["expect"]),
                )
            )
    return cases


CORPUS = _load_corpus()
CASES = {case.id: case for case in CORPUS}


def _steps(path: str) -> tuple[str, list[str | int]]:
    match = _PATH.fullmatch(path)
    assert match is not None, f"not a key path: {path!r}"
    steps: list[str | int] = [
        int(index) if index else name for name, index in _STEP.findall(match["rest"])
    ]
    return match["key"], steps


def _container(values: dict[str, Any], path: str) -> tuple[Any, str | int]:
    """The map or list holding the last step of ``path``, and that step."""
    key, steps = _steps(path)
    if not steps:
        return values, key
    node = values[key]
    for step in steps[:-1]:
        node = node[step]
    return node, steps[-1]


def _set(values: dict[str, Any], path: str, value: Any) -> None:
    node, step = _container(values, path)
    if isinstance(node, list) and step == len(node):
        node.append(value)
    else:
        node[step] = value


def _remove(values: dict[str, Any], path: str) -> None:
    node, step = _container(values, path)
    del node[step]


@functools.cache
def _stack_values(stack: str) -> dict[str, Any]:
    document = yaml.safe_load((FIXTURE_STACKS / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))
    return {
        (key if ":" in key else f"{PROJECT}:{key}"): value
        for key, value in (document.get("config") or {}).items()
    }


@functools.cache
def case_config(case_id: str) -> tuple[dict[str, str], tuple[str, ...]]:
    """The case's stack file, patched, as Pulumi would pass it to the program."""
    case = CASES[case_id]
    values = copy.deepcopy(_stack_values(case.stack))
    for path in case.remove:
        _remove(values, path)
    for path, value in case.set.items():
        _set(values, path, value)
    found = config_values(values, PROJECT, SECRET_PLACEHOLDER)
    return found.values, found.secret_keys


# --------------------------------------------------------------------------------------------
# Loading a case
# --------------------------------------------------------------------------------------------


@functools.cache
def loaded(case_id: str) -> Settings | Exception:
    """What ``settings.load`` makes of the case: Settings, or what it raised."""
    config, secret_keys = case_config(case_id)
    try:
        return settings.load(
            config, project=PROJECT, stack=CASES[case_id].stack, secret_keys=secret_keys
        )
    except Exception as error:  # the outcome is examined by the tests
        error.__traceback__ = None  # the tests read the exception, not its frames
        return error


def refusal(case_id: str) -> settings.SettingsError:
    result = loaded(case_id)
    assert isinstance(result, settings.SettingsError), f"expected a SettingsError, got {result!r}"
    return result


# --------------------------------------------------------------------------------------------
# Running the real program
# --------------------------------------------------------------------------------------------


@dataclass
class Registrations:
    """Resources other than the stack itself, as constructed and as the monitor registered."""

    constructed: list[str] = field(default_factory=list)
    registered: list[str] = field(default_factory=list)


@contextlib.contextmanager
def recording_registrations() -> Iterator[Registrations]:
    seen = Registrations()
    construct = pulumi.resource.Resource.__init__
    register = pulumi_mocks.MockMonitor.RegisterResource

    def recording_construct(self: Any, t: str, name: str, *args: Any, **kwargs: Any) -> None:
        if t != STACK_TYPE:
            seen.constructed.append(f"{t}::{name}")
        construct(self, t, name, *args, **kwargs)

    def recording_register(self: Any, request: Any) -> Any:
        if request.type != STACK_TYPE:
            seen.registered.append(f"{request.type}::{request.name}")
        return register(self, request)

    with (
        mock.patch.object(pulumi.resource.Resource, "__init__", recording_construct),
        mock.patch.object(pulumi_mocks.MockMonitor, "RegisterResource", recording_register),
    ):
        yield seen


@dataclass(frozen=True)
class Outcome:
    raised: BaseException | None
    registrations: Registrations

    @property
    def settings_error(self) -> settings.SettingsError | None:
        """The SettingsError raised, possibly wrapped in other exceptions."""
        seen: set[int] = set()
        error = self.raised
        pending: list[BaseException | None] = [error]
        while pending:
            error = pending.pop()
            if error is None or id(error) in seen:
                continue
            seen.add(id(error))
            if isinstance(error, settings.SettingsError):
                return error
            pending.extend((error.__cause__, error.__context__))
            if isinstance(error, BaseExceptionGroup):
                pending.extend(error.exceptions)
        return None

    def describe(self) -> str:
        error = self.settings_error
        if error is not None:
            return "\n".join(error.problems)
        return repr(self.raised) if self.raised else "the program ran to completion"


def _run(stack: str, config: Mapping[str, str], secret_keys: tuple[str, ...]) -> Outcome:
    result = contextvars.copy_context().run(_run_in_context, stack, config, secret_keys)
    _drop_tracebacks(result.raised)
    return result


def _drop_tracebacks(error: BaseException | None) -> None:
    """The tests read exceptions, not frames; frames would keep the run's event loop alive."""
    while error is not None and error.__traceback__ is not None:
        error.__traceback__ = None
        error = error.__cause__ or error.__context__


def _run_in_context(stack: str, config: Mapping[str, str], secret_keys: tuple[str, ...]) -> Outcome:
    # Pulumi tracks pending outputs in a set that set_mocks does not replace. A run that
    # raises leaves its outputs there, bound to its closed event loop, and the next run that
    # reaches wait_for_rpcs fails with "Event loop is closed". A set of our own, in a context
    # of our own, keeps them from the runs of later tests.
    runtime_settings.SETTINGS.outputs = set()
    with recording_registrations() as registrations:
        try:
            run_program(stack, config=config, secret_keys=secret_keys)
        except Exception as error:  # the outcome is examined by the tests
            return Outcome(error, registrations)
    return Outcome(None, registrations)


def _richest_case(stack: str) -> Case:
    """The stack's case with the most expected problems (the first of them, on a tie)."""
    return max((case for case in CORPUS if case.stack == stack), key=lambda c: len(c.expect))


# One refused case per stack is run through the real program.
PROGRAM_CASES = {stack: _richest_case(stack) for stack in STACKS}


@functools.cache
def program_outcome(case_id: str) -> Outcome:
    """Runs the program on the case once; the tests below examine different aspects of it."""
    return _run(CASES[case_id].stack, *case_config(case_id))


# --------------------------------------------------------------------------------------------
# Tests: the corpus, through the loader
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def collect_refused_runs() -> Iterator[None]:
    """Leave no refused run's garbage to warn in another module's tests."""
    yield
    program_outcome.cache_clear()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", NEVER_AWAITED, RuntimeWarning)
        gc.collect()


def test_corpus_has_at_least_40_cases_with_unique_ids() -> None:
    assert len(CORPUS) >= 40
    assert len(CASES) == len(CORPUS), "duplicate case ids"


def test_the_tests_page_states_the_corpus_size() -> None:
    page = TESTS_PAGE.read_text(encoding="utf-8")
    stated = re.search(r"`tests/test_hostile_config.py` \| (\d[\d,]*) hostile", page)
    assert stated is not None, f"{TESTS_PAGE.name} no longer states how many configs there are"
    assert int(stated[1].replace(",", "")) == len(CORPUS)


def test_corpus_has_cases_for_every_stack() -> None:
    assert {case.stack for case in CORPUS} == set(STACKS)


@pytest.mark.parametrize("case_id", list(CASES))
def test_hostile_config_is_refused_with_a_settings_error(case_id: str) -> None:
    result = loaded(case_id)

    assert isinstance(result, settings.SettingsError), f"the loader returned {result!r}"


@pytest.mark.parametrize("case_id", list(CASES))
def test_refusal_names_the_key_and_what_is_valid(case_id: str) -> None:
    error = refusal(case_id)

    missing = [e for e in CASES[case_id].expect if not any(map(e.matches, error.problems))]
    assert not missing, f"expected {missing}; reported:\n" + "\n".join(error.problems)


@pytest.mark.parametrize("case_id", list(CASES))
def test_refusal_message_has_no_traceback_text(case_id: str) -> None:
    error = refusal(case_id)

    message = str(error)
    assert message.startswith("Invalid stack configuration:\n")
    assert "Traceback" not in message
    assert 'File "' not in message
    assert all(problem and "\n" not in problem for problem in error.problems)


def test_every_problem_in_one_config_is_reported_together() -> None:
    case = CASES["several-problems-at-once"]
    error = refusal(case.id)

    assert len(case.expect) >= 5
    for expectation in case.expect:
        assert any(map(expectation.matches, error.problems)), expectation
    assert all(f"  - {problem}" in str(error) for problem in error.problems)


def test_credential_in_secret_config_is_not_flagged() -> None:
    config, secret_keys = stack_config("dev", FIXTURE_STACKS)
    hook = "https://st.example/c?sig=Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6"
    config["mlops:alerts"] = f'{{"webhooks": ["{hook}"]}}'

    with pytest.raises(settings.SettingsError):
        settings.load(config, project=PROJECT, stack="dev", secret_keys=secret_keys)
    loaded = settings.load(
        config, project=PROJECT, stack="dev", secret_keys=(*secret_keys, "mlops:alerts")
    )

    assert len(loaded.alerts.webhooks) == 1


# --------------------------------------------------------------------------------------------
# Tests: the real program, one refused case per stack
# --------------------------------------------------------------------------------------------


def test_unpatched_stack_runs_and_registers_resources() -> None:
    """The control: the recording sees what a valid config registers. (The cases' base configs
    are the fixture stacks, which the session's own runs load.)"""
    result = _run("dev", *stack_config("dev", FIXTURE_STACKS))

    assert result.raised is None, result.describe()
    assert result.registrations.constructed
    assert result.registrations.registered


@pytest.mark.parametrize("stack", STACKS)
def test_program_refuses_a_hostile_config_with_the_loaders_problems(stack: str) -> None:
    case = PROGRAM_CASES[stack]
    result = program_outcome(case.id)

    assert result.settings_error is not None, result.describe()
    assert result.settings_error.problems == refusal(case.id).problems


@pytest.mark.parametrize("stack", STACKS)
def test_refused_config_registers_no_resource(stack: str) -> None:
    registrations = program_outcome(PROGRAM_CASES[stack].id).registrations

    assert registrations.constructed == []
    assert registrations.registered == []
