"""`profiles list|show|add|use|remove`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from seedance.cli.app import current_env, sub_app
from seedance.cli.wording import said

if TYPE_CHECKING:
    from seedance.cli.environment import Environment
    from seedance.domain.profiles import Profile

profiles_app = sub_app("Manage connection profiles (profiles.toml).")


def register(app: typer.Typer) -> None:
    app.add_typer(profiles_app, name="profiles")


@profiles_app.command("list")
def list_profiles() -> None:
    """Profiles in profiles.toml, and presets usable by name."""
    from seedance.domain.profiles import presets

    env = current_env()
    store = env.store
    stored = store.stored()
    default = store.default_name()
    rows: list[dict[str, Any]] = []
    for name in store.names():
        try:
            profile = store.get(name)
        except Exception as exc:  # a broken profile is listed, not fatal
            rows.append(
                {
                    "name": name,
                    "error": said(exc),
                    "default": name == default,
                    "builtin": name not in stored,
                }
            )
            continue
        rows.append(
            {
                "name": name,
                "preset": profile.preset,
                "api": profile.api,
                "base_url": profile.base_url,
                "default": name == default,
                "builtin": name not in stored and name in presets(),
            }
        )
    env.output.listing(
        rows,
        ["", "NAME", "PRESET", "API", "BASE URL"],
        lambda r: [
            "*" if r["default"] else "",
            r["name"] + (" (built-in)" if r["builtin"] else ""),
            r.get("preset") or "",
            r.get("api") or "",
            r.get("base_url") or r.get("error", ""),
        ],
    )


def profile_document(profile: Profile, env: Environment) -> dict[str, Any]:
    """A profile for display: every setting, and where its key comes from (never the key)."""
    data = profile.model_dump(exclude={"api_key", "api_key_cmd"}, exclude_none=True)
    data["api_key_source"] = profile.key_source(env.environ)
    data["file"] = str(env.store.path)
    from seedance.providers.registry import capabilities

    caps = capabilities(profile)
    data["capabilities"] = {k: getattr(caps, k) for k in caps.__dataclass_fields__}
    return data


@profiles_app.command("show")
def show(
    name: Annotated[
        str | None,
        typer.Argument(
            metavar="NAME",
            help="Profile name [default: the selected one].",
            show_default=False,
        ),
    ] = None,
) -> None:
    """One profile's settings and where its key comes from (never the key itself)."""
    from seedance.domain.errors import ConfigError

    env = current_env()
    try:
        profile = env.selected_profile(name)
    except ConfigError as exc:
        if name is not None or exc.message != "no profile selected":
            raise
        # none selected yet: where the profiles go is still worth saying (a first run)
        if env.json:
            env.output.json({"file": str(env.store.path), "profile": None})
        else:
            env.output.data(f"file: {env.store.path}")
            env.output.info(
                "no profile selected: add one with seedance profiles add NAME --preset "
                "byteplus, or try seedance -p demo create 'a paper boat'"
            )
        return
    document = profile_document(profile, env)
    if env.json:
        env.output.json(document)
        return
    lines = []
    for key, value in document.items():
        if isinstance(value, dict):
            if value:
                inner = ", ".join(f"{k}={v}" for k, v in value.items())
                lines.append((key, inner))
        else:
            lines.append((key, str(value)))
    width = max(len(k) for k, _ in lines)
    env.output.data("\n".join(f"{k + ':':<{width + 1}} {v}" for k, v in lines))


