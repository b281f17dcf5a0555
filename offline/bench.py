"""Benchmark of the offline preview (``make bench``): wall time and peak memory, never a test.

For each stack: the offline preview (``python -m offline.preview --stack <stack>``) against a
floor process that only imports pulumi and the provider modules the program imports, and their
ratio (target: at most 1.5). Then a scale run on generated dev configs of 10, 100 and 1,000
resources (datastores, compute instances, clusters, online and batch endpoints), reporting the
time per resource of the preview's own work (running the program and rendering the plan,
imports excluded; target: flat within 2x from 10 to 1,000).

Every measurement is a fresh subprocess; peak memory is its maximum resident set size
(``os.wait4``). ``--write docs/benchmarks.md`` replaces the results block in that file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from offline.imports import program_modules, run_one_shot

ROOT: Final = Path(__file__).resolve().parent.parent
RATIO_TARGET: Final = 1.5
FLATNESS_TARGET: Final = 2.0
DEFAULT_SIZES: Final = (10, 100, 1000)
BEGIN: Final = "<!-- bench:begin -->"
END: Final = "<!-- bench:end -->"


def floor_code(modules: Sequence[str]) -> str:
    """A program that imports pulumi and loads each module, as the preview does up front."""
    return (
        "import importlib\n"
        "import pulumi\n"
        f"for name in {list(modules)!r}:\n"
        "    for candidate in (name, name.rpartition('.')[0]):\n"
        "        try:\n"
        "            getattr(importlib.import_module(candidate), '__all__', None)\n"
        "            break\n"
        "        except ImportError:\n"
        "            continue\n"
    )


# -- measuring ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    wall: float
    peak_kb: int
    stdout: str


def measure(command: Sequence[str]) -> Sample:
    """Wall time and peak RSS of one subprocess, which must succeed."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} exited {process.returncode}:\n{err.read().decode()}"
            )
        peak = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss
        return Sample(wall, int(peak), out.read().decode())


@dataclass(frozen=True)
class Series:
    samples: tuple[Sample, ...]

    @property
    def wall(self) -> float:
        return statistics.median(s.wall for s in self.samples)

    @property
    def best(self) -> float:
        return min(s.wall for s in self.samples)

    @property
    def peak_mb(self) -> float:
        return statistics.median(s.peak_kb for s in self.samples) / 1024


def series(command: Sequence[str], repeat: int) -> Series:
    return Series(tuple(measure(command) for _ in range(repeat)))


def interleaved(commands: Sequence[Sequence[str]], repeat: int) -> list[Series]:
    """Commands run round-robin, so a busy moment on the machine hits each of them alike."""
    samples: list[list[Sample]] = [[] for _ in commands]
    for _ in range(repeat):
        for index, command in enumerate(commands):
            samples[index].append(measure(command))
    return [Series(tuple(found)) for found in samples]


# -- the scale run --------------------------------------------------------------------------------


def scale_config(units: int) -> dict[str, Any]:
    """dev's config with ``units`` x (1 datastore, 2 instances, 1 cluster, 2 endpoints).

    One unit is 10 resources today: a datastore and its role assignment, two compute instances,
    a training cluster, an online endpoint, and a batch endpoint with its cluster and two role
    assignments.
    """
    import yaml  # noqa: PLC0415 - only the scale run needs it

    document = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8"))
    config: dict[str, Any] = dict(document["config"])
    config["mlops:datastores"] = [
        {
            "name": f"data_{i:04d}",
            "storageAccountId": (
                f"/subscriptions/00000000-0000-0000-0000-{i:012x}/resourceGroups/rg-data"
                f"/providers/Microsoft.Storage/storageAccounts/stdata{i:04d}"
            ),
            "kind": "adlsGen2" if i % 2 else "blob",
            "container": f"data-{i:04d}",
            "readOnly": True,
        }
        for i in range(units)
    ]
    config["mlops:computeInstances"] = [
        {
            "name": f"ci-{i:04d}{half}",
            "vmSize": "Standard_DS3_v2",
            "assignedUserObjectId": f"00000000-0000-0000-0001-{i:012x}",
            "idleShutdownMinutes": 60,
        }
        for i in range(units)
        for half in "ab"
    ]
    config["mlops:computeClusters"] = [
        {"name": f"cl-{i:04d}", "vmSize": "Standard_DS3_v2", "maxNodes": 2} for i in range(units)
    ]
    config["mlops:endpoints"] = [
        endpoint
        for i in range(units)
        for endpoint in (
            {"name": f"ep-{i:04d}", "kind": "online", "purpose": "scoring"},
            {
                "name": f"bt-{i:04d}",
                "kind": "batch",
                "purpose": "preprocessing",
                "cluster": {"vmSize": "Standard_DS3_v2", "maxNodes": 2},
            },
        )
    ]
    return {"config": config}


