"""A wrong kind of value in a user's file, in plain words (issue 28); the value shown short."""

from __future__ import annotations

from seedance.domain.field_errors import plain_message


def test_a_fraction_where_a_whole_number_goes() -> None:
    error = {"type": "int_from_float", "input": 5.5, "msg": "Input should be a valid integer"}
    assert plain_message(error) == "must be a whole number, not 5.5"


def test_a_long_value_is_cut_and_other_errors_keep_their_words() -> None:
    long = {"type": "string_type", "input": list(range(100)), "msg": "x"}
    assert plain_message(long).startswith("must be text in quotes, not [0, 1, 2")
    assert len(plain_message(long)) < 80 and plain_message(long).endswith("…")
    other = {"type": "value_error", "input": "x", "msg": "Value error, ids use letters"}
    assert plain_message(other) == "ids use letters"
