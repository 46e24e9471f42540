"""`profiles use NAME` checked NAME against the document its process read earlier, then set
it as the default under the lock: a profile removed by another process meanwhile became the
default, and every command then failed with "no profile named"."""

from __future__ import annotations

import tomllib

import pytest

from seedance.domain.errors import ConfigError
from seedance.domain.profiles import ProfileStore


def test_use_refuses_a_profile_removed_since_this_process_read_the_file(tmp_path):
    mine = ProfileStore(tmp_path)
    mine.add("one", {"preset": "byteplus"})
    mine.add("two", {"preset": "kapon"})
    assert "two" in mine.stored()  # read
    ProfileStore(tmp_path).remove("two")  # another process
    with pytest.raises(ConfigError, match="no profile named 'two'"):
        mine.use("two")
    doc = tomllib.loads((tmp_path / "profiles.toml").read_text())
    assert doc["default_profile"] == "one"
    assert ProfileStore(tmp_path).select(None, {}).name == "one"


def test_use_of_a_preset_not_in_the_file_still_works(tmp_path):
    store = ProfileStore(tmp_path)
    store.use("byteplus")
    assert ProfileStore(tmp_path).default_name() == "byteplus"