def _print_child(config_file: Path) -> int:
    print(json.dumps(child(config_file, time.perf_counter())))
    return 0


def child(config_file: Path, start: float) -> dict[str, Any]:
    """In a one-shot process, as the preview command: imports (since ``start``), then work."""
    from offline.plan import Plan  # noqa: PLC0415
    from offline.preview import render_text, run_stack  # noqa: PLC0415

    imported = time.perf_counter()
    run = run_stack("dev", config_file=config_file)
    ran = time.perf_counter()
    text = render_text(Plan(run))
    rendered = time.perf_counter()
    return {
        "resources": sum(1 for r in run.resources if r.custom),
        "registered": len(run.resources),
        "imports": imported - start,
        "run": ran - imported,
        "render": rendered - ran,
        "lines": text.count("\n"),
    }


@dataclass(frozen=True)
class ScalePoint:
    requested: int
    resources: int  # custom resources registered, the base stack's included
    work: float  # median seconds running the program and rendering, imports excluded
    wall: float
    peak_mb: float

    @property
    def per_resource_ms(self) -> float:
        return 1000 * self.work / self.resources

    def marginal_ms(self, base: ScalePoint) -> float:
        """Time per generated resource: what this size costs beyond the base stack."""
        added = self.resources - base.resources
        return 1000 * (self.work - base.work) / added if added > 0 else float("nan")


def scale_point(requested: int, repeat: int) -> ScalePoint:
    import yaml  # noqa: PLC0415

    units = requested // 10
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Pulumi.dev.yaml"
        path.write_text(yaml.safe_dump(scale_config(units), sort_keys=False), encoding="utf-8")
        command = [sys.executable, "-m", "offline.bench", "--child", str(path)]
        found = series(command, repeat)
    reports = [json.loads(s.stdout) for s in found.samples]
    work = statistics.median(r["run"] + r["render"] for r in reports)
    return ScalePoint(requested, reports[0]["resources"], work, found.wall, found.peak_mb)


# -- report ---------------------------------------------------------------------------------------


