"""How to add an optional extra (`video`, `mcp`, `postgres`), in words true however seedance
was installed.

Two forms, each of which works today: from a clone of the repository, `pip install '.[EXTRA]'`
(the clone's copy, with the extra); anywhere seedance is installed already, `pip install
'seedance[EXTRA]'` in its environment: pip keeps the copy there (from a clone or, once
published, the package index: it reads the extra from the installed copy's metadata) and adds
only the extra's packages. The second is also the form for the package index.
"""

from __future__ import annotations

PACKAGES = {
    "video": "PyAV and Pillow",
    "mcp": "the MCP SDK",
    "postgres": "psycopg",
    "storage": "boto3",
}


def install_hint(extra: str) -> str:
    """The hint of an error that needs `extra`."""
    what = PACKAGES.get(extra, "its packages")
    return (
        f"install the '{extra}' extra ({what}): pip install '.[{extra}]' from a clone of "
        f"the repository, or pip install 'seedance[{extra}]' in the environment it is "
        "installed in"
    )
