"""Split the projected queries, not the embeddings: the wrong way, the right way, the full pipeline.

The weights W^q, W^k, W^v and the embeddings are those of a small attention model really trained
(tensors/trained.py) to name, at every position, the word before (head 1) and the word after (head 2);
E is the embedding of a short sentence of its words plus sinusoidal positions. That model reads each
head separately, so it has no W^o: W^o here is a random draw, like nn.Linear's initial weight.

Convention: the paper's right-multiplication Q = E W^q with every W of shape (D, D).
nn.MultiheadAttention stores its weights as (out, in), so it receives W.T.
The wrong way cuts E into H chunks of d = D / H columns and multiplies chunk h by the
diagonal block B_hh = W^q[h*d:(h+1)*d, h*d:(h+1)*d] only, a d x d weight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from tensors.attention import attend, sinusoidal
from tensors.common import ConfigError, LectureConfig, LectureResult, generator, linear_init, opt
from tensors.heads import split_heads
from tensors.trained import WORDS, TrainConfig, trained


@dataclass(frozen=True)
class SplitConfig(LectureConfig):
    """Sizes of the one small example the lecture follows end to end."""

    seq_len: int = opt(3, "sequence length L", 2, 4)
    d_model: int = opt(4, "embedding size D", 2, 4)
    heads: int = opt(2, "number of heads H (at least two, must divide D)", 2, 3)

    def validate(self) -> None:
        """Raise ConfigError when a size cannot be drawn or does not divide."""
        super().validate()
        if self.d_model % self.heads:
            raise ConfigError(f"--d-model {self.d_model} is not divisible by --heads {self.heads}")
        if self.heads > 2 and self.seq_len > 3:
            raise ConfigError(f"--seq-len {self.seq_len} with --heads {self.heads} is too large: the limit is 3"
                              " (three heads of Q, K and V in rows of that length do not fit the frame at 480p)")

    @property
    def d_head(self) -> int:
        """Per-head size d = D / H."""
        return self.d_model // self.heads


@dataclass(frozen=True)
class SplitResult(LectureResult):
    """Every tensor the split lecture shows, by name."""

    config: SplitConfig
    ids: torch.Tensor  # (L,) int64 the sentence's words, indices into the trained model's vocabulary
    table: torch.Tensor  # (V, D) the trained embedding table
    accuracy: torch.Tensor  # () the trained model's accuracy on held-out sequences
    loss_ends: torch.Tensor  # (2,) its training loss at the first and the last step
    tok: torch.Tensor  # (1, L, D) the words' rows of the trained table
    P: torch.Tensor  # (1, L, D) sinusoidal positions of the L places
    E: torch.Tensor  # (1, L, D) embeddings of one sentence plus positions: tok + P
    W_q: torch.Tensor  # (D, D) query weight, paper convention
    W_k: torch.Tensor  # (D, D) key weight
    W_v: torch.Tensor  # (D, D) value weight
    W_o: torch.Tensor  # (D, D) output weight
    E_chunks: torch.Tensor  # (1, H, L, d) the wrong way: E cut into H column chunks
    blocks: torch.Tensor  # (H, H, d, d) W^q as a grid of blocks, [k, h] is B_kh
    Q_wrong: torch.Tensor  # (1, H, L, d) E_h @ B_hh, the wrong way's head queries
    Q: torch.Tensor  # (1, L, D) E @ W^q
    K: torch.Tensor  # (1, L, D) E @ W^k
    V: torch.Tensor  # (1, L, D) E @ W^v
    Q_heads: torch.Tensor  # (1, H, L, d) Q split into heads, the right way
    K_heads: torch.Tensor  # (1, H, L, d)
    V_heads: torch.Tensor  # (1, H, L, d)
    gap: torch.Tensor  # (1, H, L, d) |Q_heads - Q_wrong|
    gap_max: torch.Tensor  # () the largest gap
    worst: torch.Tensor  # (3,) int64 (head, row, column) of the largest gap
    parts: torch.Tensor  # (1, H, H, L, d) [0, k, h] = E_k @ B_kh, chunk k's share of head h
    K_heads_T: torch.Tensor  # (1, H, d, L) each head's keys, transposed
    dots: torch.Tensor  # (1, H, L, L) Q_h K_h^T: [0, h, i, j] = q_i . k_j
    root_d: torch.Tensor  # () sqrt(d)
    scores: torch.Tensor  # (1, H, L, L) Q_h K_h^T / sqrt(d), before the softmax
    weights: torch.Tensor  # (1, H, L, L) attention weights per head: softmax of each row of scores
    O_heads: torch.Tensor  # (1, H, L, d) per-head attention outputs
    concat: torch.Tensor  # (1, L, D) head outputs side by side
    Y: torch.Tensor  # (1, L, D) concat @ W^o
    Y_torch: torch.Tensor  # (1, L, D) nn.MultiheadAttention with the same weights
    torch_diff: torch.Tensor  # () max |Y - Y_torch|
    mix: torch.Tensor  # (1, H, L, D) O_h @ (rows of W^o for head h): head h's part of Y
    record: dict[str, Any] = field(default_factory=dict)  # how W^q, W^k, W^v were trained

    def strings(self) -> dict[str, str]:
        """Return the sentence's words, word0 ... word{L-1}."""
        return {f"word{i}": WORDS[int(w)] for i, w in enumerate(self.ids)}

    def training(self) -> dict[str, Any] | None:
        """Return the trained model's record: task, steps, first and last loss, held-out accuracy."""
        return self.record