def machine() -> list[str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor() or "unknown"
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    from importlib.metadata import version  # noqa: PLC0415

    return [
        f"- CPU: {model}, {os.cpu_count()} logical CPUs (nproc)",
        f"- Memory: {memory}",
        f"- OS: {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}, pulumi {version('pulumi')}, "
        f"pulumi-azure-native {version('pulumi-azure-native')}",
    ]


def _verdict(ok: bool) -> str:
    return "meets target" if ok else "MISSES target"


def report(repeat: int, scale_repeat: int, sizes: Sequence[int], stacks: Sequence[str]) -> str:
    modules = program_modules()
    python = sys.executable
    # The preview leaves with os._exit (no interpreter teardown): the strict floor does too.
    commands = [
        [python, "-c", floor_code(modules)],
        [python, "-c", floor_code(modules) + "import os\nos._exit(0)\n"],
    ]
    commands += [[python, "-m", "offline.preview", "--stack", stack] for stack in stacks]
    plain, floor, *previews = interleaved(commands, repeat)
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} with `make bench`: median of {repeat} fresh "
        "processes each, floor and previews run round-robin.",
        "",
        *machine(),
        "",
        "Floor: a process that only imports pulumi and loads "
        + ", ".join(f"`{m}`" for m in modules)
        + " (what the program imports).",
        "",
        "| Process | Wall time (median) | Best | Peak RSS | Ratio to floor |",
        "|---|--:|--:|--:|--:|",
        f"| floor: imports, then exit with `os._exit` as the preview does | {floor.wall:.2f} s "
        f"| {floor.best:.2f} s | {floor.peak_mb:.0f} MB | 1.00 |",
        f"| floor: imports, then a normal exit (interpreter teardown) | {plain.wall:.2f} s "
        f"| {plain.best:.2f} s | {plain.peak_mb:.0f} MB | {plain.wall / floor.wall:.2f} |",
    ]
    worst = 0.0
    for stack, found in zip(stacks, previews, strict=True):
        ratio = found.wall / floor.wall
        worst = max(worst, ratio)
        lines.append(
            f"| preview `{stack}` (what `make preview` runs) | {found.wall:.2f} s "
            f"| {found.best:.2f} s "
            f"| {found.peak_mb:.0f} MB | {ratio:.2f} |"
        )
    lines += [
        "",
        f"Worst ratio {worst:.2f} (target at most {RATIO_TARGET}): "
        f"{_verdict(worst <= RATIO_TARGET)}.",
        "",
        f"Scale (median of {scale_repeat} processes each): dev's config with N generated "
        "resources (datastores with their role assignments, compute instances, clusters, online "
        "endpoints, batch endpoints with their cluster and role assignments). Work is the "
        "preview's own time, imports excluded: running the program under the mock engine and "
        "rendering the plan. Per generated resource = (work(N) - work(0)) / N.",
        "",
        "| N | Resources | Work (median) | Per resource | Per generated resource "
        "| Wall time | Peak RSS |",
        "|--:|--:|--:|--:|--:|--:|--:|",
    ]
    base, *points = [scale_point(n, scale_repeat) for n in (0, *sizes)]
    for point in (base, *points):
        marginal = "-" if point is base else f"{point.marginal_ms(base):.1f} ms"
        lines.append(
            f"| {point.requested} | {point.resources} | {point.work:.2f} s "
            f"| {point.per_resource_ms:.1f} ms | {marginal} | {point.wall:.2f} s "
            f"| {point.peak_mb:.0f} MB |"
        )
    per = [p.marginal_ms(base) for p in points]
    spread = max(per) / min(per) if per and min(per) > 0 else float("inf")
    lines += [
        "",
        f"Time per generated resource varies {spread:.2f}x from N={sizes[0]} to N={sizes[-1]} "
        f"(target at most {FLATNESS_TARGET}x): {_verdict(spread <= FLATNESS_TARGET)}.",
    ]
    return "\n".join(lines) + "\n"


def write_block(path: Path, block: str) -> None:
    """Replace the text between the bench markers in ``path`` (appended when absent)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    wrapped = f"{BEGIN}\n{block}{END}"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + wrapped + tail
    else:
        text = (text.rstrip() + "\n\n" if text else "") + wrapped + "\n"
    path.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline.bench", description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="processes per stack measurement")
    parser.add_argument(
        "--scale-repeat", type=int, default=3, help="processes per scale measurement"
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--stacks", nargs="+", help="stacks to measure (default: all)")
    parser.add_argument("--write", type=Path, help="also write the results into this file")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        run_one_shot(lambda: _print_child(args.child))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from offline.engine import stacks  # noqa: PLC0415

    block = report(args.repeat, args.scale_repeat, args.sizes, args.stacks or stacks())
    sys.stdout.write(block)
    if args.write is not None:
        write_block(args.write, block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
