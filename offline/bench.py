"""Benchmark of the offline preview (``make bench``): wall time and peak memory, never a test.

For each stack: the offline preview (``python -m offline.preview --stack <stack>``) against its
import floor, a process that only imports what that preview imports (the modules it has loaded
when it exits, recorded from a run of it, in the order it loaded them) and exits as it does, and
their ratio (target: at most 1.05). Then a scale run on generated dev configs of 10, 100 and
1,000 resources (datastores, compute instances, clusters, online and batch endpoints),
reporting the time per resource of the preview's own work (running the program and rendering
the plan, imports excluded; target: flat within 2x from 10 to 1,000).

``--smoke`` (``make bench-smoke``, in CI) is the scale run's short form: one process, dev's
config at 0, 10 and 1,000 generated resources, CPU time; it fails (status 1) when the time per
generated resource at 1,000 is more than twice that at 10.

Every measurement is a fresh subprocess; peak memory is its maximum resident set size
(``os.wait4``). ``--write docs/benchmarks.md`` replaces the results block in that file.
"""

from __future__ import annotations

import argparse
import gc
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

from offline.imports import run_one_shot

ROOT: Final = Path(__file__).resolve().parent.parent
RATIO_TARGET: Final = 1.05
FLATNESS_TARGET: Final = 2.0
DEFAULT_SIZES: Final = (10, 100, 1000)
SMOKE_SIZES: Final = (10, 1000)
# Resources one unit of the scale config adds (``scale_config``).
UNIT_RESOURCES: Final = 19
SMOKE_REPEAT: Final = 7
BEGIN: Final = "<!-- bench:begin -->"
END: Final = "<!-- bench:end -->"

# A preview run as ``python -m offline.preview`` runs (a one-shot process from the start), that
# writes the modules it has loaded to the file named first, in the order it loaded them.
_RECORD_IMPORTS: Final = """
import json, os, runpy, sys
from offline.imports import loaded_modules, start_one_shot
start_one_shot()
record, *arguments = sys.argv[1:]
leave = os._exit
def _leave(status):
    with open(record, "w", encoding="utf-8") as file:
        json.dump(loaded_modules(), file)
    leave(status)
os._exit = _leave
sys.argv = ["offline.preview", *arguments]
runpy.run_module("offline.preview", run_name="__main__", alter_sys=True)
"""
# The floor: a one-shot process that imports the modules of the file named first, and leaves.
_FLOOR: Final = """
import json, os, sys
from offline.imports import import_all, start_one_shot
start_one_shot()
with open(sys.argv[1], encoding="utf-8") as file:
    import_all(json.load(file))
os._exit(0)
"""


def imported_by_preview(stack: str, record: Path) -> list[str]:
    """The modules a preview of ``stack`` loads (written to ``record``, the floor's input)."""
    command = [sys.executable, "-c", _RECORD_IMPORTS, str(record), "--stack", stack]
    measure([*command])
    modules = json.loads(record.read_text(encoding="utf-8"))
    return [name for name in modules if name != "__main__"]


