"""Client-side checks as structured facts: each problem names the parameter at fault (by its
library name) and, where there is a list, the values it takes. No problem words a flag."""

from __future__ import annotations

from typing import Any

import pytest

from seedance.domain.catalogue import catalogue
from seedance.domain.errors import Reason, Suggestion, ValidationError
from seedance.domain.models import GenerationParams, Reference, Role
from seedance.domain.validation import (
    Problem,
    check_request,
    check_request_facts,
    messages,
    validation_error,
)

V2 = catalogue().resolve("dreamina-seedance-2-0", "phanedge")
MINI = catalogue().resolve("dreamina-seedance-2-0-mini", "phanedge")


def facts(spec: Any = V2, refs: list[Reference] | None = None, **params: Any) -> list[Problem]:
    return check_request_facts(GenerationParams(**params), spec, refs or [])


def ref(role: Role) -> Reference:
    return Reference(role=role, url=f"asset://{role.value}")


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({}, "prompt", "nothing to generate: give a prompt or a reference"),
        ({"duration": 99}, "duration", "duration 99 is out of range"),
        ({"resolution": "8k"}, "resolution", "not 8k"),
        ({"ratio": "5:4"}, "ratio", "ratio 5:4 is not one of"),
        ({"size": "1280x720", "ratio": "16:9"}, "size", "give a size or a resolution and ratio"),
        ({"size": "123x45"}, "size", "size 123x45 is not a size"),
        ({"service_tier": "turbo"}, "service_tier", "service tier must be one of"),
        ({"seed": -2}, "seed", "seed -2 is out of range"),
        ({"priority": 10}, "priority", "priority 10 is out of range: 0-9"),
        ({"expires_after": 10}, "expires_after", "expires_after 10 is out of range"),
        ({"callback_url": "http://x.example.com"}, "callback_url", "must be an https:// URL"),
        ({"callback_url": "https://10.0.0.1/cb"}, "callback_url", "is not a public address"),
    ],
)
def test_each_problem_names_its_field(params: dict[str, Any], field: str, words: str) -> None:
    prompt = {} if not params else {"prompt": "a boat"}
    [problem] = facts(**prompt, **params)
    assert problem.field == field
    assert words in problem.message
    assert "--" not in problem.message


def test_allowed_values_come_from_the_catalogue() -> None:
    [ratio] = facts(prompt="a boat", ratio="5:4")
    assert ratio.allowed == V2.family.ratios
    [resolution] = facts(prompt="a boat", resolution="8k")
    assert resolution.allowed == V2.family.resolutions
    [duration] = facts(prompt="a boat", duration=99)
    assert duration.allowed is not None
    assert V2.family.duration_min in duration.allowed and 99 not in duration.allowed
    assert (-1 in duration.allowed) == V2.family.duration_auto
    [tier] = facts(prompt="a boat", service_tier="turbo")
    assert tier.allowed == ("default", "flex")


@pytest.mark.parametrize(
    ("roles", "field", "words"),
    [
        ([Role.LAST_FRAME], "last_frame", "a last frame needs a first frame too"),
        ([Role.FIRST_FRAME, Role.FIRST_FRAME], "first_frame", "only one first frame"),
        ([Role.REFERENCE_IMAGE] * 10, "images", "10 reference images given"),
        ([Role.REFERENCE_AUDIO], "audios", "needs a visual anchor"),
    ],
)
def test_reference_problems_name_the_parameter_that_carries_them(
    roles: list[Role], field: str, words: str
) -> None:
    [problem] = facts(refs=[ref(r) for r in roles], prompt="a boat")
    assert (problem.field, words in problem.message) == (field, True)


def test_a_model_without_a_feature_names_the_field_and_who_can() -> None:
    [problem] = facts(MINI, refs=[ref(Role.REFERENCE_AUDIO), ref(Role.REFERENCE_IMAGE)], prompt="x")
    assert problem.field == "audios" and "takes no reference audios" in problem.message


def test_check_request_is_the_text_of_the_facts() -> None:
    params = GenerationParams(prompt="a boat", ratio="5:4", priority=10)
    found = check_request_facts(params, V2, [])
    assert check_request(params, V2, []) == [p.message for p in found]
    assert len(found) == 2


def test_messages_are_the_problems_messages() -> None:
    problems = [Problem("a", reason=Reason("h")), Problem("b"), Problem("c")]
    assert messages(problems) == ["a", "b", "c"]


def test_one_error_for_many_problems_keeps_the_facts_they_share() -> None:
    assert validation_error([]) is None
    one = validation_error([Problem("bad ratio", "ratio", ("16:9",))])
    assert isinstance(one, ValidationError)
    assert (one.message, one.field, one.allowed) == ("bad ratio", "ratio", ("16:9",))
    step = Suggestion.of("profiles.show", "kapon-native")
    two = validation_error(
        [
            Problem("a", "seed", reason=Reason("h"), suggestion=step),
            Problem("b", "draft", reason=Reason("h")),
        ]
    )
    assert two is not None
    assert (two.message, two.field, two.allowed) == ("a; b", None, None)
    assert two.reasons == (Reason("h"),)  # each reason once
    assert two.suggestion == step
    same = validation_error([Problem("a", "seed"), Problem("b", "seed")])
    assert same is not None and same.field == "seed"
