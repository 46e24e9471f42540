"""A batch's output folder as `seedance batch` will leave it (issue 16): clips named `<id>.mp4`,
`<id>.take2.mp4`, ... and `batch.json`, the shape `seedance.services.review.review.BatchManifest`
reads:

    {"jobs": "shots.jsonl", "profile": "demo",
     "rows": [{"id": "boat", "index": 1, "prompt": "...", "params": {create parameters},
               "takes": [{"take": 1, "state": "done", "task_id": "cgt-...", "seed": 11,
                          "model": "...", "clip": "boat.mp4", "sha256": "...", "tokens": N,
                          "cost": 0.42, "currency": "USD", "error": null}, ...]}]}

The clips are real: the simulator's media at each take's seed and ratio.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from seedance.sim import media

SCRIPT_PROMPT = '<script>document.title = "owned"</script><b>bold</b> & "quoted"'
SIGNED = "https://tos.example.com/refs/style.png?X-Tos-Signature=abc123&X-Tos-Credential=AKID"
ROWS: list[dict[str, Any]] = [
    {
        "id": "boat",
        "prompt": "A paper boat on calm water at dawn",
        "params": {"model": "dreamina-seedance-2-0-260128", "resolution": "720p", "ratio": "16:9"},
        "takes": [{"seed": 11}, {"seed": 12}],
    },
    {
        "id": "tower",
        "prompt": SCRIPT_PROMPT,
        "params": {
            "model": "dreamina-seedance-2-0-260128",
            "resolution": "720p",
            "ratio": "9:16",
            "images": [SIGNED],
        },
        "takes": [{"seed": 21}, {"seed": 22}],
    },
    {
        "id": "storm",
        "prompt": "Lightning over a dark sea",
        "params": {"model": "dreamina-seedance-2-0-260128", "resolution": "720p", "ratio": "16:9"},
        "takes": [
            {"seed": 31},
            {
                "seed": 32,
                "state": "failed",
                "error": {
                    "code": "OutputVideoSensitiveContentDetected",
                    "message": f"The output video may contain sensitive content. ({SIGNED})",
                },
            },
        ],
    },
]
SIZES = {"16:9": (1280, 720), "9:16": (720, 1280)}


def write_batch_folder(folder: Path) -> dict[str, Any]:
    """The folder of a finished batch of 3 rows × 2 takes, one take failed; its manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for index, row in enumerate(ROWS, start=1):
        takes = []
        for number, take in enumerate(row["takes"], start=1):
            record = {
                "take": number,
                "state": take.get("state", "done"),
                "task_id": f"cgt-20260601000000-{row['id']}{number}",
                "seed": take["seed"],
                "model": row["params"]["model"],
                "clip": None,
                "currency": "USD",
                "error": take.get("error"),
            }
            if record["state"] == "done":
                name = f"{row['id']}.mp4" if number == 1 else f"{row['id']}.take{number}.mp4"
                size = media.preview_size(*SIZES[row["params"]["ratio"]])
                data = media.make_clip(take["seed"], 5, True, size, number == 1).mp4
                (folder / name).write_bytes(data)
                record.update(
                    clip=name,
                    sha256=hashlib.sha256(data).hexdigest(),
                    tokens=108_900,
                    cost=0.76,
                )
            takes.append(record)
        rows.append({**row, "index": index, "takes": takes})
    manifest = {"jobs": "shots.jsonl", "profile": "demo", "rows": rows}
    (folder / "batch.json").write_text(json.dumps(manifest, indent=2))
    return manifest
