"""profiles.toml changed by two processes at once (a chain remembering its asset group while
another chain, or `profiles add`, does too): every change kept, none refused. The file was
written through one fixed temporary name (`profiles.toml.tmp`), so the second writer's rename
failed with "No such file or directory" and the shot erred; and each change was made to the
document read at the command's start, so a later writer dropped an earlier one's change."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from seedance.domain.profiles import ProfileStore

WRITES = 60

WRITER = """
import sys
from pathlib import Path
import pytest

from seedance.domain.profiles import ProfileStore

store = ProfileStore(Path(sys.argv[1]))
for n in range(int(sys.argv[3])):
    store.remember(sys.argv[2], "asset_group", f"group-{n}")
"""


def stored(config_dir: Path) -> dict[str, dict[str, str]]:
    return tomllib.loads((config_dir / "profiles.toml").read_text())["profiles"]


def test_a_change_keeps_what_another_process_wrote_since_this_one_read(tmp_path):
    mine = ProfileStore(tmp_path)
    mine.add("one", {"preset": "byteplus"})
    theirs = ProfileStore(tmp_path)  # another process, reading the file after it
    assert mine.stored() and theirs.stored()  # both have read it
    theirs.add("two", {"preset": "kapon"})
    mine.remember("one", "asset_group", "group-1")
    profiles = stored(tmp_path)
    assert set(profiles) == {"one", "two"}
    assert profiles["one"]["asset_group"] == "group-1"


def test_two_processes_writing_at_once_both_succeed_and_both_changes_stay(tmp_path):
    store = ProfileStore(tmp_path)
    store.add("one", {"preset": "byteplus"})
    store.add("two", {"preset": "kapon"})
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path), name, str(WRITES)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("one", "two")
    ]
    errors = [w.communicate(timeout=60)[1] for w in writers]
    assert [w.returncode for w in writers] == [0, 0], errors
    profiles = stored(tmp_path)
    last = f"group-{WRITES - 1}"
    assert (profiles["one"]["asset_group"], profiles["two"]["asset_group"]) == (last, last)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".profiles.toml.lock", "profiles.toml"]


def test_a_profile_the_file_does_not_hold_is_not_written_into_it(tmp_path):
    """A running simulator's `sim-kapon` lives in its sim.json: a group it created is not the
    file's to keep (it made a [profiles.sim-kapon] table holding only that, a broken profile)."""
    store = ProfileStore(tmp_path)
    assert store.remember("sim-kapon", "asset_group", "group-1") is False
    assert not (tmp_path / "profiles.toml").exists()
    assert store.remember("kapon", "asset_group", "group-2") is True  # a preset, by its name
    assert stored(tmp_path) == {"kapon": {"asset_group": "group-2"}}


def test_a_temporary_left_by_a_killed_writer_is_removed_by_the_next_change(tmp_path):
    store = ProfileStore(tmp_path)
    store.add("one", {"preset": "byteplus", "api_key": "sk-left-behind"})
    left = tmp_path / ".profiles.toml.4242.1.tmp"  # holds a key, like any copy of the file
    left.write_text((tmp_path / "profiles.toml").read_text())
    store.use("one")
    assert not left.exists()


def test_removing_a_profile_the_file_lacks_makes_nothing(tmp_path):
    from seedance.domain.errors import ConfigError

    config = tmp_path / "config"
    with pytest.raises(ConfigError, match="no profile named 'nope'"):
        ProfileStore(config).remove("nope")
    assert not config.exists()