# -- measuring ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    wall: float
    cpu: float
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
        cpu = usage.ru_utime + usage.ru_stime
        return Sample(wall, cpu, int(peak), out.read().decode())


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
    def cpu(self) -> float:
        return statistics.median(s.cpu for s in self.samples)

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
    """dev's config with one datastore and ``units`` x (2 instances, 1 cluster, 2 endpoints).

    The access matrix grants every compute identity, and each instance's user, every
    datastore: datastores that grew with the units would grow the stack as units². One
    datastore, and one user for all instances, keep it linear: a unit is ``UNIT_RESOURCES``
    resources (tests/test_bench.py counts them): two compute instances; a training cluster
    with its four role assignments (the datastore, the workspace storage); an online endpoint
    with its role assignment (the model registry) and its alert rules; a batch endpoint with
    its cluster and that cluster's five role assignments.
    """
    import yaml  # noqa: PLC0415 - only the scale run needs it

    document = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8"))
    config: dict[str, Any] = dict(document["config"])
    config["mlops:datastores"] = [
        {
            "name": "data_0000",
            "storageAccountId": (
                "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-data"
                "/providers/Microsoft.Storage/storageAccounts/stdata0000"
            ),
            "kind": "adlsGen2",
            "container": "data-0000",
            "readOnly": True,
        }
    ]
    config["mlops:computeInstances"] = [
        {
            "name": f"ci-{i:04d}{half}",
            "vmSize": "Standard_DS3_v2",
            "assignedUserObjectId": "00000000-0000-0000-0001-000000000001",
            "idleShutdownMinutes": 60,
        }
        for i in range(units)
        for half in "ab"
    ]
    config["mlops:computeClusters"] = [
        # Not cl-0000: a compute name may not end in a hyphen followed by digits only.
        {"name": f"cl-{i:04d}c", "vmSize": "Standard_DS3_v2", "maxNodes": 2}
        for i in range(units)
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


def units(requested: int) -> int:
    """Units of the scale config for about ``requested`` generated resources (at least one)."""
    return max(1, round(requested / UNIT_RESOURCES)) if requested else 0


def _write_scale_config(directory: Path, requested: int) -> Path:
    import yaml  # noqa: PLC0415 - only the scale runs need it

    path = directory / str(requested) / "Pulumi.dev.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    config = scale_config(units(requested))
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def child(config_file: Path, start: float) -> dict[str, Any]:
    """In a one-shot process, as the preview command: imports and first use (since ``start``),
    then the work.

    The program and the SDK load their modules on first use, and the SDK fills caches of its
    own (each input type's hints) then: dev's own config runs first, untimed, so that the work
    is the same for every size (the shared stack it references is evaluated then, once).
    """
    from offline.plan import Plan  # noqa: PLC0415
    from offline.preview import render_text, run_stack  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as tmp:
        run_stack("dev", config_file=_write_scale_config(Path(tmp), 0))
    gc.collect()
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


def _smoke_child() -> int:
    """The smoke run's measurements, in one one-shot process: CPU milliseconds per generated
    resource at each smoke size, beyond dev's config at 0. The small size's is the median of
    several runs, each paired with a run at 0 just before it (a few milliseconds of noise are
    a tenth of what 20 resources cost)."""
    from offline.plan import Plan  # noqa: PLC0415
    from offline.preview import render_text, run_stack  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as tmp:
        files = {n: _write_scale_config(Path(tmp), n) for n in (0, *SMOKE_SIZES)}

        def work(requested: int) -> tuple[float, int]:
            start = time.process_time()
            run = run_stack("dev", config_file=files[requested])
            render_text(Plan(run))
            spent = time.process_time() - start
            gc.collect()  # untimed: the collector stays off while the program runs
            return spent, sum(1 for r in run.resources if r.custom)

        work(0)  # first use (see ``child``)
        gc.freeze()  # what is loaded by now stays: the collections after each run skip it
        small, *_, large = SMOKE_SIZES
        bases: list[float] = []
        per_small: list[float] = []
        for _ in range(SMOKE_REPEAT):
            (base, base_count), (low, low_count) = work(0), work(small)
            bases.append(base)
            per_small.append(1000 * (low - base) / (low_count - base_count))
        high, high_count = work(large)
    per_large = 1000 * (high - statistics.median(bases)) / (high_count - base_count)
    found = {"small": statistics.median(per_small), "large": per_large, "resources": high_count}
    print(json.dumps(found))
    return 0


def smoke() -> int:
    """Fails (1) when the CPU time per generated resource at the largest smoke size is more than
    ``FLATNESS_TARGET`` times that at the smallest."""
    sample = measure([sys.executable, "-m", "offline.bench", "--smoke-child"])
    found = json.loads(sample.stdout)
    per_low, per_high = found["small"], found["large"]
    growth = per_high / per_low if per_low > 0 else float("inf")
    ok = growth <= FLATNESS_TARGET
    small, *_, large = SMOKE_SIZES
    print(
        f"bench smoke: CPU per generated resource {per_low:.1f} ms at N={small}, "
        f"{per_high:.1f} ms at N={large} ({found['resources']} resources): {growth:.2f}x "
        f"(target at most {FLATNESS_TARGET}x): {_verdict(ok)} ({sample.wall:.1f} s, peak RSS "
        f"{sample.peak_kb / 1024:.0f} MB)"
    )
    return 0 if ok else 1


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
    with tempfile.TemporaryDirectory() as tmp:
        path = _write_scale_config(Path(tmp), requested)
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


def preview_rows(repeat: int, stacks: Sequence[str]) -> tuple[list[str], float]:
    """Each stack's preview against its import floor: table rows, and the worst ratio."""
    python = sys.executable
    rows: list[str] = []
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        commands: list[list[str]] = []
        counts: list[int] = []
        for stack in stacks:
            record = Path(tmp) / f"{stack}.json"
            counts.append(len(imported_by_preview(stack, record)))
            commands.append([python, "-c", _FLOOR, str(record)])
            commands.append([python, "-m", "offline.preview", "--stack", stack])
        measured = interleaved(commands, repeat)
    for index, stack in enumerate(stacks):
        floor, preview = measured[2 * index], measured[2 * index + 1]
        ratio = preview.wall / floor.wall
        worst = max(worst, ratio)
        rows += [
            f"| `{stack}`: floor, its {counts[index]} modules imported | {floor.wall:.2f} s "
            f"| {floor.best:.2f} s | {floor.cpu:.2f} s | {floor.peak_mb:.0f} MB | 1.00 |",
            f"| `{stack}`: preview (what `make preview` runs) | {preview.wall:.2f} s "
            f"| {preview.best:.2f} s | {preview.cpu:.2f} s | {preview.peak_mb:.0f} MB "
            f"| **{ratio:.2f}** |",
        ]
    return rows, worst


def report(
    repeat: int,
    scale_repeat: int,
    sizes: Sequence[int],
    stacks: Sequence[str],
    command: str = "make bench",
) -> str:
    rows, worst = preview_rows(repeat, stacks)
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} in one run of `{command}`: median of {repeat} "
        "fresh processes each, floors and previews run round-robin.",
        "",
        *machine(),
        "",
        "Floor of a stack: a process that only imports the modules its preview has loaded when "
        "it exits (recorded from a run of it), in the same order and the same way (a one-shot "
        "process: `offline/imports.py`), then leaves with `os._exit` as the preview does.",
        "",
        "| Process | Wall time (median) | Best | CPU (median) | Peak RSS | Ratio to floor |",
        "|---|--:|--:|--:|--:|--:|",
        *rows,
        "",
        f"Worst ratio {worst:.2f} (target at most {RATIO_TARGET}): "
        f"{_verdict(worst <= RATIO_TARGET)}.",
        "",
        f"Scale (median of {scale_repeat} processes each): dev's config with one datastore "
        f"and about N generated resources, in units of {UNIT_RESOURCES} (compute instances, "
        "clusters, online endpoints, batch endpoints with their cluster, their role assignments "
        "and alert rules). Work is the preview's own time, imports and first use excluded (a "
        "run of dev's config first, in the same process): running the program under the mock "
        "engine and rendering the plan. Per generated resource = (work(N) - work(0)) / "
        "(resources(N) - resources(0)).",
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


