"""Stack files are read as the Pulumi CLI reads them, and reach the program as the CLI passes them.

YAML 1.2 as go-yaml v3 resolves it: ``yes``/``no``/``on``/``off`` and dates are strings; a key
set twice and a syntax error are errors naming the file and line, never a traceback.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

from offline.engine import PROJECT, SECRET_PLACEHOLDER, file_config
from offline.preview import main
from offline.stack_file import StackFileError


def stack_file(tmp_path: Path, body: str, name: str = "Pulumi.dev.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def passed(tmp_path: Path, body: str) -> dict[str, str]:
    """What the program receives for each key of a stack file's config."""
    config, _ = file_config(stack_file(tmp_path, body))
    return config


def test_yes_no_on_off_stay_strings(tmp_path: Path) -> None:
    config = passed(
        tmp_path,
        """
        config:
          mlops:a: yes
          mlops:b: no
          mlops:c: on
          mlops:d: off
          mlops:e: y
        """,
    )

    assert [config[f"mlops:{k}"] for k in "abcde"] == ["yes", "no", "on", "off", "y"]


def test_yes_inside_a_structure_stays_a_string(tmp_path: Path) -> None:
    config = passed(tmp_path, "config:\n  mlops:tags: {approved: yes, legacy: off}\n")

    assert json.loads(config["mlops:tags"]) == {"approved": "yes", "legacy": "off"}


def test_dates_stay_the_text_written(tmp_path: Path) -> None:
    config = passed(
        tmp_path,
        """
        config:
          mlops:since: 2024-01-31
          mlops:at: 2024-01-31T10:00:00Z
          mlops:tagged: !!timestamp 2024-02-01
          mlops:tags: {created: 2024-03-01}
        """,
    )

    assert config["mlops:since"] == "2024-01-31"
    assert config["mlops:at"] == "2024-01-31T10:00:00Z"
    assert config["mlops:tagged"] == "2024-02-01"
    assert json.loads(config["mlops:tags"]) == {"created": "2024-03-01"}


def test_booleans_are_passed_as_true_and_false(tmp_path: Path) -> None:
    config = passed(tmp_path, "config:\n  mlops:a: True\n  mlops:b: FALSE\n  mlops:c: true\n")

    assert (config["mlops:a"], config["mlops:b"], config["mlops:c"]) == ("true", "false", "true")


def test_structures_are_passed_as_compact_json_with_sorted_keys(tmp_path: Path) -> None:
    config = passed(tmp_path, "config:\n  mlops:storage: {replication: ZRS, days: 7, on: [x]}\n")

    assert config["mlops:storage"] == '{"days":7,"on":["x"],"replication":"ZRS"}'


def test_numbers_follow_go_yaml(tmp_path: Path) -> None:
    config = passed(
        tmp_path,
        "config:\n  mlops:n: {a: 4.0, b: 0x10, c: 1_000, d: 017, e: 0o17, f: 1e3, g: 1.5}\n",
    )

    assert json.loads(config["mlops:n"]) == {
        "a": 4,
        "b": 16,
        "c": 1000,
        "d": 15,
        "e": 15,
        "f": 1000,
        "g": 1.5,
    }


def test_quoted_values_stay_strings(tmp_path: Path) -> None:
    config = passed(tmp_path, "config:\n  mlops:n: {a: '4', b: \"true\"}\n")

    assert json.loads(config["mlops:n"]) == {"a": "4", "b": "true"}


def test_an_empty_value_is_passed_as_an_empty_string(tmp_path: Path) -> None:
    assert passed(tmp_path, "config:\n  mlops:tags:\n")["mlops:tags"] == ""


def test_keys_without_a_namespace_get_the_project_s(tmp_path: Path) -> None:
    assert f"{PROJECT}:prefix" in passed(tmp_path, "config:\n  prefix: contoso\n")


def test_secure_values_are_placeholders_listed_as_secret(tmp_path: Path) -> None:
    config, secret = file_config(
        stack_file(
            tmp_path,
            """
            config:
              mlops:token: {secure: v1:abc}
              mlops:tags: {owner: me, key: {secure: v1:def}}
            """,
        )
    )

    assert config["mlops:token"] == SECRET_PLACEHOLDER
    assert json.loads(config["mlops:tags"])["key"] == SECRET_PLACEHOLDER
    assert set(secret) == {"mlops:token", "mlops:tags"}


