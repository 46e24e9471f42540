"""A real headless Chromium, driven over the DevTools protocol on a pipe (stdlib only).

Chromium reads commands from fd 3 and writes answers and events to fd 4, each a JSON document
ended by a NUL byte (`--remote-debugging-pipe`). One browser serves a whole test session; each
page is a fresh tab.

    with Browser.launch() as browser:
        page = browser.open(Path("review.html"))
        page.evaluate("document.title")
        png = page.screenshot()
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

CI_HINT = (
    "the review-page tests need Debian's `chromium` on PATH; .ci/run installs it "
    "(apt-get install -y chromium)"
)
ANSWER_SECONDS = 30.0  # the longest any one command may take


class BrowserError(RuntimeError):
    pass


def find_chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise BrowserError(f"chromium is not installed: {CI_HINT}")


class Browser:
    """A Chromium process and the pipe to it."""

    def __init__(self, pid: int, commands: int, answers: int, profile: str) -> None:
        self.pid = pid
        self._commands = commands
        self._answers = answers
        self._profile = profile
        self._buffer = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []

    @classmethod
    def launch(cls) -> Browser:
        executable = find_chromium()
        profile = tempfile.mkdtemp(prefix="seedance-chromium-")
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()
        devnull = os.open(os.devnull, os.O_RDWR)
        args = [
            executable,
            "--headless",
            "--no-sandbox",  # tests may run as root (CI containers)
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--no-first-run",
            "--no-default-browser-check",
            "--hide-scrollbars",
            "--mute-audio",
            "--force-color-profile=srgb",
            "--font-render-hinting=none",
            "--remote-debugging-pipe",
            f"--user-data-dir={profile}",
            "about:blank",
        ]
        actions = [
            (os.POSIX_SPAWN_DUP2, devnull, 0),
            (os.POSIX_SPAWN_DUP2, devnull, 1),
            (os.POSIX_SPAWN_DUP2, devnull, 2),
            (os.POSIX_SPAWN_DUP2, to_browser_r, 3),
            (os.POSIX_SPAWN_DUP2, from_browser_w, 4),
        ]
        try:
            pid = os.posix_spawn(executable, args, dict(os.environ), file_actions=actions)
        finally:
            for fd in (to_browser_r, from_browser_w, devnull):
                os.close(fd)
        return cls(pid, to_browser_w, from_browser_r, profile)

    # -- the protocol ------------------------------------------------------------------------

    def send(self, method: str, params: dict[str, Any] | None = None, **more: Any) -> Any:
        """One command; its result (raises BrowserError on a protocol error)."""
        self._next += 1
        number = self._next
        message = {"id": number, "method": method, "params": params or {}, **more}
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        answer = self._until(lambda m: m.get("id") == number)
        if "error" in answer:
            raise BrowserError(f"{method}: {answer['error']}")
        return answer.get("result", {})

    def wait_event(self, method: str, session: str | None = None) -> dict[str, Any]:
        for index, event in enumerate(self.events):
            if event.get("method") == method and event.get("sessionId") == session:
                return self.events.pop(index)
        return self._until(
            lambda m: m.get("method") == method and m.get("sessionId") == session, keep=False
        )

    def _until(self, wanted: Any, keep: bool = True) -> dict[str, Any]:
        deadline = time.monotonic() + ANSWER_SECONDS
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                message = json.loads(raw)
                if wanted(message):
                    return message
                if "method" in message:
                    self.events.append(message)
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("chromium did not answer in time")
            ready, _, _ = select.select([self._answers], [], [], left)
            if ready:
                chunk = os.read(self._answers, 1 << 20)
                if not chunk:
                    raise BrowserError("chromium closed the pipe (it crashed or could not start)")
                self._buffer += chunk

    # -- pages -------------------------------------------------------------------------------

    def open(self, path: Path, width: int = 1200, height: int = 900) -> Page:
        """A new tab showing `path`, loaded (every image decoded) and laid out at `width`."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        page = Page(self, target, session)
        page.call("Page.enable")
        page.call("Network.enable")
        page.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        page.call("Page.navigate", {"url": path.resolve().as_uri()})
        self.wait_event("Page.loadEventFired", session)
        page.requests = [
            e["params"]["request"]["url"]
            for e in self.events
            if e.get("sessionId") == session and e.get("method") == "Network.requestWillBeSent"
        ]
        self.events = [e for e in self.events if e.get("sessionId") != session]
        return page

    def close(self) -> None:
        with contextlib.suppress(BrowserError, OSError):
            self.send("Browser.close")
        for fd in (self._commands, self._answers):
            with contextlib.suppress(OSError):
                os.close(fd)
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Page:
    """One tab."""

    def __init__(self, browser: Browser, target: str, session: str) -> None:
        self.browser = browser
        self.target = target
        self.session = session
        self.requests: list[str] = []  # every URL the page asked for while loading

    def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        return self.browser.send(method, params, sessionId=self.session)

    def evaluate(self, expression: str) -> Any:
        """A JavaScript expression's value (JSON-able)."""
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression[:60]}...: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self) -> bytes:
        """The whole page as a PNG, at the width it was opened with."""
        metrics = self.call("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        shot = self.call(
            "Page.captureScreenshot",
            {"format": "png", "clip": clip, "captureBeyondViewport": True},
        )
        return base64.b64decode(shot["data"])

    def close(self) -> None:
        self.browser.send("Target.closeTarget", {"targetId": self.target})
