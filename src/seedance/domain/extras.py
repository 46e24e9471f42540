"""How to add an optional extra (`video`, `mcp`), in words true however seedance was installed.

`pip install 'seedance[EXTRA]'`, run in the environment seedance is installed in, takes the copy
already there (from a clone or from the package index: pip resolves the extra against the
installed distribution's metadata) and adds only the extra's packages. So the same line holds
before and after the package is published.
"""

from __future__ import annotations

PACKAGES = {"video": "PyAV and Pillow", "mcp": "the MCP SDK"}


def install_hint(extra: str) -> str:
    """The hint of an error that needs `extra`."""
    what = PACKAGES.get(extra, "its packages")
    return (
        f"install the '{extra}' extra: pip install 'seedance[{extra}]' in seedance's "
        f"environment (it adds {what} to the copy installed there, from a clone or the "
        "package index)"
    )
