"""Reading a batch's jobs: JSON lines and CSV into rows, every problem at its line and column,
ids and digests that tell a changed row from the same one, and seeds the same on every run."""

from __future__ import annotations

from pathlib import Path

import pytest

from seedance.domain.errors import UsageError
from seedance.services.batches.jobs import Jobs, JobsError, parse_jobs, read_jobs


def csv(text: str, base: Path) -> Jobs:
    return parse_jobs(text, kind="csv", name="jobs.csv", base_dir=base)


def test_csv_cells_become_typed_create_parameters(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    jobs = parse_jobs(
        "ID,Prompt,duration,generate_audio,image,seed,takes\n"
        "boat,a boat,5,no,a.png; https://x.example/b.png ,7,3\n"
        "\n"
        ',"a quoted, prompt",,yes,,,\n',
        kind="csv",
        name="jobs.csv",
        base_dir=tmp_path,
    )
    assert not jobs.invalid
    boat, quoted = jobs.rows
    assert boat.params == {
        "prompt": "a boat",
        "duration": 5,
        "generate_audio": False,
        "images": ["a.png", "https://x.example/b.png"],
        "seed": 7,
    }
    assert (boat.id, boat.line, boat.takes) == ("boat", 2, 3)
    assert quoted.line == 4 and quoted.params == {
        "prompt": "a quoted, prompt",
        "generate_audio": True,
    }
    assert (
        quoted.id.startswith("a-quoted-prompt-") and len(quoted.id) == len("a-quoted-prompt-") + 8
    )


def test_seeds_are_the_rows_own_then_derived_distinct_and_the_same_every_time(
    tmp_path: Path,
) -> None:
    text = (
        '{"id": "a", "prompt": "p", "seed": 7, "takes": 4}\n'
        '{"id": "b", "prompt": "p", "takes": 3}\n'
    )
    first = parse_jobs(text, kind="jsonl", name="j", base_dir=tmp_path)
    again = parse_jobs(text, kind="jsonl", name="j", base_dir=tmp_path)
    a, b = first.rows
    assert a.seeds()[0] == 7 and len(set(a.seeds())) == 4
    assert len(set(b.seeds())) == 3 and all(0 <= s < 2**31 for s in b.seeds())
    assert [r.seeds() for r in again.rows] == [a.seeds(), b.seeds()]
    assert a.clip(1) == "a.mp4" and a.clip(3) == "a.take3.mp4"


def test_the_digest_follows_content_and_local_files_not_id_or_takes(tmp_path: Path) -> None:
    frame = tmp_path / "f.png"
    frame.write_bytes(b"one")

    def digest(row: str) -> str:
        return parse_jobs(row, kind="jsonl", name="j", base_dir=tmp_path).rows[0].digest

    base = digest('{"id": "a", "prompt": "p", "first_frame": "f.png"}')
    assert digest('{"id": "b", "prompt": "p", "first_frame": "f.png", "takes": 2}') == base
    assert digest('{"id": "a", "prompt": "q", "first_frame": "f.png"}') != base
    frame.write_bytes(b"two")
    assert digest('{"id": "a", "prompt": "p", "first_frame": "f.png"}') != base


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ('{"prompt": "a"}\n[1, 2]\n', 2, "1", "each line must be a JSON object"),
        ('{"prompt": "a", "takes": 0}\n', 1, "takes", "from 1 to 16"),
        ('{"prompt": "a", "id": "../up"}\n', 1, "id", "an id is 1-64 letters"),
        ('{"prompt": "a", "images": [1]}\n', 1, "images", "must be a list of strings"),
        ('{"prompt": "a", "model": 3}\n', 1, "model", "must be a string"),
        ('{"prompt": "a", "colour": "red"}\n', 1, "colour", "unknown column 'colour'"),
        (
            '{"id": "x", "prompt": "a"}\n{"id": "x", "prompt": "b"}\n',
            2,
            "id",
            "also the row's on line 1",
        ),
        ('{"prompt": "same"}\n{"prompt": "same"}\n', 2, "id", "use takes for more videos"),
        ('{"prompt": "a", "video": "clip.mp4"}\n', 1, "videos", "does not exist"),
    ],
)
def test_each_problem_names_its_line_and_column(
    tmp_path: Path, text: str, line: int, column: str, words: str
) -> None:
    jobs = parse_jobs(text, kind="jsonl", name="j", base_dir=tmp_path)
    [problem] = jobs.invalid
    assert (problem.line, problem.column) == (line, column)
    assert words in problem.message
    assert f"j, line {line}, column {column}: " in jobs.refuse().message


def test_a_whole_file_problem_is_refused_at_once(tmp_path: Path) -> None:
    with pytest.raises(JobsError, match=r"jobs.csv, line 1, column 3: a column without a name"):
        csv("id,prompt,\na,b,c\n", tmp_path)
    with pytest.raises(JobsError, match="named twice"):
        csv("prompt,prompt\na,b\n", tmp_path)
    extra = csv("id,prompt\na,b,c\n", tmp_path)
    assert extra.invalid[0].message == "3 cells, but the header names 2 columns"


def test_only_jsonl_and_csv_files_are_read(tmp_path: Path) -> None:
    (tmp_path / "jobs.txt").write_text("x")
    with pytest.raises(UsageError, match=r"neither \.jsonl nor \.csv"):
        read_jobs(tmp_path / "jobs.txt")
    with pytest.raises(UsageError, match="does not exist"):
        read_jobs(tmp_path / "none.csv")
    (tmp_path / "empty.jsonl").write_text("# only a comment\n")
    with pytest.raises(UsageError, match="holds no rows"):
        read_jobs(tmp_path / "empty.jsonl")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "id,prompt,takes\na,one,2\na.take2,two,\n",
            "line 3, column id: its clip, a.take2.mp4, is also the clip of take 2 of row 'a' "
            "(line 2)",
        ),
        (
            "id,prompt,takes\nB.take3,one,\nb,two,3\n",
            "line 3, column id: the clip of its take 3, b.take3.mp4, and the clip of row "
            "'B.take3' (line 2), B.take3.mp4, differ only in case",
        ),
    ],
)
def test_rows_whose_clips_would_be_one_file_are_refused(
    tmp_path: Path, text: str, message: str
) -> None:
    jobs = csv(text, tmp_path)
    assert len(jobs.rows) == 1 and len(jobs.invalid) == 1
    assert message in str(jobs.refuse())
