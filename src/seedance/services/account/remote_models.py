"""What the provider itself says about models, for free: the live model list, and the probe
that tells, one id at a time, whether this key can use a model (docs/sources/real-world.md
"Finding out what an account can use"; docs/sources/live-research.md §5, §6).

Neither creates a task. The list is cached in the data dir with its date, so it can be shown
when the provider cannot be reached.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from seedance.domain.catalogue import catalogue
from seedance.domain.errors import APIError, NetworkError, Suggestion
from seedance.providers.base import ModelProbe, RemoteModel

if TYPE_CHECKING:
    from seedance.services.runtime import Runtime

CACHE_DIR = "models"
Standing = Literal["known", "new", "gone", "retired"]
_GONE_STATUSES = ("shutdown", "retired", "retiring", "offline")


@dataclass(frozen=True)
class ListedModel:
    """One name of the merged list: the provider's live list against the catalogue."""

    name: str
    standing: Standing  # known: in both; new: only live; gone: only in the catalogue
    status: str | None  # the provider's word for it (Active, Shutdown...), when listed
    family: str | None  # the catalogue's family, when it knows the name

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "standing": self.standing,
            "status": self.status,
            "family": self.family,
        }


@dataclass(frozen=True)
class RemoteListing:
    profile: str
    fetched_at: float
    models: list[ListedModel]
    cached: bool  # read from the cache: the provider could not be reached now

    def to_json(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "fetched_at": self.fetched_at,
            "cached": self.cached,
            "models": [m.to_json() for m in self.models],
        }


def remote_listing(rt: Runtime) -> RemoteListing:
    """The provider's live model list merged with the catalogue; the cached list (and its
    date) when the provider cannot be reached now."""
    path = _cache_path(rt)
    try:
        live = rt.provider.list_models()
    except NetworkError:
        cached = _read_cache(path)
        if cached is None:
            raise
        fetched_at, live = cached
        return RemoteListing(rt.profile.name, fetched_at, merge(rt, live), cached=True)
    now = rt.clock.time()
    _write_cache(path, now, live)
    return RemoteListing(rt.profile.name, now, merge(rt, live), cached=False)


def merge(rt: Runtime, live: list[RemoteModel]) -> list[ListedModel]:
    """Every live name (known to the catalogue or new), then the catalogue's names the
    provider no longer lists (gone)."""
    cat = catalogue()
    vocab = cat.vocabularies.get(rt.profile.vocabulary or "")
    own = dict(vocab.models) if vocab else {}
    retired = vocab.retired if vocab else {}
    listed: list[ListedModel] = []
    for model in live:
        family = own.get(model.id) or (retired[model.id].family if model.id in retired else None)
        gone = (model.status or "").lower() in _GONE_STATUSES
        standing: Standing = (
            "retired"
            if model.id in retired
            else ("gone" if gone else ("known" if family else "new"))
        )
        listed.append(ListedModel(model.id, standing, model.status, family))
    seen = {m.id for m in live}
    primaries = vocab.primaries() if vocab else []
    listed += [ListedModel(n, "gone", None, own[n]) for n in primaries if n not in seen]
    return listed


def probe_models(rt: Runtime, names: Iterable[str]) -> list[ModelProbe]:
    """Each model probed for free (dialects that can; others raise UnsupportedError)."""
    return [rt.provider.probe_model(name) for name in dict.fromkeys(names)]


def require_models(rt: Runtime, names: Iterable[str]) -> list[ModelProbe]:
    """Probe models the catalogue does not know before anything is paid (Ark dialects; a
    no-op elsewhere). Raises APIError naming the first one the key cannot use."""
    wanted = list(dict.fromkeys(names))
    if not wanted or not rt.capabilities.can_probe:
        return []
    with rt.explain_auth():
        probes = probe_models(rt, wanted)
    for probe in probes:
        if probe.outcome in ("not_found", "not_activated"):
            what = (
                "is not activated on this account"
                if probe.outcome == "not_activated"
                else "does not exist for this key"
            )
            raise APIError(
                f"model {probe.model} {what} (the free probe answered {probe.status} "
                f"{probe.code}); nothing was made",
                status_code=probe.status,
                code=probe.code,
                reason="model_not_activated",
                field="model",
                suggestion=Suggestion.of("doctor", probe_models=True),
            )
    return probes


def _cache_path(rt: Runtime) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in rt.profile.name)
    return rt.data_dir / CACHE_DIR / f"{safe}.json"


def _read_cache(path: Path) -> tuple[float, list[RemoteModel]] | None:
    try:
        data = json.loads(path.read_text("utf-8"))
        models = [RemoteModel(m["id"], m.get("status")) for m in data["models"]]
        return float(data["fetched_at"]), models
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_cache(path: Path, now: float, live: list[RemoteModel]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"fetched_at": now, "models": [{"id": m.id, "status": m.status} for m in live]}
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(document, indent=1), "utf-8")
    os.replace(tmp, path)
