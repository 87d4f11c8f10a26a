"""Shared fixtures: one dry-run build and one real low-quality render of each topic per session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

import render
from scenes import registry
from tensors.heads import HeadsConfig, HeadsResult, build

DryRun = Callable[[str], render.Outcome]
LowRender = Callable[[str], tuple[Path, render.Outcome]]


@pytest.fixture(scope="session")
def dry() -> DryRun:
    """Return a function: topic name -> its default scene built and audited without frames (cached)."""
    done: dict[str, render.Outcome] = {}

    def get(name: str) -> render.Outcome:
        if name not in done:
            topic = registry.get(name)
            done[name] = render.render_topic(topic, topic.load_config()(), "low", "cpu", Path("unused"), dry_run=True)
        return done[name]

    return get


@pytest.fixture(scope="session")
def low(tmp_path_factory: pytest.TempPathFactory) -> LowRender:
    """Return a function: topic name -> (output folder, outcome) of a real 480p15 render (cached)."""
    done: dict[str, tuple[Path, render.Outcome]] = {}

    def get(name: str) -> tuple[Path, render.Outcome]:
        if name not in done:
            topic = registry.get(name)
            out = tmp_path_factory.mktemp(f"media-{name}")
            done[name] = out, render.render_topic(topic, topic.load_config()(), "low", "cpu", out)
        return done[name]

    return get


@pytest.fixture(scope="session")
def heads_result() -> HeadsResult:
    return build(HeadsConfig(), torch.device("cpu"))


@pytest.fixture(scope="session")
def heads_dry(dry: DryRun) -> render.Outcome:
    """The heads scene built and audited without frames."""
    return dry("heads")


@pytest.fixture(scope="session")
def heads_low(low: LowRender) -> tuple[Path, render.Outcome]:
    """A real 480p15 render of the heads lecture into a fresh output folder."""
    return low("heads")
