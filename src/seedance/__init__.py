"""seedance: make AI videos with ByteDance Seedance from the command line and from Python.

    from seedance import Client

    with Client.from_profile("demo") as client:
        made = client.videos.generate(prompt="a paper boat at dawn", output="boat.mp4")
        print(made.task.id, made.download.path, made.download.sha256)

The names below are the public API. The package import is deliberately light (the command
line's start-up depends on it): each name is loaded on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from seedance.domain.catalogue import Estimate, ModelSpec, UnknownModel
    from seedance.domain.errors import (
        APIError,
        AuthError,
        BadRequestError,
        BadResponseError,
        BudgetError,
        BusyError,
        ConfigError,
        ConflictError,
        ExitStatus,
        InterruptedByUser,
        JournalDamagedError,
        LocalError,
        NetworkError,
        NotFoundError,
        OutcomeUnknownError,
        QuotaError,
        RateLimitError,
        Reason,
        SeedanceError,
        ServerError,
        StoryboardError,
        Suggestion,
        TaskFailedError,
        UnsupportedError,
        UsageError,
        ValidationError,
        WaitTimeoutError,
    )
    from seedance.domain.models import (
        Asset,
        AssetGroup,
        AssetStatus,
        DownloadResult,
        GenerationParams,
        MediaKind,
        Page,
        Reference,
        Role,
        Task,
        TaskError,
        TaskStatus,
        Usage,
    )
    from seedance.domain.profiles import Profile
    from seedance.services.batches.jobs import JobsError
    from seedance.services.batches.session import BatchIncomplete, BatchResult
    from seedance.services.client import Client
    from seedance.services.media.frames import make_stills, save_frame, save_sheet
    from seedance.services.review.model import Review
    from seedance.services.review.review import write_review
    from seedance.services.videos.prepare import Prepared
    from seedance.services.videos.steps import Generated
    from seedance.wording.hints import explain

__all__ = [
    "APIError",
    "Asset",
    "AssetGroup",
    "AssetStatus",
    "AuthError",
    "BadRequestError",
    "BadResponseError",
    "BatchIncomplete",
    "BatchResult",
    "BudgetError",
    "BusyError",
    "Client",
    "ConfigError",
    "ConflictError",
    "DownloadResult",
    "Estimate",
    "ExitStatus",
    "Generated",
    "GenerationParams",
    "InterruptedByUser",
    "JobsError",
    "JournalDamagedError",
    "LocalError",
    "MediaKind",
    "ModelSpec",
    "NetworkError",
    "NotFoundError",
    "OutcomeUnknownError",
    "Page",
    "Prepared",
    "Profile",
    "QuotaError",
    "RateLimitError",
    "Reason",
    "Reference",
    "Review",
    "Role",
    "SeedanceError",
    "ServerError",
    "StoryboardError",
    "Suggestion",
    "Task",
    "TaskError",
    "TaskFailedError",
    "TaskStatus",
    "UnknownModel",
    "UnsupportedError",
    "Usage",
    "UsageError",
    "ValidationError",
    "WaitTimeoutError",
    "__version__",
    "explain",
    "make_stills",
    "save_frame",
    "save_sheet",
    "write_review",
]

# Where each public name lives: it is imported on first use.
_HOMES: dict[str, str] = {
    "APIError": "seedance.domain.errors",
    "Asset": "seedance.domain.models",
    "AssetGroup": "seedance.domain.models",
    "AssetStatus": "seedance.domain.models",
    "AuthError": "seedance.domain.errors",
    "BadRequestError": "seedance.domain.errors",
    "BadResponseError": "seedance.domain.errors",
    "BatchIncomplete": "seedance.services.batches.session",
    "BatchResult": "seedance.services.batches.session",
    "BudgetError": "seedance.domain.errors",
    "BusyError": "seedance.domain.errors",
    "Client": "seedance.services.client",
    "ConfigError": "seedance.domain.errors",
    "ConflictError": "seedance.domain.errors",
    "DownloadResult": "seedance.domain.models",
    "Estimate": "seedance.domain.catalogue",
    "ExitStatus": "seedance.domain.errors",
    "GenerationParams": "seedance.domain.models",
    "Generated": "seedance.services.videos.steps",
    "InterruptedByUser": "seedance.domain.errors",
    "JobsError": "seedance.services.batches.jobs",
    "JournalDamagedError": "seedance.domain.errors",
    "LocalError": "seedance.domain.errors",
    "MediaKind": "seedance.domain.models",
    "ModelSpec": "seedance.domain.catalogue",
    "NetworkError": "seedance.domain.errors",
    "NotFoundError": "seedance.domain.errors",
    "OutcomeUnknownError": "seedance.domain.errors",
    "Page": "seedance.domain.models",
    "Prepared": "seedance.services.videos.prepare",
    "Profile": "seedance.domain.profiles",
    "QuotaError": "seedance.domain.errors",
    "RateLimitError": "seedance.domain.errors",
    "Reference": "seedance.domain.models",
    "Review": "seedance.services.review.model",
    "Role": "seedance.domain.models",
    "SeedanceError": "seedance.domain.errors",
    "ServerError": "seedance.domain.errors",
    "StoryboardError": "seedance.domain.errors",
    "Suggestion": "seedance.domain.errors",
    "Reason": "seedance.domain.errors",
    "explain": "seedance.wording.hints",
    "Task": "seedance.domain.models",
    "TaskError": "seedance.domain.models",
    "TaskFailedError": "seedance.domain.errors",
    "TaskStatus": "seedance.domain.models",
    "UnknownModel": "seedance.domain.catalogue",
    "UnsupportedError": "seedance.domain.errors",
    "Usage": "seedance.domain.models",
    "UsageError": "seedance.domain.errors",
    "ValidationError": "seedance.domain.errors",
    "WaitTimeoutError": "seedance.domain.errors",
    "make_stills": "seedance.services.media.frames",
    "save_frame": "seedance.services.media.frames",
    "save_sheet": "seedance.services.media.frames",
    "write_review": "seedance.services.review.review",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'seedance' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
