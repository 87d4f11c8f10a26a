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


def _topic(name: str, title: str, question: str, faq_section: str, stem: str) -> Topic:
    """Return a topic whose files are tensors/<name>.py and scenes/<name>.py."""
    return Topic(name, title, question, faq_section, name, f"{stem}Config", f"{stem}Lecture")


# Lecture order follows the FAQ.
TOPICS: tuple[Topic, ...] = (
    _topic("bmm", "bmm versus matmul: batched products",
           "What is the difference between torch.bmm and torch.matmul?",
           "`bmm` versus `matmul`", "Bmm"),
    _topic("kernels", "Attention heads and convolution kernels",
           "How are multi-head attention and the kernels of a CNN related?",
           "Multi-Head is similar to kernels in CNN / Kernels and Multihead", "Kernels"),
    _topic("ffn", "The position-wise feed-forward network",
           "What does the feed-forward network do in a transformer?",
           "The Role of Feed-Forward Network", "Ffn"),
    _topic("heads", "W^q_h in practice: one matrix, sliced into heads",
           "How is W^q_h implemented in practice?",
           "How $W^{q}_h$ is implemented in practice? / The Two Approaches", "Heads"),
    _topic("split", "Split the projected queries, not the embeddings",
           "Do we split the embeddings into H heads, or the linearly transformed embeddings?",
           "Do not split the embeddings in H heads, instead you split the linear transformed embeddings", "Split"),
    _topic("sharing", "One W_Q for every sample in the batch",
           "With more than one sample, does each sample get its own W_Q, W_K and W_V?",
           "Transformer's Weight Sharing / Qn 1", "Sharing"),
    _topic("cnn", "One kernel for a batch of 4 images",
           "If I have 4 images in a batch, is it the same weight or 4 different weights?",
           "Transformer's Weight Sharing / Qn 2", "Cnn"),
    _topic("batches", "40 samples, one weight: batches and updates",
           "With 40 samples in batches of 4 (or 8), does every batch get its own weights?",
           "So if my image has 40 images and batch size of 4 / 40 samples and batch size 8", "Batches"),
    _topic("fixed", "Fixed weights, changing context",
           "After training W_Q is fixed: how does the model still know the context of a new sentence?",
           "After training transformer is the Q weight matrix WQ fixed / cat eat mouse", "Fixed"),
    _topic("subspaces", "Queries, keys and values live in different subspaces",
           "What are the different subspaces of Q, K and V?",
           "All the Whys? / What are the different Subspaces?", "Subspaces"),
    _topic("softmax", "Why softmax turns scores into weights",
           "Why softmax?",
           "All the Whys? / Why Softmax?", "Softmax"),
    _topic("scaling", "Why scale the scores by √d_k",
           "Why scale by the square root of d_k?",
           "All the Whys? / Why Scaling by $\\sqrt{d_k}$?", "Scaling"),
    _topic("positional", "Why attention needs positional encoding",
           "Why do we need positional encoding?",
           "All the Whys? / Why need Positional Encoding?", "Positional"),
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
