"""`seedance sim`: the local simulator server for trying seedance and for users' own CI."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from seedance.cli.app import current_env

if TYPE_CHECKING:
    from seedance.domain.errors import UsageError
    from seedance.sim.server import SimServer


def register(app: typer.Typer) -> None:
    app.command("sim")(sim)


# Stands in for publishing a local file (a frame to continue from, a reference): the
# simulator's asset library does not fetch the URL it is given, so a URL naming the file's
# bytes is all it needs. A real profile publishes the file (README, upload_cmd).
SIM_UPLOAD = "echo https://uploads.sim.invalid/{sha256}"


def profile_document(origin: str, token: str) -> dict[str, dict[str, str]]:
    """A `sim-<preset>` profile for every preset, pointing at a simulator at `origin`: the
    simulator serves each service at the same paths as the real one."""
    from urllib.parse import urlsplit

    from seedance.domain.profiles import presets

    profiles = {}
    for name, preset in presets().items():
        if preset.get("simulator"):
            continue
        entry = {"preset": name, "api_key": token}
        for key in ("base_url", "assets_url"):
            if preset.get(key):
                entry[key] = origin + urlsplit(preset[key]).path
        if preset.get("assets_url"):  # the simulator's library takes any URL: no real upload
            entry["upload_cmd"] = SIM_UPLOAD
        profiles[f"sim-{name}"] = entry
    return profiles


def profile_snippet(origin: str, token: str) -> str:
    """The profiles as profiles.toml text (usable as they are while the simulator runs)."""
    import tomli_w

    head = (
        "# Usable now, while it runs: seedance -p sim-byteplus create ...\n"
        "# (or store them in profiles.toml: seedance sim --write-profiles)\n"
    )
    return head + tomli_w.dumps({"profiles": profile_document(origin, token)}).rstrip()


def announce(data_dir: Path, server: SimServer, token: str) -> Path:
    """Tell other seedance commands (same data directory) where this simulator listens."""
    import os

    from seedance.services.profile_lookup import announce as publish

    document = {
        "pid": os.getpid(),
        "api_url": server.api_url,
        "store_url": server.store_url,
        "profiles": profile_document(server.api_url, token),
    }
    return publish(data_dir, document)


def sim(
    host: Annotated[
        str, typer.Option(metavar="HOST", help="Interface to bind (loopback).")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(metavar="PORT", help="API port (0 picks a free one).")
    ] = 8787,
    store_port: Annotated[
        int, typer.Option(metavar="PORT", help="Object-store port (0 picks a free one).")
    ] = 0,
    token: Annotated[
        str | None,
        typer.Option(metavar="TOKEN", help="Accept only this Bearer token (default: any)."),
    ] = None,
    queue_seconds: Annotated[
        float, typer.Option(metavar="SECONDS", help="How long tasks stay queued.")
    ] = 2.0,
    run_seconds: Annotated[
        float, typer.Option(metavar="SECONDS", help="How long tasks run.")
    ] = 8.0,
    asset_seconds: Annotated[
        float, typer.Option(metavar="SECONDS", help="How long assets stay Processing.")
    ] = 3.0,
    url_ttl: Annotated[
        float, typer.Option(metavar="SECONDS", help="Seconds before result URLs expire.")
    ] = 86400.0,
    rate_429: Annotated[
        float, typer.Option(metavar="SHARE", help="Share of API requests answered 429.")
    ] = 0.0,
    rate_5xx: Annotated[
        float, typer.Option(metavar="SHARE", help="Share of reads answered 500/502/503.")
    ] = 0.0,
    cut_download: Annotated[
        bool, typer.Option(help="Cut the first download of each result halfway.")
    ] = False,
    slow: Annotated[
        float, typer.Option(metavar="SECONDS", help="Delay every API answer by SECONDS.")
    ] = 0.0,
    poll_after_ms: Annotated[
        int | None,
        typer.Option(metavar="MS", help="Send openai-poll-after-ms on OpenAI-style reads."),
    ] = None,
    video_bytes: Annotated[
        int | None,
        typer.Option(metavar="BYTES", help="Serve synthetic results of this size (benchmarks)."),
    ] = None,
    seed: Annotated[int, typer.Option(metavar="N", help="Seed for ids and injected faults.")] = 0,
    open_model: Annotated[
        list[str] | None,
        typer.Option(
            metavar="MODEL",
            help="Only these models are activated (repeatable); others answer ModelNotOpen.",
        ),
    ] = None,
    endpoint: Annotated[
        list[str] | None,
        typer.Option(metavar="EP=MODEL", help="An endpoint id and the model it serves."),
    ] = None,
    clock_offset: Annotated[
        float,
        typer.Option(metavar="SECONDS", help="Run the server's clock (its Date) this far ahead."),
    ] = 0.0,
    max_running: Annotated[
        int | None,
        typer.Option(
            metavar="N",
            help="Answer 429 ConcurrencyLimitExceeded to a create while a key has N tasks "
            "unfinished.",
        ),
    ] = None,
    instant: Annotated[
        bool,
        typer.Option(
            "--instant",
            help="Tasks and assets finish at once (CI): sets every --*-seconds to 0.",
        ),
    ] = False,
    small_clips: Annotated[
        bool,
        typer.Option(
            "--small-clips",
            help="Serve 1-second thumbnails, made faster, instead of clips of the duration and "
            "size asked for.",
        ),
    ] = False,
    write_profiles: Annotated[
        bool,
        typer.Option(
            "--write-profiles",
            help="Also store the sim-* profiles in profiles.toml (they work without it while "
            "the simulator runs).",
        ),
    ] = False,
) -> None:
    """Run the local simulator of every Seedance API (loopback; any token unless --token)."""
    import math

    from seedance.cli.inputs import check_finite, check_positive
    from seedance.domain.errors import UsageError
    from seedance.domain.hosts import is_loopback
    from seedance.sim.app import SimConfig
    from seedance.sim.server import SimServer

    env = current_env()
    if instant:
        queue_seconds = run_seconds = asset_seconds = 0.0
    for name, number in (("--port", port), ("--store-port", store_port)):
        if not 0 <= number <= 65535:
            raise UsageError(f"{name} {number} is not a port", hint="0-65535; 0 picks a free one")
    if max_running is not None and max_running < 1:
        raise UsageError("--max-running must be 1 or more")
    for name, share in (("--rate-429", rate_429), ("--rate-5xx", rate_5xx)):
        if not 0.0 <= share <= 1.0:
            raise UsageError(f"{name} is a share between 0 and 1")
    for name, seconds in (
        ("--queue-seconds", queue_seconds),
        ("--run-seconds", run_seconds),
        ("--asset-seconds", asset_seconds),
        ("--slow", slow),
    ):
        check_finite(seconds, name)
    check_positive(url_ttl, "--url-ttl")
    if not math.isfinite(clock_offset):
        raise UsageError(f"--clock-offset must be a number of seconds, not {clock_offset:g}")
    endpoints: dict[str, str] = {}
    for pair in endpoint or []:
        name, sep, model = pair.partition("=")
        if not sep or not name.strip() or not model.strip():
            raise UsageError(f"--endpoint {pair!r} is not EP=MODEL", hint="e.g. ep-1=doubao-…")
        endpoints[name.strip()] = model.strip()
    if not is_loopback(host):
        env.output.warn(f"binding {host}: the simulator is reachable from other machines")
    config = SimConfig(
        queue_seconds=queue_seconds,
        run_seconds=run_seconds,
        asset_seconds=asset_seconds,
        url_ttl=url_ttl,
        token=token,
        rate_429=rate_429,
        rate_5xx=rate_5xx,
        cut_download_once=cut_download,
        slow_seconds=slow,
        poll_after_ms=poll_after_ms,
        video_bytes=video_bytes,
        seed=seed,
        open_models=tuple(open_model) if open_model else None,
        endpoints=endpoints,
        clock_offset=clock_offset,
        max_running=max_running,
        full_clips=not small_clips,
    )
    log = env.output.debug_line if env.verbose else None
    from seedance.services.locks import Locks, holding

    only = Locks(env.data_dir).simulator()  # held while it runs: one simulator's profiles
    if not only.try_acquire():
        raise _already_running(env.data_dir, only.holder().pid)
    try:
        server: SimServer = SimServer(config, host=host, port=port, store_port=store_port, log=log)
    except OSError as exc:
        only.release()
        raise UsageError(
            f"cannot listen on {host}:{port}: {exc.strerror}", hint="try --port 0"
        ) from None
    with server, holding(only):
        announce(env.data_dir, server, token or "sim")
        if write_profiles:
            for name, values in profile_document(server.api_url, token or "sim").items():
                env.store.add(name, values)
            env.output.info(f"stored the sim-* profiles in {env.store.path}")
        if env.json:
            env.output.json(
                {
                    "api_url": server.api_url,
                    "store_url": server.store_url,
                    "profiles": profile_document(server.api_url, token or "sim"),
                }
            )
        else:
            env.output.data(profile_snippet(server.api_url, token or "sim"))
        env.output.info(f"simulator listening on {server.api_url} (results on {server.store_url})")
        env.output.info("press Ctrl-C to stop")
        try:
            _block()
        except KeyboardInterrupt:
            env.output.info("stopped")
        finally:
            from seedance.services.profile_lookup import withdraw

            withdraw(env.data_dir)


def _already_running(data_dir: Path, pid: int | None) -> UsageError:
    """A second simulator with the same data directory would take over the first's sim-*
    profiles (every command would then talk to it instead): refused."""
    from seedance.domain.errors import UsageError
    from seedance.services.profile_lookup import running_simulator

    running = running_simulator(data_dir) or {}
    where = f" on {running['api_url']}" if running.get("api_url") else ""
    who = f" (pid {pid})" if pid else ""
    return UsageError(
        f"a simulator already runs{where}{who} for this data directory, and its sim-* "
        "profiles point at it; nothing was started",
        hint="use that one, stop it first (Ctrl-C where it runs), or start this one with "
        "another SEEDANCE_DATA_DIR (its profiles then work with that directory)",
    )


def _block() -> None:
    import threading

    threading.Event().wait()
