"""1. Start-up: wall time of `--version`, `--help` (and the peer CLI's), `status ID` on loopback;
where the time goes (`python -X importtime`, cProfile)."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from typing import Any

from harness import SEEDANCE, VENV_BIN, WORK, Check, Section, Sim, World, median, run, table

from seedance.sim.app import SimConfig

RUNS = 25  # timed runs of each command, interleaved, after WARMUP untimed ones
WARMUP = 3
PEER_DIR = VENV_BIN.parent / "peer"  # zjandrew-seedance-cli and click (see bench/run)
PEER = str(PEER_DIR / "bin" / "seedance-cli")
PYTHON = str(VENV_BIN / "python")
HEAVY = ("typer", "rich", "pydantic", "httpx", "click", "sqlite3", "seedance.sim", "av")


@dataclass
class ImportLine:
    self_us: int
    cumulative_us: int
    depth: int
    name: str


def import_profile(argv: list[str], entry: str, env: dict[str, str]) -> list[ImportLine]:
    """`python -X importtime` of one command run as its console script runs it (`entry` =
    "module:function"): the modules it imported (failed attempts, which importtime also
    lists, left out)."""
    module, function = entry.split(":")
    loaded = WORK / "startup" / "modules.txt"
    code = (
        "import atexit, sys; "
        f"atexit.register(lambda: open({str(loaded)!r}, 'w').write(chr(10).join(sys.modules))); "
        f"sys.argv = {argv!r}; from {module} import {function}; {function}()"
    )
    done = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    imported = set(loaded.read_text().split("\n"))
    found = []
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if match and match[4] in imported:
            depth = (len(match[3]) - 1) // 2
            found.append(ImportLine(int(match[1]), int(match[2]), depth, match[4]))
    return found


PROBE = """
import atexit, json, os, sys
OUT = sys.argv.pop()
sys.argv = ["seedance", *sys.argv[1:]]
def probe():
    models, flags = sys.modules.get("seedance.domain.models"), []
    if models is not None:
        from pydantic import BaseModel
        for value in vars(models).values():
            if (isinstance(value, type) and issubclass(value, BaseModel)
                    and value.__module__ == models.__name__):
                flags.append(bool(value.model_config.get("defer_build")))
    json.dump({"plugins": os.environ.get("PYDANTIC_DISABLE_PLUGINS"), "models": len(flags),
               "deferred": sum(flags)}, open(OUT, "w"))
