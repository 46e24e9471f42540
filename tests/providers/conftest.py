"""Fixtures for the provider tests: a provider for a preset, offline."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from seedance.domain.clock import FakeClock
from seedance.domain.models import GenerationRequest
from seedance.domain.profiles import build_profile
from seedance.domain.validation import Problem
from seedance.providers.base import Provider
from seedance.providers.http import HttpClient
from seedance.providers.registry import provider_class

ProblemsOf = Callable[[str, GenerationRequest], list[Problem]]


@pytest.fixture
def provider_for() -> Iterator[Callable[[str], Provider]]:
    """`provider_for("kapon")`: the preset's provider, with an HTTP client that sends nothing."""
    with HttpClient(clock=FakeClock()) as http:

        def make(preset: str) -> Provider:
            profile = build_profile(preset, {})
            return provider_class(profile)(profile, http)

        yield make


@pytest.fixture
def problems_of(provider_for: Callable[[str], Provider]) -> ProblemsOf:
    """The rules of a preset's dialect a request breaks, as structured problems."""
    return lambda preset, request: provider_for(preset).problem_facts(request)
