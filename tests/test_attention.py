"""The shared attention pieces against torch's own kernels and the paper's formula."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from tensors.attention import attend, scores, self_attention, sinusoidal


@pytest.mark.parametrize("shape", [(4, 3), (2, 5, 8), (2, 3, 6, 4)])
def test_attend_equals_scaled_dot_product_attention(shape: tuple[int, ...]) -> None:
    g = torch.Generator().manual_seed(sum(shape))
    q, k, v = (torch.randn(shape, generator=g) for _ in range(3))
    out, w = attend(q, k, v)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q[None], k[None], v[None])[0])
    torch.testing.assert_close(w.sum(-1), torch.ones(shape[:-1]))
    torch.testing.assert_close(scores(q, k, scale=False) / math.sqrt(shape[-1]), scores(q, k))


def test_self_attention_projects_then_attends() -> None:
    g = torch.Generator().manual_seed(1)
    x, Wq, Wk, Wv = torch.randn(5, 6, generator=g), *(torch.randn(6, 3, generator=g) for _ in range(3))
    out, w = self_attention(x, Wq, Wk, Wv)
    want = torch.softmax((x @ Wq) @ (x @ Wk).T / math.sqrt(3), dim=-1) @ (x @ Wv)
    torch.testing.assert_close(out, want)


@pytest.mark.parametrize("P,D", [(50, 64), (7, 5), (1, 2)])
def test_sinusoidal_is_the_papers_formula(P: int, D: int) -> None:
    pe = sinusoidal(P, D)
    for p in range(P):
        for i in range(D):
            angle = p / 10000 ** (2 * (i // 2) / D)
            want = math.sin(angle) if i % 2 == 0 else math.cos(angle)
            assert float(pe[p, i]) == pytest.approx(want, abs=2e-5)
