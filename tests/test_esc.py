"""Pulumi ESC environments a stack file imports, resolved offline from local copies (offline/esc).

Fixtures: tests/fixtures/esc (stack files and environment definitions of their own) and the
example environment of docs/getting-started.md, docs/examples/esc/mlops-dev.yaml. A secret
written in an environment is never in any output: the tests that run the preview grep all of it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Final

import pytest

from offline import esc
from offline.engine import PROJECT, ROOT, SECRET_PLACEHOLDER, file_config, stack_config, stacks
from offline.esc import UNKNOWN, EscError, Resolved
from offline.preview import environment_config, main
from offline.stack_file import StackFileError

FIXTURES: Final = ROOT / "tests" / "fixtures" / "esc"
EXAMPLE: Final = ROOT / "docs" / "examples" / "esc" / "mlops-dev.yaml"
EXAMPLE_WEBHOOK: Final = "https://contoso.webhook.office.com/webhookb2/example-placeholder"
# Written in an environment with fn::secret: no output may hold it.
KNOWN_SECRET: Final = "https://contoso.webhook.office.com/webhookb2/kn0wn-s3cret-in-esc-only"


def write(path: Path, body: str) -> Path:
    path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return path


def resolve(stack_file: Path, files: dict[str, Path]) -> Resolved:
    values, secret_keys = file_config(stack_file)
    return esc.resolve(
        stack_file, values, secret_keys, files, project=PROJECT, placeholder=SECRET_PLACEHOLDER
    )


def importing(tmp_path: Path, *names: str) -> Path:
    """A stack file that imports ``names`` and sets nothing itself."""
    return write(
        tmp_path / "Pulumi.dev.yaml", "environment:\n" + "".join(f"  - {n}\n" for n in names)
    )


def single(tmp_path: Path, body: str) -> Resolved:
    """The config one environment, mlops/dev with ``body`` as its definition, gives."""
    environment = write(tmp_path / "dev.yaml", body)
    return resolve(importing(tmp_path, "mlops/dev"), {"mlops/dev": environment})


def single_fixture(name: str) -> Resolved:
    """The config tests/fixtures/esc/``name``, as mlops/dev, gives alone."""
    return resolve(FIXTURES / "Pulumi.single.yaml", {"mlops/dev": FIXTURES / name})


def leaked(*texts: str) -> bool:
    """Whether the known secret is in any of ``texts`` (without showing them on failure)."""
    return any(KNOWN_SECRET in text for text in texts)


def example_with_known_secret(tmp_path: Path) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert EXAMPLE_WEBHOOK in text
    return write(tmp_path / "mlops-dev.yaml", text.replace(EXAMPLE_WEBHOOK, KNOWN_SECRET))


# -- the stack file's environment: ----------------------------------------------------------------


def test_a_stack_without_environments_keeps_its_config_as_the_stack_file_gives_it() -> None:
    for stack in stacks():
        values, secret_keys = stack_config(stack)
        found = environment_config(stack)
        assert (found.values, found.secret_keys) == (values, secret_keys)
        assert found.notice() == []


def test_environments_of_the_stack_file_are_merged_in_order_later_over_earlier() -> None:
    files = {"mlops/first": FIXTURES / "first.yaml", "mlops/second": FIXTURES / "second.yaml"}

    found = resolve(FIXTURES / "Pulumi.order.yaml", files)

    assert found.values["mlops:prefix"] == "second"
    assert json.loads(found.values["mlops:tags"]) == {"owner": "second", "costCenter": "1234"}


def test_a_reference_is_resolved_in_the_environment_that_writes_it() -> None:
    # Early binding: first's ${region} is first's, though second sets region too.
    files = {"mlops/first": FIXTURES / "first.yaml", "mlops/second": FIXTURES / "second.yaml"}

    found = resolve(FIXTURES / "Pulumi.order.yaml", files)

    assert found.values["azure-native:location"] == "westeurope"


def test_an_environment_s_imports_merge_in_order_and_its_values_over_them(tmp_path: Path) -> None:
    files = {
        "mlops/first": FIXTURES / "first.yaml",
        "mlops/second": FIXTURES / "second.yaml",
        "mlops/dev": write(
            tmp_path / "dev.yaml",
            """
            imports: [mlops/first, mlops/second]
            values:
              pulumiConfig:
                mlops:environment: dev
                azure-native:location: ${region}
            """,
        ),
    }

    found = resolve(importing(tmp_path, "mlops/dev"), files)

    assert found.values["azure-native:location"] == "northeurope"  # second's, over first's
    assert found.values["mlops:prefix"] == "second"
    assert found.values["mlops:environment"] == "dev"


def test_an_import_without_merge_is_reachable_only_through_imports(tmp_path: Path) -> None:
    files = {
        "mlops/first": FIXTURES / "first.yaml",
        "mlops/dev": write(
            tmp_path / "dev.yaml",
            """
            imports:
              - mlops/first: {merge: false}
            values:
              pulumiConfig:
                prefix: ${imports["mlops/first"].pulumiConfig.prefix}
            """,
        ),
    }

    found = resolve(importing(tmp_path, "mlops/dev"), files)

    assert found.values == {"mlops:prefix": "first"}


def test_an_inline_environment_definition_in_the_stack_file_is_evaluated(tmp_path: Path) -> None:
    stack_file = write(
        tmp_path / "Pulumi.dev.yaml",
        """
        environment:
          imports: [mlops/second]
          values:
            pulumiConfig:
              azure-native:location: ${region}
        """,
    )

    found = resolve(stack_file, {"mlops/second": FIXTURES / "second.yaml"})

    assert found.values["azure-native:location"] == "northeurope"
    assert found.values["mlops:prefix"] == "second"


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ("environment: mlops/dev\n", ":1: environment must be a list of ESC environment names"),
        ("environment:\n  - [mlops/dev]\n", ":2: environment[0] must be an ESC environment name"),
        ("environment:\n  - mlops dev\n", ":2: environment[0] must be an ESC environment name"),
        ("environment:\n  value: {}\n", ":2: unknown top-level key 'value' (did you mean values?)"),
    ],
    ids=["a-name-not-a-list", "a-list-in-the-list", "a-space-in-a-name", "values-misspelled"],
)
def test_an_environment_form_pulumi_does_not_take_names_the_file_and_line(
    tmp_path: Path, environment: str, expected: str
) -> None:
    stack_file = write(tmp_path / "Pulumi.dev.yaml", environment)

    with pytest.raises(EscError) as caught:
        resolve(stack_file, {})

    assert str(caught.value).startswith(f"{stack_file}{expected}")


# -- values ---------------------------------------------------------------------------------------


def test_references_interpolate_into_strings_nested_maps_and_lists() -> None:
    found = single_fixture("interpolation.yaml")

    assert json.loads(found.values["mlops:tags"]) == {
        "owner": "ml-platform@contoso.example",
        "literal": "${team}",
        "nodes": "n=3",
    }
    assert json.loads(found.values["mlops:releasePipeline"]) == {
        "principalId": "00000000-0000-0000-0000-0000000000a1"
    }
    assert json.loads(found.values["mlops:access"])[0]["principalId"] == (
        "00000000-0000-0000-0000-00000000d5a1"
    )


def test_a_bare_reference_copies_the_value_it_names() -> None:
    found = single_fixture("interpolation.yaml")

    assert json.loads(found.values["mlops:copied"]) == {
        "pipeline": "00000000-0000-0000-0000-0000000000a1"
    }
    assert found.values["mlops:quoted"] == "00000000-0000-0000-0000-0000000000a1"


def test_pulumi_config_keys_keep_their_namespace_and_others_get_the_project_s(
    tmp_path: Path,
) -> None:
    found = single(
        tmp_path,
        """
        values:
          pulumiConfig:
            azure-native:location: westeurope
            azure-native:subscriptionId: 00000000-0000-0000-0000-0000000000d1
            prefix: contoso
            mlopz:prefix: typo
        """,
    )

    assert found.values == {
        "azure-native:location": "westeurope",
        "azure-native:subscriptionId": "00000000-0000-0000-0000-0000000000d1",
        "mlops:prefix": "contoso",
        "mlopz:prefix": "typo",  # the settings loader says what it is (did you mean mlops:?)
    }


def test_values_reach_the_program_as_the_cli_passes_them(tmp_path: Path) -> None:
    found = single(
        tmp_path,
        """
        values:
          pulumiConfig:
            protect: true
            budget: {monthlyAmount: 1500.0, thresholds: [50, 100]}
            note: yes
        """,
    )

    assert found.values == {
        "mlops:protect": "true",
        "mlops:budget": '{"monthlyAmount":1500,"thresholds":[50,100]}',
        "mlops:note": "yes",  # YAML 1.2, as ESC reads it
    }


def test_the_stack_file_s_value_wins_over_the_environment_s(tmp_path: Path) -> None:
    environment = write(
        tmp_path / "dev.yaml",
        "values:\n  pulumiConfig:\n    prefix: fromesc\n    azure-native:location: northeurope\n",
    )
    stack_file = write(
        tmp_path / "Pulumi.dev.yaml",
        """
        environment: [mlops/dev]
        config:
          mlops:prefix: fromstack
        """,
    )

    found = resolve(stack_file, {"mlops/dev": environment})

    assert found.values == {"mlops:prefix": "fromstack", "azure-native:location": "northeurope"}


def test_a_stack_map_merges_over_the_environment_s_and_its_lists_replace_theirs() -> None:
    found = resolve(FIXTURES / "Pulumi.dev.yaml", {"mlops/dev": EXAMPLE})

    alerts = json.loads(found.values["mlops:alerts"])
    assert alerts == {"emails": ["dev-team@contoso.example"], "webhooks": [SECRET_PLACEHOLDER]}
    assert "mlops:alerts" in found.secret_keys


def test_a_stack_value_secure_as_a_whole_wins_over_the_environment_s_map(tmp_path: Path) -> None:
    stack_file = write(
        tmp_path / "Pulumi.dev.yaml",
        """
        environment: [mlops/dev]
        config:
          mlops:alerts: {secure: v1:AAAA}
        """,
    )

    found = resolve(stack_file, {"mlops/dev": EXAMPLE})

    assert found.values["mlops:alerts"] == SECRET_PLACEHOLDER
    assert found.secret_keys == ("mlops:alerts",)


# -- secrets --------------------------------------------------------------------------------------


def test_a_plaintext_secret_is_passed_as_the_placeholder_at_its_position(tmp_path: Path) -> None:
    found = resolve(
        importing(tmp_path, "mlops/dev"), {"mlops/dev": example_with_known_secret(tmp_path)}
    )

    assert json.loads(found.values["mlops:alerts"])["webhooks"] == [SECRET_PLACEHOLDER]
    assert found.secret_keys == ("mlops:alerts",)
    assert not leaked(repr(found))


def test_a_string_that_interpolates_a_secret_is_one(tmp_path: Path) -> None:
    found = single(
        tmp_path,
        f"""
        values:
          token:
            fn::secret: {KNOWN_SECRET}
          pulumiConfig:
            alerts:
              webhooks: ["${{token}}?x=1"]
        """,
    )

    assert json.loads(found.values["mlops:alerts"]) == {"webhooks": [SECRET_PLACEHOLDER]}
    assert found.secret_keys == ("mlops:alerts",)
    assert not leaked(repr(found))


def test_a_secret_from_the_environment_is_in_no_output_of_the_preview(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = f"mlops/dev={example_with_known_secret(tmp_path)}"
    outputs: list[str] = []
    for form in ("text", "markdown", "json"):
        status = main(
            ["--config-file", str(FIXTURES / "Pulumi.dev.yaml"), "--environment-file", copy,
             "--format", form]
        )  # fmt: skip
        captured = capsys.readouterr()
        assert status == 0, form
        outputs += [captured.out, captured.err]
    assert "webhooks: [secret]" in outputs[0]
    assert not leaked(*outputs)


def test_a_secret_from_the_environment_is_not_in_the_problems_of_invalid_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The secret where no secret may be: the loader refuses it, without showing it.
    environment = write(
        tmp_path / "dev.yaml",
        f"values:\n  pulumiConfig:\n    prefix:\n      fn::secret: {KNOWN_SECRET}\n",
    )
    stack_file = write(
        tmp_path / "Pulumi.dev.yaml",
        """
        environment: [mlops/dev]
        config:
          azure-native:location: westeurope
          mlops:alerts: {emails: [ml-platform@contoso.example]}
        """,
    )

    status = main(
        ["--config-file", str(stack_file), "--environment-file", f"mlops/dev={environment}"]
    )

    captured = capsys.readouterr()
    assert status == 1
    assert "mlops:prefix: is secret, but holds no credential" in captured.err
    assert not leaked(captured.out, captured.err)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("{fn::secret: '${team}'}", "fn::secret takes a string"),
        ("{fn::secret: [a]}", "fn::secret takes a string"),
        ("!!int KNOWN", "a value does not read as its tag says (not shown"),
    ],
    ids=["interpolated-plaintext", "a-list", "wrong-tag"],
)
def test_a_malformed_secret_is_an_error_that_does_not_show_it(
    tmp_path: Path, value: str, expected: str
) -> None:
    body = f"values:\n  team: a\n  hook: {value}\n".replace("KNOWN", KNOWN_SECRET)

    with pytest.raises(StackFileError) as caught:
        single(tmp_path, body)

    assert expected in str(caught.value)
    assert not leaked(str(caught.value))


# -- what ESC computes when it opens the environment ----------------------------------------------


def test_ciphertext_and_fn_open_are_listed_by_key_and_passed_as_stand_ins() -> None:
    found = single_fixture("dynamic.yaml")

    assert [(u.key, u.why, u.stand_in) for u in found.unresolved] == [
        ("mlops:alerts.webhooks[0]", "fn::open::azure-secrets", SECRET_PLACEHOLDER),
        ("mlops:alerts.webhooks[1]", "fn::secret ciphertext", SECRET_PLACEHOLDER),
        ("mlops:releasePipeline.principalId", "fn::open::pulumi-stacks", UNKNOWN),
    ]
    assert json.loads(found.values["mlops:alerts"])["webhooks"] == [SECRET_PLACEHOLDER] * 2
    assert json.loads(found.values["mlops:releasePipeline"]) == {"principalId": UNKNOWN}
    assert found.secret_keys == ("mlops:alerts",)


def test_the_notice_names_unresolved_keys_and_never_a_value() -> None:
    found = single_fixture("dynamic.yaml")

    (line,) = found.notice()

    assert line.startswith("Not resolved offline (ESC computes them when it opens the environment)")
    assert "mlops:alerts.webhooks[1] (fn::secret ciphertext: previewed as [secret])" in line
    assert "ZXNjeAAAAAEAAAEAexample" not in line
    assert "teams-webhook" not in line


def test_a_value_the_stack_file_overrides_is_not_listed_unresolved(tmp_path: Path) -> None:
    stack_file = write(
        tmp_path / "Pulumi.dev.yaml",
        """
        environment: [mlops/dev]
        config:
          mlops:releasePipeline: {principalId: 00000000-0000-0000-0000-0000000000a1}
        """,
    )

    found = resolve(stack_file, {"mlops/dev": FIXTURES / "dynamic.yaml"})

    assert [u.key for u in found.unresolved] == [
        "mlops:alerts.webhooks[0]",
        "mlops:alerts.webhooks[1]",
    ]


# -- without a local copy -------------------------------------------------------------------------


def test_a_missing_local_copy_is_named_first_and_the_preview_runs_without_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["--config-file", str(FIXTURES / "Pulumi.dev.yaml"), "--format", "json"])

    captured = capsys.readouterr()
    assert status == 0
    assert captured.err.splitlines()[0] == (
        "dev: Not resolved offline: environment mlops/dev (no local copy: give --environment-file "
        "mlops/dev=PATH; docs/preview.md: Pulumi ESC environments): the preview runs without its "
        "values"
    )
    assert json.loads(captured.out)["config"]["mlops:alerts"] == {
        "emails": ["dev-team@contoso.example"]
    }


def test_invalid_config_without_a_local_copy_says_what_the_environment_would_likely_give(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack_file = write(
        tmp_path / "Pulumi.dev.yaml",
        """
        environment: [mlops/dev]
        config:
          azure-native:location: westeurope
          mlops:prefix: contoso
          mlops:access:
            - role: Reader
        """,
    )

    status = main(["--config-file", str(stack_file)])

    lines = capsys.readouterr().err.splitlines()
    assert status == 1
    assert lines[0].startswith("Not resolved offline: environment mlops/dev (no local copy")
    # mlops:access[0].principalId is the stack file's own list's: an environment's list would not
    # reach into it.
    assert lines[1] == "  which would likely provide: mlops:alerts"
    assert lines[2] == "Invalid stack configuration:"


def test_an_import_without_a_local_copy_is_named_and_what_it_would_give_is_unresolved(
    tmp_path: Path,
) -> None:
    found = single(
        tmp_path,
        """
        imports: [mlops/common]
        values:
          pulumiConfig:
            azure-native:location: ${region}
        """,
    )

    assert found.missing == ("mlops/common",)
    assert found.values == {"azure-native:location": UNKNOWN}
    assert [u.why for u in found.unresolved] == ["${region}, maybe from an environment not read"]


def test_the_example_environment_gives_the_keys_the_readme_lists() -> None:
    found = resolve(FIXTURES / "Pulumi.dev.yaml", {"mlops/dev": EXAMPLE})

    assert found.missing == () and found.unresolved == ()
    assert found.values["azure-native:subscriptionId"] == "00000000-0000-0000-0000-0000000000d1"
    assert json.loads(found.values["mlops:releasePipeline"]) == {
        "principalId": "00000000-0000-0000-0000-0000000000a1"
    }
    assert json.loads(found.values["mlops:access"])[0]["principalId"] == (
        "00000000-0000-0000-0000-00000000d5a1"
    )


# -- the command line -----------------------------------------------------------------------------


def test_an_environment_file_given_twice_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(
        ["--config-file", str(FIXTURES / "Pulumi.dev.yaml"), "--environment-file",
         f"mlops/dev={EXAMPLE}", "--environment-file", f"mlops/dev={EXAMPLE}"]
    )  # fmt: skip

    assert status == 1
    assert capsys.readouterr().err == "--environment-file mlops/dev is given twice\n"


def test_an_environment_file_without_a_name_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--environment-file", str(EXAMPLE)])

    assert caught.value.code == 2
    assert "is not NAME=PATH" in capsys.readouterr().err


def test_a_local_copy_that_does_not_exist_is_named(tmp_path: Path) -> None:
    with pytest.raises(EscError, match=r"no such file \(the local copy of environment mlops/dev\)"):
        resolve(importing(tmp_path, "mlops/dev"), {"mlops/dev": tmp_path / "absent.yaml"})


def test_the_base_of_a_diff_reads_the_same_local_copies(tmp_path: Path) -> None:
    """Slow (2-5 s): the worker that evaluates a ref runs in a fresh interpreter."""
    # The worker that evaluates a ref's tree (offline.revision), on a tree of this checkout.
    tree = tmp_path / "tree"
    tree.mkdir()
    for name in ("__main__.py", "Pulumi.yaml", "Pulumi.shared.yaml", "settings", "components"):
        (tree / name).symlink_to(ROOT / name)
    (tree / "Pulumi.dev.yaml").symlink_to(FIXTURES / "Pulumi.dev.yaml")

    completed = subprocess.run(
        [sys.executable, "-m", "offline.revision", str(tree), "dev", f"mlops/dev={EXAMPLE}"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr[-2000:]
    config = json.loads(completed.stdout)["config"]
    assert config["azure-native:subscriptionId"] == "00000000-0000-0000-0000-0000000000d1"


# -- hostile environments -------------------------------------------------------------------------


def test_an_import_cycle_is_an_error_naming_where(tmp_path: Path) -> None:
    files = {
        "mlops/a": write(tmp_path / "a.yaml", "imports: [mlops/b]\nvalues: {}\n"),
        "mlops/b": write(tmp_path / "b.yaml", "imports:\n  - mlops/a\n"),
    }

    with pytest.raises(EscError) as caught:
        resolve(importing(tmp_path, "mlops/a"), files)

    assert str(caught.value) == (
        f"{tmp_path / 'b.yaml'}:2: cyclic import of mlops/a (mlops/a → mlops/b → mlops/a)"
    )


def test_a_reference_going_round_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(EscError, match=r"dev.yaml:2: cyclic reference"):
        single(tmp_path, "values:\n  a: ${b}\n  b: ${a}\n")


def test_a_reference_to_a_missing_path_names_the_file_line_and_path(tmp_path: Path) -> None:
    body = "values:\n  ids: {pipeline: x}\n  pulumiConfig:\n    id: ${ids.pipelin}\n"

    with pytest.raises(EscError) as caught:
        single(tmp_path, body)

    assert str(caught.value) == (
        f"{tmp_path / 'dev.yaml'}:4: ${{ids.pipelin}}: unknown property 'pipelin' "
        "(did you mean 'pipeline'?)"
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("values: [a, b]\n", ":1: values must be a map"),
        ("values:\n  pulumiConfig: [a]\n", ":2: values.pulumiConfig must be a map"),
        ("imports: mlops/a\n", ":1: imports must be a list"),
        ("values:\n  context: x\n", ":2: values.context: 'context' is a reserved key"),
        ("values:\n  a: {fn::secret: x, b: c}\n", ":2: fn::secret must be the only key"),
        ("values:\n  a: {fn::sekret: x}\n", ":2: fn::sekret: 'fn::' is a reserved prefix"),
        ("values:\n  a: ${b\n", ":2: missing closing brace"),
        ("values:\n  a: ${[0]}\n", ":2: ${...} starts with a property name or key"),
    ],
    ids=[
        "values-a-list",
        "pulumi-config-a-list",
        "imports-a-name",
        "reserved-key",
        "a-call-with-another-key",
        "unknown-function",
        "unclosed-reference",
        "index-first",
    ],
)
def test_a_malformed_definition_names_the_file_and_line(
    tmp_path: Path, body: str, expected: str
) -> None:
    with pytest.raises(EscError) as caught:
        single(tmp_path, body)

    assert str(caught.value).startswith(f"{tmp_path / 'dev.yaml'}{expected}")


def test_aliases_are_refused_as_esc_refuses_them(tmp_path: Path) -> None:
    # The "billion laughs" of YAML needs aliases: none is read.
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for name, previous in zip("bcdef", "abcde", strict=True):
        levels.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 10)}]")
    body = "values:\n" + "".join(f"  {line}\n" for line in levels)

    with pytest.raises(EscError, match=r"dev.yaml:3: aliases \(\*a\) are not supported"):
        single(tmp_path, body)


def test_references_expanding_exponentially_are_refused(tmp_path: Path) -> None:
    levels = ["a: [x, x, x, x, x, x, x, x, x, x]"]
    for name, previous in zip("bcdef", "abcde", strict=True):
        reference = '"${' + previous + '}"'
        levels.append(f"{name}: [{', '.join([reference] * 10)}]")
    body = "values:\n" + "".join(f"  {line}\n" for line in levels)

    with pytest.raises(EscError, match=r"values expand to over 100000"):
        single(tmp_path, body)


def test_interpolations_expanding_exponentially_are_refused(tmp_path: Path) -> None:
    levels = ["a: xxxxxxxxxx"]
    for name, previous in zip("bcdefg", "abcdef", strict=True):
        levels.append(f"{name}: {('${' + previous + '}') * 10}")
    body = "values:\n" + "".join(f"  {line}\n" for line in levels)

    with pytest.raises(EscError, match=r"interpolates over 100000 characters"):
        single(tmp_path, body)


def test_values_nested_too_deeply_are_an_error_not_a_crash(tmp_path: Path) -> None:
    depth = sys.getrecursionlimit() // 2 + 100
    body = "values:\n  x: " + "[" * depth + "]" * depth + "\n"

    with pytest.raises(StackFileError, match="nested too deeply"):
        single(tmp_path, body)


def test_a_long_chain_of_references_is_an_error_not_a_crash(tmp_path: Path) -> None:
    count = sys.getrecursionlimit()
    chain = "".join(f"  v{i}: ${{v{i + 1}}}\n" for i in range(count))
    body = f"values:\n{chain}  v{count}: end\n  pulumiConfig:\n    x: ${{v0}}\n"

    with pytest.raises(EscError, match="nested too deeply"):
        single(tmp_path, body)