def block_grid(W: torch.Tensor, n_head: int) -> torch.Tensor:
    """View a square W as an H x H grid of d x d blocks."""
    D = W.shape[0]
    d = D // n_head
    return W.reshape(n_head, d, n_head, d).transpose(1, 2)  # (H, H, d, d): [k, h] is B_kh


def project_chunks(E: torch.Tensor, W: torch.Tensor, n_head: int) -> torch.Tensor:
    """Project each chunk of E with its diagonal block of W only (the misconception)."""
    chunks = split_heads(E, n_head)  # (B, H, L, d)
    diagonal = block_grid(W, n_head).diagonal(dim1=0, dim2=1).permute(2, 0, 1)  # (H, d, d): B_hh
    return chunks @ diagonal  # (B, H, L, d)


def chunk_parts(E: torch.Tensor, W: torch.Tensor, n_head: int) -> torch.Tensor:
    """Return every chunk's share of every head: [b, k, h] = E_k @ B_kh."""
    chunks = split_heads(E, n_head)  # (B, H, L, d)
    return chunks[:, :, None] @ block_grid(W, n_head)[None]  # (B, H_k, H_h, L, d)


def merge_heads(y: torch.Tensor) -> torch.Tensor:
    """Put the head outputs side by side again, nanoGPT style."""
    B, H, L, d = y.shape
    return y.transpose(1, 2).contiguous().view(B, L, H * d)  # (B, L, D)


def multi_head(E: torch.Tensor, W_q: torch.Tensor, W_k: torch.Tensor, W_v: torch.Tensor,
               W_o: torch.Tensor, n_head: int) -> dict[str, torch.Tensor]:
    """Run the four steps: project, split, attend per head, concatenate and project."""
    q, k, v = E @ W_q, E @ W_k, E @ W_v  # (B, L, D) each
    qh, kh, vh = (split_heads(t, n_head) for t in (q, k, v))  # (B, H, L, d) each
    out, weights = attend(qh, kh, vh)  # (B, H, L, d), (B, H, L, L)
    concat = merge_heads(out)  # (B, L, D)
    return {"Q": q, "K": k, "V": v, "Q_heads": qh, "K_heads": kh, "V_heads": vh,
            "weights": weights, "O_heads": out, "concat": concat, "Y": concat @ W_o}


def torch_mha(W_q: torch.Tensor, W_k: torch.Tensor, W_v: torch.Tensor,
              W_o: torch.Tensor, n_head: int) -> torch.nn.MultiheadAttention:
    """Build nn.MultiheadAttention holding our weights, transposed."""
    D = W_q.shape[0]
    mha = torch.nn.MultiheadAttention(D, n_head, bias=False, batch_first=True)
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.cat([W_q.T, W_k.T, W_v.T]))  # (3D, D)
        mha.out_proj.weight.copy_(W_o.T)  # (D, D)
    return mha.to(W_q.device)


def build(config: SplitConfig, device: torch.device) -> SplitResult:
    """Compute every tensor of the split lecture on the device."""
    config.validate()
    g = generator(config.seed)
    L, D, H = config.seq_len, config.d_model, config.heads
    model = trained(TrainConfig(d_model=D, heads=H))  # trained once per size (cached); the seed picks the sentence
    ids = torch.randperm(len(WORDS), generator=g)[:L]  # (L,) distinct words
    table = model.table.to(device)
    tok = table[ids.to(device)][None]  # (1, L, D)
    P = sinusoidal(L, D, device)[None]  # (1, L, D)
    E = tok + P  # (1, L, D)
    W_q, W_k, W_v = (w.to(device).contiguous() for w in (model.W_q, model.W_k, model.W_v))
    W_o = linear_init(D, D, g, device).T.contiguous()  # random: the trained model reads each head on its own
    steps = multi_head(E, W_q, W_k, W_v, W_o, H)
    d = D // H
    mix = torch.stack([steps["O_heads"][:, h] @ W_o[h * d:(h + 1) * d] for h in range(H)], dim=1)  # (1, H, L, D)
    Q_wrong = project_chunks(E, W_q, H)
    qh, kh = steps["Q_heads"], steps["K_heads"]
    dots = qh @ kh.transpose(-2, -1)  # (1, H, L, L)
    root_d = torch.tensor(float(d), device=device).sqrt()
    gap = (steps["Q_heads"] - Q_wrong).abs()  # (1, H, L, d)
    worst = torch.stack(torch.unravel_index(gap.argmax(), gap.shape)[1:])  # (3,): head, row, column
    with torch.no_grad():
        Y_torch, _ = torch_mha(W_q, W_k, W_v, W_o, H)(E, E, E, need_weights=False)  # (1, L, D)
    return SplitResult(
        config=config,
        ids=ids.to(device),
        table=table,
        accuracy=torch.tensor(model.accuracy, device=device),
        loss_ends=model.losses[[0, -1]].to(device),
        mix=mix,
        tok=tok,
        P=P,
        K_heads_T=steps["K_heads"].transpose(-2, -1).contiguous(),
        dots=dots,
        root_d=root_d,
        scores=dots / root_d,
        record=model.record(),
        E=E,
        W_q=W_q,
        W_k=W_k,
        W_v=W_v,
        W_o=W_o,
        E_chunks=split_heads(E, H).contiguous(),
        blocks=block_grid(W_q, H).contiguous(),
        Q_wrong=Q_wrong,
        gap=gap,
        gap_max=gap.max(),
        worst=worst,
        parts=chunk_parts(E, W_q, H),
        Y_torch=Y_torch,
        torch_diff=(steps["Y"] - Y_torch).abs().max(),
        **{k: v.contiguous() for k, v in steps.items()},
    )
