"""seedance: make AI videos with ByteDance Seedance 2.0 from the command line and from Python.

The package import is deliberately light; the library API is loaded on first use::

    from seedance import Client
    client = Client.from_profile("demo")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from seedance.services.client import Client

__all__ = ["Client", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "Client":
        from seedance.services.client import Client

        return Client
    raise AttributeError(name)
