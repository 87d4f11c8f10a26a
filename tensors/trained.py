"""A tiny attention model, really trained, so that "learned" and "after training" are true.

The task needs attention and gives patterns a learner can read: in a sequence of words, every
position must name the word at a fixed offset, one offset per head: head 1 the word just before,
head 2 the word just after (then two before, two after, for more heads). One layer of multi-head
self-attention over embeddings plus sinusoidal positions, no MLP; each head's output feeds its
own read-out. Trained with Adam on random sequences, it solves the task by giving head 1 a
"look one back" pattern and head 2 a "look one ahead" pattern: the weights are fixed after
training, yet what each word attends to depends on the sentence it is in.

Training is deterministic for a seed on the CPU and takes about a second; the result is cached on
disk keyed by the config and this file's source, written atomically, so a render trains at most once.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from tensors.attention import sinusoidal

WORDS = ("cat", "eat", "mouse", "dog", "fish", "bird", "see", "run")  # the vocabulary, in table order
OFFSETS = (-1, 1, -2, 2)  # head h names the word at position p + OFFSETS[h]


@dataclass(frozen=True)
class TrainConfig:
    """What is trained and how: sizes, steps and the seed (the cache key with the code)."""

    d_model: int = 4  # D; H heads of D / H
    heads: int = 2  # at most len(OFFSETS)
    seq_len: int = 5  # training sequences are this long
    steps: int = 300
    batch: int = 128
    lr: float = 0.03
    seed: int = 0
    held_out: int = 512  # sequences never seen in training, for the accuracy


class TinyAttention(nn.Module):
    """Embeddings + sinusoidal positions -> H heads of self-attention -> one read-out per head."""

    def __init__(self, cfg: TrainConfig) -> None:
        super().__init__()
        D = cfg.d_model
        self.cfg = cfg
        self.embed = nn.Embedding(len(WORDS), D)
        self.W_q = nn.Parameter(torch.empty(D, D))  # (D, H*d) paper layout: Q = X W_q
        self.W_k = nn.Parameter(torch.empty(D, D))
        self.W_v = nn.Parameter(torch.empty(D, D))
        self.read = nn.Parameter(torch.empty(cfg.heads, D // cfg.heads, len(WORDS)))  # (H, d, V)
        for w in (self.W_q, self.W_k, self.W_v, self.read):
            nn.init.normal_(w, std=D ** -0.5)

    def forward(self, ids: Tensor) -> tuple[Tensor, Tensor]:
        """Return per-head logits (B, H, L, V) and attention weights (B, H, L, L)."""
        B, L = ids.shape
        H = self.cfg.heads
        x = self.embed(ids) + sinusoidal(L, self.cfg.d_model, ids.device)  # (B, L, D)
        q, k, v = (split(x @ W, H) for W in (self.W_q, self.W_k, self.W_v))  # (B, H, L, d)
        att = torch.softmax(q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5, dim=-1)  # (B, H, L, L)
        out = att @ v  # (B, H, L, d)
        return torch.einsum("bhld,hdv->bhlv", out, self.read), att


def split(x: Tensor, heads: int) -> Tensor:
    """Split the last dimension into heads: (B, L, H*d) -> (B, H, L, d)."""
    B, L, C = x.shape
    return x.view(B, L, heads, C // heads).transpose(1, 2)


def targets(ids: Tensor, heads: int = 2) -> Tensor:
    """Return (B, H, L) targets: for head h the word at p + OFFSETS[h]; -100 where there is none."""
    out = torch.full((ids.shape[0], heads, ids.shape[1]), -100, dtype=ids.dtype)
    for h, k in enumerate(OFFSETS[:heads]):
        if k < 0:
            out[:, h, -k:] = ids[:, :k]
        else:
            out[:, h, :-k] = ids[:, k:]
    return out


def sequences(n: int, length: int, g: torch.Generator) -> Tensor:
    """Draw n random word sequences (n, length) from the generator."""
    return torch.randint(len(WORDS), (n, length), generator=g)


def loss_of(model: TinyAttention, ids: Tensor) -> Tensor:
    """Return the mean cross-entropy of both read-outs over every position that has a target."""
    logits, _ = model(ids)
    return F.cross_entropy(logits.flatten(0, 2), targets(ids, model.cfg.heads).flatten(), ignore_index=-100)


def accuracy(model: TinyAttention, ids: Tensor) -> float:
    """Return the share of (position, read-out) targets predicted right."""
    with torch.no_grad():
        logits, _ = model(ids)
    want = targets(ids, model.cfg.heads)
    mask = want != -100
    return float((logits.argmax(-1)[mask] == want[mask]).float().mean())


@dataclass(frozen=True)
class Trained:
    """The trained weights and the record of how they were trained."""

    config: TrainConfig
    table: Tensor  # (V, D) embedding table
    W_q: Tensor  # (D, D)
    W_k: Tensor  # (D, D)
    W_v: Tensor  # (D, D)
    read: Tensor  # (H, d, V) read-out of each head
    losses: Tensor  # (steps,) training loss at every step
    accuracy: float  # on held-out sequences
    cached: bool  # loaded from the cache, not trained in this process

    def record(self) -> dict[str, object]:
        """Return what the training was, for the manifest and the captions."""
        return {"task": task(self.config.heads), "words": list(WORDS), **asdict(self.config),
                "first_loss": round(float(self.losses[0]), 4), "last_loss": round(float(self.losses[-1]), 4),
                "held_out_accuracy": round(self.accuracy, 4)}

    def model(self) -> TinyAttention:
        """Return a model holding these weights (frozen)."""
        m = TinyAttention(self.config)
        with torch.no_grad():
            for name in ("W_q", "W_k", "W_v", "read"):
                getattr(m, name).copy_(getattr(self, name))
            m.embed.weight.copy_(self.table)
        return m.requires_grad_(False)


def task(heads: int) -> str:
    """Return the task in words: which word each head must name."""
    names = {-1: "the word before", 1: "the word after", -2: "the word two before", 2: "the word two after"}
    return "name " + ", ".join(f"{names[k]} (head {h + 1})" for h, k in enumerate(OFFSETS[:heads]))


def fit(cfg: TrainConfig) -> Trained:
    """Train the model on the CPU from the seed; deterministic for a config."""
    if not 1 <= cfg.heads <= len(OFFSETS) or cfg.d_model % cfg.heads:
        raise ValueError(f"{cfg.heads} heads of a {cfg.d_model}-wide model cannot be trained here")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: one thread is faster, and sums keep one order
    try:
        return _fit(cfg)
    finally:
        torch.set_num_threads(threads)


def _fit(cfg: TrainConfig) -> Trained:
    """Run the training loop of fit."""
    g = torch.Generator().manual_seed(cfg.seed)
    torch.manual_seed(cfg.seed)  # nn.init draws from the global generator
    model = TinyAttention(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    losses = torch.empty(cfg.steps)
    for step in range(cfg.steps):
        loss = loss_of(model, sequences(cfg.batch, cfg.seq_len, g))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses[step] = loss.detach()
    held = sequences(cfg.held_out, cfg.seq_len, torch.Generator().manual_seed(cfg.seed + 1_000_003))
    return Trained(cfg, model.embed.weight.detach().clone(), model.W_q.detach().clone(), model.W_k.detach().clone(),
                   model.W_v.detach().clone(), model.read.detach().clone(), losses, accuracy(model, held), False)


def cache_key(cfg: TrainConfig) -> str:
    """Return a key of the config and this module's source: new code or sizes train anew."""
    source = Path(__file__).read_bytes()
    return hashlib.sha256(source + json.dumps(asdict(cfg), sort_keys=True).encode()).hexdigest()[:20]


def cache_dir() -> Path:
    """Return the per-user cache folder of trained weights."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "faq-lectures" / "trained"


def trained(cfg: TrainConfig = TrainConfig()) -> Trained:
    """Return the trained weights for cfg: from the disk cache, or trained now and cached atomically.

    A cache that cannot be read or written is only an optimisation lost: the weights are trained.
    """
    path = cache_dir() / f"{cache_key(cfg)}.pt"
    try:
        state = torch.load(path, weights_only=True)
        return Trained(cfg, state["table"], state["W_q"], state["W_k"], state["W_v"], state["read"],
                       state["losses"], float(state["accuracy"]), True)
    except Exception:  # missing, unreadable, truncated or foreign: train anew
        pass
    result = fit(cfg)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        torch.save({"table": result.table, "W_q": result.W_q, "W_k": result.W_k, "W_v": result.W_v,
                    "read": result.read, "losses": result.losses, "accuracy": torch.tensor(result.accuracy)}, buf)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(buf.getvalue())
        os.replace(tmp, path)
    except OSError:
        pass
    return result