def write_block(path: Path, block: str, markers: tuple[str, str] = (BEGIN, END)) -> None:
    """Replace the text between the markers in ``path`` (appended when absent)."""
    begin, end = markers
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    wrapped = f"{begin}\n{block}{end}"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = head + wrapped + tail
    else:
        text = (text.rstrip() + "\n\n" if text else "") + wrapped + "\n"
    path.write_text(text, encoding="utf-8")


# -- the first run on a fresh clone ---------------------------------------------------------------

FIRST_RUN_MARKERS: Final = ("<!-- first-run:begin -->", "<!-- first-run:end -->")
FIRST_RUN_TARGET: Final = 0.3
# What `pip install` of the runtime is compared with: the program's own providers and the SDK.
PIP_PACKAGES: Final = ("pulumi", "pulumi-azure-native", "pulumi-random")


def runtime_pins() -> list[str]:
    """``PIP_PACKAGES`` as pyproject.toml pins them."""
    import tomllib  # noqa: PLC0415

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = [pin for pin in declared["project"]["dependencies"] if "==" in pin]
    return [pin for pin in pins if pin.split("==")[0].strip() in PIP_PACKAGES]


def _without_uv(path: str) -> str:
    """PATH without the directories that hold a uv (the Makefile then installs its own)."""
    import shutil  # noqa: PLC0415

    kept = [entry for entry in path.split(os.pathsep) if not shutil.which("uv", path=entry)]
    return os.pathsep.join(kept)