atexit.register(probe)
from seedance.cli.entry import main
main()
"""


def runtime_probe(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """What the real `seedance ARGS` process had set up by its end: pydantic's plugin switch
    and how many of seedance's models defer building their schemas."""
    out = WORK / "startup" / "probe.json"
    subprocess.run(
        [PYTHON, "-c", PROBE, *args, str(out)],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    return dict(json.loads(out.read_text()))


def _total_ms(lines: list[ImportLine]) -> float:
    return sum(x.cumulative_us for x in lines if x.depth == 0) / 1000


def _package_ms(lines: list[ImportLine]) -> dict[str, float]:
    """Import time (self) per top-level package, wherever in the tree it was imported."""
    totals: dict[str, float] = {}
    for x in lines:
        root = x.name.split(".")[0]
        totals[root] = totals.get(root, 0.0) + x.self_us / 1000
    return totals


# Where `status ID` spends its time: each step timed in a fresh process, in the order the
# command needs them (what a step imports is not counted again by the next).
STAGES = """
import json, sys, time
marks = [("start", time.perf_counter())]
def mark(label):
    marks.append((label, time.perf_counter()))
import typer; mark("import typer")
from pydantic import BaseModel; mark("import pydantic (BaseModel)")
import seedance.domain.models; mark("import seedance.domain.models (the pydantic models)")
import httpx; mark("import httpx")
import sqlite3; mark("import sqlite3")
import seedance.cli.app; mark("import seedance.cli.app (the Typer app)")
import seedance.services.client; mark("import seedance.services.client (providers, catalogue, ...)")
import ssl
loads = []
original = ssl.SSLContext.load_verify_locations
def counted(self, *args, **kwargs):
    loads.append(1)
    return original(self, *args, **kwargs)
ssl.SSLContext.load_verify_locations = counted
from seedance.cli.app import cli
try:
    cli.main(args=["status", sys.argv[1]], prog_name="seedance")
except SystemExit:
    pass
mark("run `status ID` (parse, profile, client, HTTP read, output)")
ssl.SSLContext.load_verify_locations = original
marks.append((f"CA bundles loaded by the command: {len(loads)}", marks[-1][1]))
t0 = time.perf_counter(); httpx.Client(); t1 = time.perf_counter(); httpx.Client(verify=False)
marks.append(("httpx.Client(): verifying SSL context", t1 - t0 + marks[-1][1]))
marks.append(("httpx.Client(verify=False)", time.perf_counter() - t1 + marks[-1][1]))
open(sys.argv[2], "w").write(json.dumps([(k, b - a) for (_, a), (k, b) in zip(marks, marks[1:])]))
"""


def stage_times(task_id: str, env: dict[str, str], runs: int = 5) -> dict[str, float]:
    """Median milliseconds of each step of STAGES over `runs` fresh processes."""
    out = WORK / "startup" / "stages.json"
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        subprocess.run(
            [PYTHON, "-c", STAGES, task_id, str(out)],
            env=env,
            capture_output=True,
            timeout=60,
            check=True,
        )
        for label, seconds in json.loads(out.read_text()):
            samples.setdefault(label, []).append(seconds * 1000)
    return {label: median(values) for label, values in samples.items()}


def benchmark() -> Section:
    section = Section("1. Start-up")
    with Sim(SimConfig(queue_seconds=0, run_seconds=0, generate_media=False)) as sim:
        world = World("startup", sim.origin)
        task_id = world.seedance("create", "a paper boat at dawn").check("create").stdout.strip()
        peer_env = {**world.env, "PYTHONPATH": str(PEER_DIR)}
        commands = {
            "seedance --version": ([SEEDANCE, "--version"], world.env),
            "seedance --help": ([SEEDANCE, "--help"], world.env),
            "seedance-cli --help (peer)": ([PEER, "--help"], peer_env),
            "seedance status ID": ([SEEDANCE, "status", task_id], world.env),
            "seedance status ID, click importable": ([SEEDANCE, "status", task_id], peer_env),
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for i in range(WARMUP + RUNS):
            for name, (cmd, env) in commands.items():
                result = run(cmd, env=env, cwd=world.root, timeout=30).check(name)
                if i >= WARMUP:
                    times[name].append(result.wall)
        mine, peers = "seedance.cli.entry:main", "seedance_cli.__main__:main"
        profiles = {
            "seedance --version": import_profile(["seedance", "--version"], mine, world.env),
            "seedance --help": import_profile(["seedance", "--help"], mine, world.env),
            "seedance status ID": import_profile(["seedance", "status", task_id], mine, world.env),
            "seedance status ID, click importable": import_profile(
                ["seedance", "status", task_id], mine, peer_env
            ),
            "seedance-cli --help (peer)": import_profile(
                ["seedance-cli", "--help"], peers, peer_env
            ),
        }
        stages = stage_times(task_id, world.env)
        probe = runtime_probe(["status", task_id], world.env)

    ms = {name: median(values) * 1000 for name, values in times.items()}
    version, helps, peer, status = (ms[n] for n in list(commands)[:4])
    section.checks += [
        Check(
            "start-up",
            "`seedance --version` median ≤ 50 ms",
            f"{version:.1f} ms",
            version <= 50,
            miss=f"+{version - 50:.1f} ms",
            why="`--version` should import nothing but seedance",
        ),
        Check(
            "start-up",
            "`seedance --help` ≤ the peer's `seedance-cli --help`",
            f"{helps:.1f} ms vs peer {peer:.1f} ms",
            helps <= peer,
            miss=f"+{helps - peer:.1f} ms ({helps / peer - 1:+.0%})",
            why=_why_help(profiles),
        ),
        Check(
            "start-up",
            "`seedance status ID` on loopback ≤ 150 ms",
            f"{status:.1f} ms",
            status <= 150,
            miss=f"+{status - 150:.1f} ms ({status / 150:.1f}×)",
            why=_why_status(stages, profiles, ms, probe),
        ),
    ]
    rows = []
    for name, values in times.items():
        ordered = sorted(values)
        rows.append(
            [
                f"`{name}`",
                len(values),
                f"{ordered[0] * 1000:.1f}",
                f"{median(values) * 1000:.1f}",
                f"{ordered[int(len(ordered) * 0.9) - 1] * 1000:.1f}",
            ]
        )
    section.body += [
        f"{RUNS} timed runs of each command (after {WARMUP} untimed), interleaved; wall time of "
        "the whole child process, measured by the bench. `status ID` reads a task from the "
        "simulator on 127.0.0.1. The peer is installed with `--no-deps` next to the bench venv, "
        'with click (bench/run explains why); "click importable" runs seedance with that '
        "directory on PYTHONPATH, as in any environment that also has click installed.",
        "",
        *table(["command", "runs", "min ms", "median ms", "p90 ms"], rows),
        "",
        "Import-time profile (`python -X importtime`): total import time, modules, and import "
        "time (self) per top-level package.",
        "",
    ]
    rows = []
    for name, lines in profiles.items():
        ranked = sorted(_package_ms(lines).items(), key=lambda kv: -kv[1])[:7]
        heavy = [h for h in HEAVY if any(x.name == h or x.name.startswith(h + ".") for x in lines)]
        rows.append(
            [
                f"`{name}`",
                f"{_total_ms(lines):.1f}",
                len(lines),
                ", ".join(f"{k} {v:.1f}" for k, v in ranked),
                ", ".join(heavy) or "—",
            ]
        )
    section.body += table(
        ["command", "import ms", "modules", "per package (ms)", "heavy packages loaded"], rows
    )
    status_lines = profiles["seedance status ID"]
    section.body += ["", "Top 15 imports of `seedance status ID` by cumulative time:", ""]
    section.body += table(
        ["module", "cumulative ms", "self ms"],
        [
            [f"`{x.name}`", f"{x.cumulative_us / 1000:.1f}", f"{x.self_us / 1000:.1f}"]
            for x in sorted(status_lines, key=lambda x: -x.cumulative_us)[:15]
        ],
    )
    section.body += [
        "",
        "Where `seedance status ID` spends its time: its steps timed one after the other in a "
        "fresh process (median of 5; each step counts only what the steps before it did not "
        "already load), after the interpreter's own start (≈ the `--version` time). The "
        "steps run outside `cli/entry.py`, so without the settings it makes before loading "
        "the app; the import profile above is of the real entry point.",
        "",
        *table(
            ["step", "ms"],
            [
                [label, "" if label.startswith("CA bundles") else f"{ms:.1f}"]
                for label, ms in stages.items()
            ],
        ),
    ]
    section.raw = {
        "ms": ms,
        "stages": stages,
        "imports": {name: _total_ms(lines) for name, lines in profiles.items()},
    }
    return section


def _self_ms(lines: list[ImportLine], name: str) -> float:
    return next((x.self_us / 1000 for x in lines if x.name == name), 0.0)


def _why_help(profiles: dict[str, list[ImportLine]]) -> str:
    mine, peer = profiles["seedance --help"], profiles["seedance-cli --help (peer)"]
    packages = _package_ms(mine)
    app = _self_ms(mine, "seedance.cli.app")
    markdown = packages.get("markdown_it", 0.0) + packages.get("mdurl", 0.0)
    return (
        f"`seedance --help` imports {_total_ms(mine):.0f} ms of modules, the peer "
        f"{_total_ms(peer):.0f} ms; the rest of the gap is work at run time. "
        f"(1) `seedance.cli.app` spends {app:.0f} ms of its own at import in "
        "`cli = typer.main.get_command(app)`, which converts every command of every group "
        "(~20 functions, each signature inspected) before Click knows which one runs. "
        + (
            "(2) Typer's Rich help (`typer.rich_utils`) imports `rich.markdown`, hence "
            f"markdown-it ({markdown:.0f} ms), though seedance's help has no Markdown. "
            if markdown >= 1
            else ""
        )
        + "Proposed change in "
        "src/seedance/cli/app.py: a lazy group — `list_commands` from a static table of names "
        "and one-line help (enough for the top-level `--help`), `get_command(name)` importing "
        "and converting only that command's module (`cli` stays a module attribute, built on "
        f"first use, for tests and completions). Expected: most of the {app:.0f} ms go for "
        "every command, which brings `--help` to about the peer's time."
    )


def _cumulative_ms(lines: list[ImportLine], name: str) -> float:
    return next((x.cumulative_us / 1000 for x in lines if x.name == name), 0.0)


def _why_status(
    stages: dict[str, float],
    profiles: dict[str, list[ImportLine]],
    ms: dict[str, float],
    probe: dict[str, Any],
) -> str:
    status, status_click = ms["seedance status ID"], ms["seedance status ID, click importable"]
    step = {label.split(" (")[0].split(":")[0]: value for label, value in stages.items()}
    loads = next((int(k.rsplit(" ", 1)[1]) for k in stages if k.startswith("CA bundles")), 0)
    ssl_ms = step["httpx.Client()"] - step["httpx.Client(verify=False)"]
    app = step["import seedance.cli.app"]
    models = step["import seedance.domain.models"]
    plugins = _cumulative_ms(profiles["seedance status ID"], "pydantic.plugin._loader")
    floor = ms["seedance --version"] + step["import typer"] + step["import pydantic"]
    floor += step["import httpx"]
    text = (
        f"Of the {status:.0f} ms (steps in the table below): the interpreter "
        f"~{ms['seedance --version']:.0f} ms, Typer {step['import typer']:.0f} ms, pydantic "
        f"{step['import pydantic']:.0f} ms, seedance's models {models:.0f} ms, httpx "
        f"{step['import httpx']:.0f} ms, `seedance.cli.app` {app:.0f} ms, "
        "`seedance.services.client` "
        f"{step['import seedance.services.client']:.0f} ms, running the command "
        f"{step['run `status ID`']:.0f} ms. "
    )
    fixes: list[tuple[str, float]] = []
    if loads:
        fixes.append(
            (
                "src/seedance/providers/http.py — the command loads certifi's CA bundle into an "
                f"SSL context ({loads}×, ≈{ssl_ms:.0f} ms each) though every URL is http:// on "
                "loopback: build the TLS transport on the first https request",
                loads * ssl_ms,
            )
        )
    if app > 8:
        fixes.append(
            (
                "src/seedance/cli/app.py — a lazy command group (`get_command(name)` converts only "
                "the command that runs)",
                0.7 * app,
            )
        )
    if probe.get("deferred", 0) < probe.get("models", 0):
        fixes.append(
            (
                "src/seedance/domain/models.py — `ConfigDict(defer_build=True)` on the models, "
                "so a "
                f"command builds only the schemas it uses ({probe.get('deferred')} of "
                f"{probe.get('models')} defer now)",
                0.5 * models,
            )
        )
    if not probe.get("plugins"):
        fixes.append(
            (
                "cli/entry.py — `os.environ.setdefault('PYDANTIC_DISABLE_PLUGINS', '__all__')`: "
                "pydantic's plugin discovery scans every installed distribution's entry points "
                "(measured under importtime)",
                plugins,
            )
        )
    saved = sum(gain for _, gain in fixes)
    if fixes:
        text += (
            "Proposed: "
            + "; ".join(
                f"({i}) {what} (≈−{gain:.0f} ms)" for i, (what, gain) in enumerate(fixes, 1)
            )
            + f". Together ≈{saved:.0f} ms, to ≈{status - saved:.0f} ms. "
        )
    if status - saved > 150:
        typer_ms = step["import typer"]
        pyd_ms = step["import pydantic"] + models
        without_typer = status - saved - typer_ms - 10
        text += (
            (
                "What is left after those"
                if fixes
                else "The start-up fixes are in (the process loads no CA bundle, "
                f"{probe.get('deferred')} of {probe.get('models')} models defer their schemas, "
                "pydantic's plugin scan is off, the exit skips the interpreter's last "
                "collection over every imported object); what is left"
            )
            + f" is mostly the libraries the design chose: Typer {typer_ms:.0f} ms to import "
            "(and a pydantic TypeAdapter per parameter when it parses), pydantic "
            f"{step['import pydantic']:.0f} ms + the models {models:.0f} ms, httpx "
            f"{step['import httpx']:.0f} ms (httpcore follows at the first request), the "
            f"interpreter {ms['seedance --version']:.0f} ms. 150 ms needs `status` (and "
            "`wait`, `download`) to start without Typer — a small argparse path in "
            "cli/entry.py for these commands, as it already has for `__complete` (≈−"
            f"{typer_ms + 10:.0f} ms, to ≈{without_typer:.0f} ms) — "
            + (
                "which alone meets the target. "
                if without_typer <= 150
                else "and also to read the task without pydantic on that path (the provider's "
                f"JSON into a plain dataclass, `Task` built only when asked; ≈−{pyd_ms:.0f} ms, "
                f"to ≈{without_typer - pyd_ms:.0f} ms). "
            )
        )
    if status_click - status > 15:
        text += (
            "Apart from the target: where click is installed (common), `import httpx` also "
            "imports httpx's own command-line tool (click, rich, pygments): `status` then takes "
            f"{status_click:.0f} ms instead of {status:.0f} ms; "
            "`sys.modules.setdefault('httpx._main', None)` before the first `import httpx` "
            "(providers/http.py) makes httpx skip it (it guards that import with `except "
            "ImportError`)."
        )
    return text
