"""The services: the library users import (client, polling, downloads, journal, assets, chain)."""
