"""The parameters of seedance's operations, declared once.

The command line builds its options from these (the flag is the name with dashes, see
`seedance.cli.options`), the MCP server its tools' input schemas, and the library takes the same
names as keywords. Help texts name other parameters as `{name}`; each front end words them
(a flag on the command line, the plain name elsewhere).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

REF_HELP = "an https:// URL, asset://ID or a local file"


@dataclass(frozen=True)
class Param:
    """One parameter: its library name, type and help."""

    name: str
    type: type[Any]  # str, int, float or bool
    help: str
    metavar: str | None = None
    default: Any = None
    many: bool = False  # repeatable: a list of `type`
    tristate: bool = False  # a bool that may be left unset (None), or set either way
    positional: bool = False
    choices: tuple[str, ...] | None = None
    required: bool = False  # (positional ones) the command cannot run without it
    minimum: float | None = None  # the smallest value it takes (numbers)
    maximum: float | None = None

    def json_schema(self) -> dict[str, Any]:
        """The parameter as a JSON schema (for tool definitions)."""
        names = {str: "string", int: "integer", float: "number", bool: "boolean"}
        item: dict[str, Any] = {"type": names[self.type]}
        if self.choices:
            item["enum"] = list(self.choices)
        for bound in ("minimum", "maximum"):
            if getattr(self, bound) is not None:
                item[bound] = getattr(self, bound)
        schema: dict[str, Any] = {"type": "array", "items": item} if self.many else item
        if self.many and self.required:
            schema["minItems"] = 1
        return {**schema, "description": self.help}


def _p(name: str, kind: type[Any], help: str, **more: Any) -> Param:
    return Param(name, kind, help, **more)


# -- what to make: the request (GenerationParams) --------------------------------------------

REQUEST: tuple[Param, ...] = (
    _p("prompt", str, "What to make.", metavar="PROMPT", positional=True),
    _p("model", str, "Model name or alias.", metavar="NAME"),
    _p("duration", int, "Seconds (-1: the model chooses).", metavar="SECONDS"),
    _p("ratio", str, "16:9, 9:16, 1:1, 4:3, 3:4, 21:9, adaptive.", metavar="W:H"),
    _p("resolution", str, "480p, 720p, 1080p (4k where offered).", metavar="RES"),
    _p("size", str, "WxH instead of {resolution}/{ratio}.", metavar="WxH"),
    _p("images", str, f"Reference image: {REF_HELP}. Repeatable.", metavar="REF", many=True),
    _p("first_frame", str, f"First frame: {REF_HELP}.", metavar="REF"),
    _p("last_frame", str, f"Last frame: {REF_HELP}.", metavar="REF"),
    _p("videos", str, f"Reference video: {REF_HELP}. Repeatable.", metavar="REF", many=True),
    _p("audios", str, f"Reference audio: {REF_HELP}. Repeatable.", metavar="REF", many=True),
    _p("generate_audio", bool, "Make sound.", tristate=True),
    _p("watermark", bool, "Keep the provider's mark.", tristate=True),
    _p("seed", int, "-1 for random.", metavar="N"),
    _p("camera_fixed", bool, "Keep the camera still.", tristate=True),
    _p("draft", bool, "A cheaper low-resolution preview.", default=False),
    _p("return_last_frame", bool, "Also make the last frame (a PNG).", default=False),
    _p("callback_url", str, "https URL told of status changes.", metavar="URL"),
    _p(
        "service_tier",
        str,
        "default or flex (cheaper, slower).",
        metavar="TIER",
        choices=("default", "flex"),
    ),
    _p("priority", int, "Queue priority 0-9.", metavar="0-9"),
    _p(
        "expires_after",
        int,
        "Give up after SECONDS in the queue (3600-259200).",
        metavar="SECONDS",
    ),
    _p("safety_id", str, "A stable hashed end-user id.", metavar="ID"),
    _p(
        "output_format",
        str,
        "mp4 or mov (models that offer the choice); the saved file's extension follows it.",
        metavar="FORMAT",
        choices=("mp4", "mov"),
    ),
    _p(
        "task_type",
        str,
        "What to do with the reference video (2.5): auto, reference, edit (change it; ratio "
        "adaptive, duration -1) or extend (continue it; ratio adaptive).",
        metavar="TYPE",
        choices=("auto", "reference", "edit", "extend"),
    ),
)

# -- how to run it ---------------------------------------------------------------------------

PROMPT_FILE = _p("prompt_file", str, "Read the prompt from FILE (- = stdin).", metavar="FILE")
WAIT = _p("wait", bool, "Wait until the task ends.", default=False)
OUTPUT = _p("output", str, "Save the video here (implies {wait}).", metavar="PATH")
LAST_FRAME_OUTPUT = _p(
    "last_frame_output",
    str,
    "Save the last frame here (implies {return_last_frame}).",
    metavar="PATH",
)
SHEET = _p(
    "sheet",
    bool,
    "Also save NAME.poster.png and NAME.sheet.png (a contact sheet) beside the video "
    "(needs the video extra).",
    default=False,
)
TIMEOUT = _p("timeout", float, "Stop waiting after SECONDS (exit 6).", metavar="SECONDS")
DRY_RUN = _p("dry_run", bool, "Print the request body; send nothing.", default=False)
NO_VALIDATE = _p(
    "no_validate",
    bool,
    "Skip the catalogue's capability checks: send what it would refuse and let the server "
    "decide (caps and budgets still apply).",
    default=False,
)
NEW = _p("new", bool, "Create a new task even if this one was started before.", default=False)
FIT = _p(
    "fit",
    bool,
    "Re-encode a reference video that is out of the API's bounds (pixels, frame rate, codec) "
    "within them and send that copy (needs the video extra).",
    default=False,
)
STRICT = _p(
    "strict",
    bool,
    "Refuse models the catalogue does not know (instead of sending them unchecked).",
    default=False,
)
# -- spending caps: create, chain and batch -------------------------------------------------
MAX_COST = _p(
    "max_cost",
    float,
    "Send no create that would take this run's spend above AMOUNT (estimates, in the "
    "profile's currency); the profile's budget_day and budget_month apply as well.",
    metavar="AMOUNT",
)
ALLOW_UNPRICED = _p(
    "allow_unpriced",
    bool,
    "Let requests whose price is unknown pass {max_cost} and the profile's budgets (counted "
    "as nothing), and those whose estimate is only a lower bound (a reference video of "
    "unknown length; counted at that bound).",
    default=False,
)

# -- local files named in a jobs file or a storyboard: chain and batch -----------------------
ALLOW_OUTSIDE = _p(
    "allow_outside",
    bool,
    "Read local files the file names outside its own folder (by default only files in that "
    "folder are read: a file from elsewhere may name any of yours).",
    default=False,
)

CREATE: tuple[Param, ...] = (
    REQUEST[0],
    PROMPT_FILE,
    *REQUEST[1:],
    WAIT,
    OUTPUT,
    LAST_FRAME_OUTPUT,
    SHEET,
    TIMEOUT,
    DRY_RUN,
    NO_VALIDATE,
    STRICT,
    NEW,
    FIT,
    MAX_COST,
    ALLOW_UNPRICED,
)


def by_name(params: tuple[Param, ...]) -> dict[str, Param]:
    return {p.name: p for p in params}


# -- finalize: the final video of a draft ----------------------------------------------------

_REQUEST = by_name(REQUEST)
FINALIZE: tuple[Param, ...] = (
    _p("draft_id", str, "The draft's task id.", metavar="DRAFT_ID", positional=True),
    _p(
        "resolution",
        str,
        "The final's resolution (2.5: 1080p, 4k where offered; 1.5 pro: up to 1080p).",
        metavar="RES",
    ),
    _REQUEST["output_format"],
    _REQUEST["watermark"],
    _REQUEST["return_last_frame"],
    _REQUEST["service_tier"],
    _REQUEST["callback_url"],
    _REQUEST["expires_after"],
    _REQUEST["safety_id"],
    WAIT,
    OUTPUT,
    LAST_FRAME_OUTPUT,
    TIMEOUT,
    DRY_RUN,
    NO_VALIDATE,
    STRICT,
    NEW,
)


# -- edit and extend: a new video from an existing one (task types) --------------------------

VIDEO = _p(
    "video",
    str,
    "The video: a file, an https:// URL, asset://ID, or the id of a task whose video was "
    "saved on this machine.",
    metavar="VIDEO",
    positional=True,
    required=True,
)
_TASK_SETTINGS = tuple(
    _REQUEST[name]
    for name in (
        "model",
        "resolution",
        "images",
        "audios",
        "generate_audio",
        "watermark",
        "seed",
        "return_last_frame",
        "callback_url",
        "service_tier",
        "priority",
        "expires_after",
        "safety_id",
        "output_format",
    )
)
_DELIVERY = (
    WAIT,
    OUTPUT,
    LAST_FRAME_OUTPUT,
    TIMEOUT,
    DRY_RUN,
    NO_VALIDATE,
    STRICT,
    NEW,
    MAX_COST,
    ALLOW_UNPRICED,
)
EDIT: tuple[Param, ...] = (
    VIDEO,
    _p("prompt", str, "What to change.", metavar="PROMPT", positional=True),
    PROMPT_FILE,
    *_TASK_SETTINGS,
    *_DELIVERY,
)
EXTEND: tuple[Param, ...] = (
    VIDEO,
    _p("prompt", str, "What happens next.", metavar="PROMPT", positional=True),
    PROMPT_FILE,
    _p("duration", int, "Seconds of new video (-1: the model chooses).", metavar="SECONDS"),
    *_TASK_SETTINGS,
    *_DELIVERY,
)


# -- batch: many videos from a JSON-lines or CSV file (issue 16) -----------------------------

BATCH: tuple[Param, ...] = (
    _p(
        "jobs",
        str,
        "One video per row: a .jsonl or .csv file (- = JSON lines on stdin); any create "
        "parameter as a field, plus id and takes.",
        metavar="JOBS",
        positional=True,
    ),
    _p(
        "output",
        str,
        "The folder for the clips and batch.json [default: JOBS's name, beside it].",
        metavar="DIR",
    ),
    _p(
        "concurrency",
        int,
        "Takes this run makes at the same time [default: the profile's max_running].",
        metavar="N",
    ),
    MAX_COST,
    ALLOW_UNPRICED,
    _p("dry_run", bool, "Print every request and the total estimate; send nothing.", default=False),
    _p("fail_fast", bool, "Start no new take once one has failed.", default=False),
    NO_VALIDATE,
    _p(
        "retry_failed",
        bool,
        "Make again the takes that failed on the server (billed anew).",
        default=False,
    ),
    _p(
        "skip_invalid",
        bool,
        "Run the valid rows and list the invalid ones, instead of refusing the file.",
        default=False,
    ),
    ALLOW_OUTSIDE,
    _p(
        "rerun",
        str,
        "Make this row's takes again, also after its content changed. Repeatable.",
        metavar="ID",
        many=True,
    ),
)

# -- spend: the journal's ledger -------------------------------------------------------------

SPEND_BY = ("day", "model", "profile", "storyboard", "batch", "machine", "user")
SPEND: tuple[Param, ...] = (
    _p(
        "since",
        str,
        "From this day (2026-11-01, UTC) or this long ago (7d, 12h) [default: 30d].",
        metavar="WHEN",
    ),
    _p(
        "by",
        str,
        "Group by day, model, profile, storyboard, batch, machine or user (who sent it).",
        metavar="KEY",
        default="day",
        choices=SPEND_BY,
    ),
)


# -- following tasks: status, wait, download, cancel, tasks list ------------------------------

TASK_ID = _p("task_id", str, "The task id.", metavar="TASK_ID", positional=True, required=True)
TASK_IDS = _p(
    "task_ids", str, "Task ids.", metavar="TASK_ID...", positional=True, required=True, many=True
)
STATUS: tuple[Param, ...] = (TASK_ID,)
WAIT_TASKS: tuple[Param, ...] = (
    TASK_IDS,
    TIMEOUT,
    _p(
        "output",
        str,
        "Save each finished video: a file (one task), a folder (made when it ends in /), "
        "or - for stdout.",
        metavar="PATH",
    ),
)
DOWNLOAD: tuple[Param, ...] = (
    TASK_ID,
    _p(
        "output",
        str,
        "Where to save the video: a file, a folder, or - for stdout [default: ID.mp4].",
        metavar="PATH",
    ),
    _p(
        "last_frame",
        str,
        "Also save the last frame [default: NAME.last.png]; taken from the video (PyAV) when "
        "the task made none.",
        metavar="[PATH]",
    ),
    _p("force", bool, "Overwrite existing files.", default=False),
    SHEET,
)
CANCEL: tuple[Param, ...] = (
    TASK_IDS,
    _p("force", bool, "Also delete finished tasks whose video was not saved.", default=False),
)
TASK_STATUSES = ("queued", "running", "succeeded", "failed", "expired", "cancelled")
TASKS_LIST: tuple[Param, ...] = (
    _p(
        "status",
        str,
        "queued, running, succeeded, failed, expired, cancelled.",
        metavar="STATUS",
        choices=TASK_STATUSES,
    ),
    _p("model", str, "Only this model.", metavar="NAME"),
    _p("limit", int, "At most N tasks.", metavar="N", minimum=1),
    _p("page", int, "Page number (from 1).", metavar="N", default=1, minimum=1),
    _p(
        "page_size", int, "Tasks per page (1-500).", metavar="N", default=20, minimum=1, maximum=500
    ),
    _p("local", bool, "List the local journal instead.", default=False),
    _p(
        "unsaved",
        bool,
        "With {local}: succeeded tasks whose video was not saved, and how long their result "
        "URLs have left.",
        default=False,
    ),
)

# -- chain: a storyboard ----------------------------------------------------------------------

CHAIN: tuple[Param, ...] = (
    _p(
        "storyboard",
        str,
        "The storyboard (TOML).",
        metavar="FILE.toml",
        positional=True,
        required=True,
    ),
    _p("output", str, "Output directory [default: FILE's name, beside it].", metavar="PATH"),
    _p("dry_run", bool, "Print the plan and every request; send nothing.", default=False),
    _p("restart", bool, "Ignore chain.json; start over.", default=False),
    _p("rerun", str, "Make this shot (and what follows) again.", metavar="SHOT", many=True),
    _p("concurrency", int, "Shots made at the same time.", metavar="N", default=2, minimum=1),
    _p("concat", bool, "Also join the clips into film.mp4.", default=False),
    _p("max_cost", float, "Refuse to start if the estimate is above AMOUNT.", metavar="AMOUNT"),
    ALLOW_UNPRICED,
    _p(
        "draft",
        bool,
        "Preview every shot as a cheap 480p draft (into OUTPUT/drafts).",
        default=False,
    ),
    _p(
        "finalize",
        bool,
        "Make the finals of a {draft} run: fresh shots from their drafts, the others anew "
        "from their parent's final frame.",
        default=False,
    ),
    NO_VALIDATE,
    STRICT,
    ALLOW_OUTSIDE,
)

# -- the catalogue and the set-up -------------------------------------------------------------

MODELS: tuple[Param, ...] = (
    _p("all", bool, "Every provider's names, not just this profile's.", default=False),
    _p(
        "remote",
        bool,
        "The provider's live model list against the catalogue: known, new, gone.",
        default=False,
    ),
    _p(
        "sources",
        bool,
        "Each model's values and the sources they cite; those from your catalogue overlay "
        "(catalogue.toml in the config directory) are marked.",
        default=False,
    ),
)
DOCTOR: tuple[Param, ...] = (
    _p(
        "probe_models",
        bool,
        "Also ask, for free, whether each model is usable (Ark APIs only).",
        default=False,
    ),
)

# -- the MCP server's own (src/seedance/mcp/tools.py lists every difference from the CLI) ---

REQUEST_ID = _p(
    "request_id",
    str,
    "Your key for this video: a call repeated with the same request_id returns the task (or "
    "the saved video) it made instead of paying again; a new video needs a new request_id. "
    "Letters, digits, '.', '_' and '-'; up to 100.",
    metavar="ID",
)
