"""Install hints for a missing extra (issue 28): a form that works from a clone today, and the
package's name for an installed copy (and for the package index once published)."""

from __future__ import annotations

import pytest

from seedance.domain.extras import install_hint
from seedance.wording.hints import hint


@pytest.mark.parametrize("extra", ["video", "mcp", "postgres"])
def test_the_hint_names_the_clone_form_and_the_installed_form(extra: str) -> None:
    hint = install_hint(extra)
    assert f"pip install '.[{extra}]' from a clone of the repository" in hint
    assert f"pip install 'seedance[{extra}]' in the environment it is installed in" in hint
    assert "--" not in hint and "its packages" not in hint  # every extra's packages named


def test_the_missing_postgres_driver_says_how_to_install_it(tmp_path, monkeypatch) -> None:
    import sys

    from seedance.domain.errors import ConfigError
    from seedance.domain.state_url import StateUrl
    from seedance.services.state import open_state

    monkeypatch.setitem(sys.modules, "psycopg", None)  # the extra not installed
    url = StateUrl.parse("postgresql://ana@127.0.0.1:9/films", "SEEDANCE_STATE_URL")
    with pytest.raises(ConfigError) as refused:
        open_state(tmp_path, url).find("cgt-1")
    assert hint(refused.value) == install_hint("postgres")
