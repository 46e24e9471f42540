"""Make docs/review-branching.png: examples/branching.toml made on the demo profile (offline,
nothing billed) and its review page rendered in headless Chromium (tests/browser.py).

    python scripts/review_screenshot.py
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "review-branching.png"
WIDTH = 1200

sys.path.insert(0, str(ROOT / "tests"))
from browser import Browser  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "branching"
        environ = {
            **os.environ,
            "SEEDANCE_CONFIG_DIR": f"{tmp}/config",
            "SEEDANCE_DATA_DIR": f"{tmp}/data",
            "SEEDANCE_CLOCK": "fake",  # the demo's waits take no time
            "NO_COLOR": "1",
        }
        storyboard = ROOT / "examples" / "branching.toml"
        command = ["-p", "demo", "-q", "chain", str(storyboard), "-o", str(folder)]
        subprocess.run(
            [sys.executable, "-m", "seedance", *command],
            env=environ,
            check=True,
        )
        with Browser.launch() as browser:
            png = browser.open(folder / "review.html", width=WIDTH).screenshot()
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=256)
    image.save(OUT, optimize=True)
    print(OUT)


if __name__ == "__main__":
    main()