def test_anchors_and_merge_keys_are_resolved(tmp_path: Path) -> None:
    config = passed(
        tmp_path,
        """
        config:
          mlops:base: &base {vmSize: Standard_DS3_v2, maxNodes: 2}
          mlops:cluster: {<<: *base, maxNodes: 4}
        """,
    )

    assert json.loads(config["mlops:cluster"]) == {"maxNodes": 4, "vmSize": "Standard_DS3_v2"}


def test_a_duplicate_key_names_the_key_the_file_and_both_lines(tmp_path: Path) -> None:
    path = stack_file(tmp_path, "config:\n  mlops:prefix: a\n  mlops:tags: {}\n  mlops:prefix: b\n")

    with pytest.raises(StackFileError) as raised:
        file_config(path)

    assert str(raised.value).startswith(f"{path}:4: duplicate key 'mlops:prefix'")
    assert "line 2" in str(raised.value)


def test_a_duplicate_key_inside_a_structure_is_an_error(tmp_path: Path) -> None:
    path = stack_file(tmp_path, "config:\n  mlops:tags:\n    owner: a\n    owner: b\n")

    with pytest.raises(StackFileError, match=r":4: duplicate key 'owner'"):
        file_config(path)


def test_a_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    path = stack_file(tmp_path, "config:\n  mlops:tags: [a, b\n  mlops:prefix: x\n")

    with pytest.raises(StackFileError) as raised:
        file_config(path)

    assert str(raised.value).startswith(f"{path}:3:")
    assert "invalid YAML" in str(raised.value)


def test_a_number_json_cannot_hold_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(StackFileError, match=r":2: mlops:ratio: .*\.nan and \.inf"):
        file_config(stack_file(tmp_path, "config:\n  mlops:ratio: .nan\n"))


def test_config_that_is_not_a_map_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(StackFileError, match=r":1: config must be a map"):
        file_config(stack_file(tmp_path, "config: [a, b]\n"))


def test_aliases_expanding_exponentially_are_refused(tmp_path: Path) -> None:
    levels = ["mlops:a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for name, previous in zip("bcdef", "abcde", strict=True):
        levels.append(f"mlops:{name}: &{name} [{', '.join([f'*{previous}'] * 10)}]")
    path = stack_file(tmp_path, "config:\n" + "".join(f"  {line}\n" for line in levels))

    with pytest.raises(StackFileError, match=r"aliases expand to over"):
        file_config(path)


def test_values_nested_too_deeply_are_an_error_not_a_crash(tmp_path: Path) -> None:
    # Each level is two nested calls of the reader (the value and its list): past Python's
    # recursion limit. No deeper: the YAML scanner's time grows with the square of the depth.
    depth = sys.getrecursionlimit() // 2 + 100
    path = stack_file(tmp_path, "config:\n  mlops:x: " + "[" * depth + "]" * depth + "\n")

    with pytest.raises(StackFileError, match="nested too deeply"):
        file_config(path)


def test_yes_reaches_the_program_as_a_string_and_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = stack_file(
        tmp_path,
        """
        config:
          azure-native:location: westeurope
          mlops:prefix: contoso
          mlops:protect: yes
        """,
    )

    assert main(["--config-file", str(path)]) == 1
    assert "mlops:protect: must be true or false, got 'yes'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("config:\n  mlops:prefix: a\n  mlops:prefix: b\n", ":3: duplicate key 'mlops:prefix'"),
        ("config:\n  mlops:tags: {a: 1\n", ":3:"),
    ],
    ids=["duplicate-key", "syntax-error"],
)
def test_a_bad_stack_file_ends_the_preview_with_its_message_and_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, expected: str
) -> None:
    # In process: the command's own exit status and streams, as a process, are specified in
    # tests/test_preview.py (one command run per outcome).
    path = stack_file(tmp_path, body)

    status = main(["--config-file", str(path)])

    captured = capsys.readouterr()
    assert status == 1
    assert captured.out == ""
    assert captured.err.startswith(f"{path}{expected}")
    assert "Traceback" not in captured.err
