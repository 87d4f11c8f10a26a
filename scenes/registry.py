"""The one ordered topic registry: CLI names -> FAQ question, tensor builder and scene.

Modules are named by string so that `render.py list` and `--help` never import torch or Manim.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Topic:
    """One lecture: its CLI name, what it answers, and where its math and pictures live."""

    name: str
    title: str
    question: str  # the FAQ question the lecture answers
    faq_section: str  # the FAQ heading it draws from
    module: str  # stem shared by tensors/<module>.py and scenes/<module>.py
    config: str  # config dataclass in tensors/<module>.py
    scene: str  # scene class in scenes/<module>.py

    def load_config(self) -> type:
        """Import and return the topic's config dataclass (imports torch)."""
        return getattr(importlib.import_module(f"tensors.{self.module}"), self.config)  # type: ignore[no-any-return]

    def load_builder(self) -> Any:
        """Import and return the topic's `build(config, device)` function."""
        return importlib.import_module(f"tensors.{self.module}").build

    def load_scene(self) -> Any:
        """Import and return the topic's scene class (imports Manim)."""
        return getattr(importlib.import_module(f"scenes.{self.module}"), self.scene)


TOPICS: tuple[Topic, ...] = (
    Topic(
        name="heads",
        title="W^q_h in practice: one matrix, sliced into heads",
        question="How is W^q_h implemented in practice?",
        faq_section="How $W^{q}_h$ is implemented in practice? / The Two Approaches",
        module="heads",
        config="HeadsConfig",
        scene="HeadsLecture",
    ),
)


def names() -> list[str]:
    """Return the topic names in lecture order."""
    return [t.name for t in TOPICS]


def get(name: str) -> Topic:
    """Return the topic called name; KeyError if there is none."""
    for topic in TOPICS:
        if topic.name == name:
            return topic
    raise KeyError(name)