@profiles_app.command("add")
def add(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="A name for the profile.", show_default=False)
    ],
    preset: Annotated[str | None, typer.Option(metavar="NAME", help="Start from a preset.")] = None,
    api: Annotated[str | None, typer.Option(metavar="API", help="ark, openai or newapi.")] = None,
    base_url: Annotated[str | None, typer.Option(metavar="URL", help="The API's base URL.")] = None,
    api_key_env: Annotated[
        str | None, typer.Option(metavar="VAR", help="Read the key from this variable.")
    ] = None,
    api_key_cmd: Annotated[
        str | None, typer.Option(metavar="CMD", help="Run this command to print the key.")
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(metavar="KEY", help="Store the key in profiles.toml (mode 0600).")
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", "-m", metavar="NAME", help="Default model.")
    ] = None,
    upload_cmd: Annotated[
        str | None,
        typer.Option(metavar="CMD", help="Command that publishes {path} and prints its URL last."),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="KEY=VALUE",
            help="Any other setting as KEY=VALUE (defaults.KEY=VALUE too).",
        ),
    ] = None,
    default: Annotated[
        bool, typer.Option("--default", help="Make it the default profile.")
    ] = False,
) -> None:
    """Add or replace a profile, from flags or interactively."""
    from seedance.domain.errors import Suggestion, UsageError
    from seedance.domain.profiles import presets

    env = current_env()
    if name in presets() and name not in env.store.stored():
        raise UsageError(
            f"'{name}' is the name of a preset: a profile of that name would hide it",
            hint="a preset already works as a profile (-p NAME); give yours another name, e.g. "
            f"{name}-mine, or make the preset the default with",
            field="profile",
            suggestion=Suggestion.of("profiles.use", name),
        )
    values: dict[str, Any] = {}
    flags = {
        "preset": preset,
        "api": api,
        "base_url": base_url,
        "api_key_env": api_key_env,
        "api_key_cmd": api_key_cmd,
        "api_key": api_key,
        "model": model,
        "upload_cmd": upload_cmd,
    }
    values.update({k: v for k, v in flags.items() if v is not None})
    for item in set_ or []:
        _apply_setting(values, item)
    if not values and env.stdin_isatty:
        values = _ask(env, name)
    if not values and name not in presets():
        raise UsageError(
            f"nothing to store for profile '{name}'",
            hint="pass --preset (one of: " + ", ".join(presets()) + ") or --api and --base-url",
        )
    if not values:
        values = {"preset": name}
    from seedance.domain.profiles import build_profile
    from seedance.services.videos.prepare import choose_model

    _spec, unchecked = choose_model(build_profile(name, values), None, validate=False)
    if unchecked:  # as create says it: sent unchecked, the server decides
        env.output.warn(unchecked)
    profile = env.store.add(name, values, make_default=default)
    env.output.success(f"saved profile '{name}' in {env.store.path}")
    env.output.info(f"key: {profile.key_source(env.environ)}")
    if env.json:
        env.output.json(profile_document(profile, env))


def _apply_setting(values: dict[str, Any], item: str) -> None:
    import tomllib

    from seedance.domain.documents import DocumentError, parse_toml, shown
    from seedance.domain.errors import UsageError

    key, sep, raw = item.partition("=")
    item = shown(item)  # as messages quote it
    if not sep or not key.strip():
        raise UsageError(f"--set {item!r}: expected KEY=VALUE")
    try:
        value = parse_toml(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw  # a bare word is a string
    except DocumentError as exc:  # nested too deeply, a number too long
        raise UsageError(f"--set {item!r}: {exc.msg}") from None
    target = values
    parts = key.strip().split(".")
    for part in parts[:-1]:
        target = target.setdefault(part, {})
        if not isinstance(target, dict):
            raise UsageError(f"--set {item!r}: {part} is a value, not a table")
    if isinstance(target.get(parts[-1]), dict) or (parts[-1] == "defaults" and len(parts) == 1):
        raise UsageError(f"--set {item!r}: {parts[-1]} is a table", hint="set defaults.KEY=VALUE")
    target[parts[-1]] = value


def _ask(env: Environment, name: str) -> dict[str, Any]:
    from seedance.domain.profiles import presets

    names = list(presets())
    preset = typer.prompt(
        f"Preset ({', '.join(names)})", default=name if name in names else names[0]
    )
    while preset not in names:
        preset = typer.prompt(f"Choose one of {', '.join(names)}")
    values: dict[str, Any] = {"preset": preset}
    chosen = presets()[preset]
    if chosen.get("api_key_env"):
        key_env = typer.prompt(
            "Environment variable holding the API key", default=chosen["api_key_env"]
        )
        if key_env != chosen["api_key_env"]:
            values["api_key_env"] = key_env
    model = typer.prompt("Default model", default=chosen.get("model", ""))
    if model and model != chosen.get("model"):
        values["model"] = model
    return values


@profiles_app.command("use")
def use(
    name: Annotated[
        str,
        typer.Argument(metavar="NAME", help="Profile name.", show_default=False),
    ],
) -> None:
    """Make a profile the default."""
    env = current_env()
    env.store.use(name)
    env.output.success(f"default profile: {name}")
    if env.json:
        env.output.json({"default_profile": name})


@profiles_app.command("remove")
def remove(
    name: Annotated[
        str,
        typer.Argument(metavar="NAME", help="Profile name.", show_default=False),
    ],
) -> None:
    """Delete a profile from profiles.toml."""
    env = current_env()
    env.store.remove(name)
    env.output.success(f"removed profile '{name}'")
    if env.json:
        env.output.json({"removed": name})
