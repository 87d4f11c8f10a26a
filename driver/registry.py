"""The one ordered topic registry: CLI names -> FAQ question, and the lecture's three parts.

A topic named `heads` is `tensors/heads.py` (one `LectureConfig` subclass, one `LectureResult`
subclass, `build(config, device) -> result`) and `scenes/heads.py` (one `LectureScene` subclass).
`Topic.lecture()` imports them and returns the real classes as a typed `Lecture`; importing this
module imports neither torch nor Manim, so `render.py list` stays fast. `check_contract` verifies a
topic against the contract without rendering (tests run it for every topic).
"""

from __future__ import annotations

import importlib
import inspect
import typing
from dataclasses import dataclass, fields
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

    from scenes.kit.lecture import LectureScene
    from tensors.common import LectureConfig, LectureResult


class ContractError(TypeError):
    """A lecture whose modules do not follow the lecture contract."""


@dataclass(frozen=True)
class Lecture:
    """A lecture's real parts: its config class, its build function and its scene class."""

    config: type[LectureConfig]
    result: type[LectureResult]
    build: typing.Callable[[Any, torch.device], LectureResult]
    scene: type[LectureScene]


@dataclass(frozen=True)
class Topic:
    """One lecture: its CLI name, what it answers, and where its math and pictures live."""

    name: str
    title: str
    question: str  # the FAQ question the lecture answers

    def math(self) -> ModuleType:
        """Import and return tensors/<name>.py (imports torch)."""
        return importlib.import_module(f"tensors.{self.name}")

    def config(self) -> type[LectureConfig]:
        """Return the topic's config class (imports torch, not Manim)."""
        from tensors.common import LectureConfig

        return _only_subclass(self.math(), LectureConfig)

    def lecture(self) -> Lecture:
        """Import the topic's modules and return its parts (imports torch and Manim)."""
        from scenes.kit.lecture import LectureScene
        from tensors.common import LectureResult

        math = self.math()
        build = getattr(math, "build", None)
        if not callable(build):
            raise ContractError(f"tensors/{self.name}.py has no build(config, device) function")
        scene = _only_subclass(importlib.import_module(f"scenes.{self.name}"), LectureScene)
        return Lecture(self.config(), _only_subclass(math, LectureResult), build, scene)


def _only_subclass(module: ModuleType, base: type) -> Any:
    """Return the one subclass of base defined in module; ContractError if there is none or several."""
    found = [c for _, c in inspect.getmembers(module, inspect.isclass)
             if issubclass(c, base) and c is not base and c.__module__ == module.__name__]
    if len(found) != 1:
        names = ", ".join(c.__name__ for c in found) or "none"
        raise ContractError(f"{module.__name__} must define exactly one {base.__name__} subclass, found {names}")
    return found[0]


def check_contract(topic: Topic) -> Lecture:
    """Check a topic's parts against the contract without rendering; return them."""
    from tensors.common import options_of

    lecture = topic.lecture()
    config = lecture.config()
    config.validate()  # the defaults must be drawable
    for f, meta in options_of(lecture.config):
        if not meta.low <= getattr(config, f.name) <= meta.high:
            raise ContractError(f"{topic.name}: default --{f.name} is outside {meta.low}..{meta.high}")
    if "seed" not in {f.name for f in fields(lecture.config)}:
        raise ContractError(f"{topic.name}: the config has no seed")
    hints = typing.get_type_hints(lecture.build)
    if hints.get("return") is not lecture.result:
        raise ContractError(f"{topic.name}: build() must be annotated to return {lecture.result.__name__}")
    if not lecture.scene.beats:
        raise ContractError(f"{topic.name}: {lecture.scene.__name__} lists no beats")
    missing = [b for b in lecture.scene.beats if not callable(getattr(lecture.scene, b, None))]
    if missing:
        raise ContractError(f"{topic.name}: beats without a method: {', '.join(missing)}")
    return lecture


# Lecture order follows the FAQ.
TOPICS: tuple[Topic, ...] = (
    Topic("bmm", "bmm versus matmul: batched products",
          "What is the difference between torch.bmm and torch.matmul?"),
    Topic("kernels", "Attention heads and convolution kernels",
          "How are multi-head attention and the kernels of a CNN related?"),
    Topic("ffn", "The position-wise feed-forward network",
          "What does the feed-forward network do in a transformer?"),
    Topic("heads", "W^q_h in practice: one matrix, sliced into heads",
          "How is W^q_h implemented in practice?"),
    Topic("split", "Split the projected queries, not the embeddings",
          "Do we split the embeddings into H heads, or the linearly transformed embeddings?"),
    Topic("sharing", "One W_Q for every sample in the batch",
          "With more than one sample, does each sample get its own W_Q, W_K and W_V?"),
    Topic("cnn", "One kernel for a batch of 4 images",
          "If I have 4 images in a batch, is it the same weight or 4 different weights?"),
    Topic("batches", "40 samples, one weight: batches and updates",
          "With 40 samples in batches of 4 (or 8), does every batch get its own weights?"),
    Topic("fixed", "Fixed weights, changing context",
          "After training W_Q is fixed: how does the model still know the context of a new sentence?"),
    Topic("subspaces", "Queries, keys and values live in different subspaces",
          "What are the different subspaces of Q, K and V?"),
    Topic("softmax", "Why softmax turns scores into weights",
          "Why softmax?"),
    Topic("scaling", "Why scale the scores by √d_k",
          "Why scale by the square root of d_k?"),
    Topic("positional", "Why attention needs positional encoding",
          "Why do we need positional encoding?"),
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