def _timed(command: Sequence[str], cwd: Path, env: dict[str, str]) -> float:
    """Seconds ``command`` takes, started once the disk has written what came before (the
    other install's files, or their removal), so that neither pays for the other's writes."""
    os.sync()
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def _cold_env(cache: Path, bytecode: bool) -> dict[str, str]:
    """An environment with empty uv and pip caches, no uv on the PATH, and
    PYTHONDONTWRITEBYTECODE=1 or unset."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "VIRTUAL_ENV")
    }
    env.update(
        PATH=_without_uv(env.get("PATH", "")),
        XDG_CACHE_HOME=str(cache),
        UV_CACHE_DIR=str(cache / "uv"),
        PIP_CACHE_DIR=str(cache / "pip"),
    )
    if bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _pip_install(work: Path, bytecode: bool) -> float:
    """A cold ``pip install`` of the runtime pins into a new virtual environment (its creation
    untimed)."""
    env = _cold_env(work / "cache", bytecode)
    subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], env=env, check=True)
    pip = [str(work / "venv" / "bin" / "pip"), "install", "--quiet", *runtime_pins()]
    return _timed(pip, work, env)


def _clone(work: Path) -> Path:
    repo = work / "repo"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(repo)], check=True)
    return repo


def _first_preview(work: Path, bytecode: bool) -> float:
    """``make preview STACK=prod`` in a fresh clone, caches cold (the clone untimed)."""
    repo = _clone(work)
    return _timed(["make", "preview", "STACK=prod"], repo, _cold_env(work / "cache", bytecode))


def first_run(rounds: int) -> str:
    """The first run's report: pip against ``make preview`` on a fresh clone, round-robin, with
    and without PYTHONDONTWRITEBYTECODE; then its parts."""
    results: dict[bool, dict[str, list[float]]] = {b: {"pip": [], "uv": []} for b in (True, False)}
    for _ in range(rounds):
        for bytecode in (True, False):
            with tempfile.TemporaryDirectory() as tmp:
                results[bytecode]["pip"].append(_pip_install(Path(tmp), bytecode))
            with tempfile.TemporaryDirectory() as tmp:
                results[bytecode]["uv"].append(_first_preview(Path(tmp), bytecode))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        repo = _clone(work)
        env = _cold_env(work / "cache", bytecode=True)
        preview = [str(repo / ".venv/bin/python"), "-m", "offline.preview", "--stack", "prod"]
        parts = [
            ("uv from PyPI into `.tools/` (`make .tools/bin/uv`)", ["make", ".tools/bin/uv"]),
            ("lock check, download and link (`make runtime`)", ["make", "runtime"]),
            ("the first preview: its imports compiled and written", preview),
            ("a second preview (warm)", preview),
        ]
        timings = [(label, _timed(command, repo, env)) for label, command in parts]
        written = sum(1 for _ in (repo / ".venv").rglob("*.pyc"))
        sources = sum(1 for _ in (repo / ".venv").rglob("*.py"))
    pins = ", ".join(f"`{pin}`" for pin in runtime_pins())
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} in one run of "
        f"`python -m offline.bench --first-run --rounds {rounds}`, round-robin, on the machine "
        "of the results above. pip: `pip install` of "
        f"{pins} into a new virtual environment (its creation untimed). uv: `make preview "
        "STACK=prod` in a fresh clone of the repository's HEAD. Both with empty pip and uv "
        "caches and no uv on the PATH, each started once the disk has written what came before "
        "(`sync`).",
        "",
        "| PYTHONDONTWRITEBYTECODE | pip install (s) | first `make preview` (s) "
        "| Ratio (medians) |",
        "|---|---|---|--:|",
    ]
    worst = 0.0
    for bytecode in (True, False):
        pip, uv = results[bytecode]["pip"], results[bytecode]["uv"]
        ratio = statistics.median(uv) / statistics.median(pip)
        worst = max(worst, ratio)
        lines.append(
            f"| {'1' if bytecode else 'unset'} | {', '.join(f'{t:.1f}' for t in pip)} "
            f"| {', '.join(f'{t:.1f}' for t in uv)} | **{ratio:.2f}** |"
        )
    lines += [
        "",
        f"Worst ratio {worst:.2f} (target at most {FIRST_RUN_TARGET}): "
        f"{_verdict(worst <= FIRST_RUN_TARGET)}.",
        "",
        "The parts of a first run (another fresh clone, cold caches, PYTHONDONTWRITEBYTECODE=1):",
        "",
        "| Step | Time |",
        "|---|--:|",
        *(f"| {label} | {seconds:.1f} s |" for label, seconds in timings),
        "",
        f"Bytecode in `.venv` after them: {written} files, for {sources} Python modules.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline.bench", description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="processes per stack measurement")
    parser.add_argument(
        "--scale-repeat", type=int, default=3, help="processes per scale measurement"
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--stacks", nargs="+", help="stacks to measure (default: all)")
    parser.add_argument("--write", type=Path, help="also write the results into this file")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="the short form, for CI: fails when the time per resource grows more than "
        f"{FLATNESS_TARGET}x from {SMOKE_SIZES[0]} to {SMOKE_SIZES[-1]} resources",
    )
    parser.add_argument(
        "--first-run",
        action="store_true",
        help="instead: the first `make preview` of a fresh clone against `pip install` of the "
        "runtime, cold caches (minutes; network)",
    )
    parser.add_argument("--rounds", type=int, default=2, help="rounds of --first-run")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--smoke-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        run_one_shot(lambda: _print_child(args.child))
    if args.smoke_child:
        run_one_shot(_smoke_child)
    if args.smoke:
        return smoke()
    if args.first_run:
        block = first_run(args.rounds)
        sys.stdout.write(block)
        if args.write is not None:
            write_block(args.write, block, FIRST_RUN_MARKERS)
        return 0
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from offline.engine import stacks  # noqa: PLC0415

    given = list(sys.argv[1:] if argv is None else argv)
    command = " ".join(["python -m offline.bench", *given])
    block = report(args.repeat, args.scale_repeat, args.sizes, args.stacks or stacks(), command)
    sys.stdout.write(block)
    if args.write is not None:
        write_block(args.write, block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
