"""Shared fixtures: one dry-run build of each scene and one real low-quality render per session."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import render
from scenes import registry
from tensors.heads import HeadsConfig, HeadsResult, build


@pytest.fixture(scope="session")
def heads_result() -> HeadsResult:
    return build(HeadsConfig(), torch.device("cpu"))


@pytest.fixture(scope="session")
def heads_dry() -> render.Outcome:
    """The heads scene built and audited without frames."""
    return render.render_topic(registry.get("heads"), HeadsConfig(), "low", "cpu", Path("unused"), dry_run=True)


@pytest.fixture(scope="session")
def heads_low(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, render.Outcome]:
    """A real 480p15 render of the heads lecture into a fresh output folder."""
    out = tmp_path_factory.mktemp("media")
    return out, render.render_topic(registry.get("heads"), HeadsConfig(), "low", "cpu", out)
