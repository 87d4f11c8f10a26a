"""Shared fixtures: one dry-run build and one real low-quality render of each topic per session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from driver import registry
from driver.pipeline import Outcome, RenderRequest, render
from tensors.heads import HeadsConfig, HeadsResult, build

DryRun = Callable[[str], Outcome]
LowRender = Callable[[str], tuple[Path, Outcome]]


@pytest.fixture(scope="session")
def dry() -> DryRun:
    """Return a function: topic name -> its default scene built and audited without frames (cached)."""
    done: dict[str, Outcome] = {}

    def get(name: str) -> Outcome:
        if name not in done:
            topic = registry.get(name)
            done[name] = render(RenderRequest(topic, topic.config()(), device="cpu", dry_run=True))
        return done[name]

    return get


@pytest.fixture(scope="session")
def low(tmp_path_factory: pytest.TempPathFactory) -> LowRender:
    """Return a function: topic name -> (output folder, outcome) of a real 480p15 render (cached); heads narrated."""
    done: dict[str, tuple[Path, Outcome]] = {}

    def get(name: str) -> tuple[Path, Outcome]:
        if name not in done:
            topic = registry.get(name)
            out = tmp_path_factory.mktemp(f"media-{name}")
            voice = "espeak" if name == "heads" else "none"  # one narrated lecture: tests/test_narration.py
            formats = ("mp4", "webm") if name in ("heads", "bmm") else ("mp4",)  # webm: the page and embed tests
            request = RenderRequest(topic, topic.config()(), device="cpu", output_dir=out, formats=formats,
                                    narration=voice)
            done[name] = out, render(request)
        return done[name]

    return get


@pytest.fixture(scope="session")
def heads_result() -> HeadsResult:
    return build(HeadsConfig(), torch.device("cpu"))


@pytest.fixture(scope="session")
def heads_dry(dry: DryRun) -> Outcome:
    """The heads scene built and audited without frames."""
    return dry("heads")


@pytest.fixture(scope="session")
def heads_low(low: LowRender) -> tuple[Path, Outcome]:
    """A real 480p15 render of the heads lecture into a fresh output folder."""
    return low("heads")


@pytest.hookimpl(tryfirst=True)  # before xdist reads the marks to group the tests
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep each topic's tests on one xdist worker, so its dry run and render happen once."""
    names = set(registry.names())
    for item in items:
        params = getattr(item, "callspec", None)
        topic = params.params.get("name") if params is not None else None
        if topic is None:
            stem = Path(str(item.fspath)).stem.removeprefix("test_")
            topic = stem if stem in names else None
        if topic is None and {"heads_dry", "heads_low", "heads_result"} & set(getattr(item, "fixturenames", ())):
            topic = "heads"
        if topic is None and Path(str(item.fspath)).stem in ("test_reliability", "test_course"):
            topic = "heads"  # they reuse the heads render
        if topic is not None:
            item.add_marker(pytest.mark.xdist_group(topic))
