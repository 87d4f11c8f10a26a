"""The bmm lecture against independent torch: products, broadcasting, captured errors, attention scores."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch

from tensors.bmm import BmmConfig, BmmResult, bmm_broadcast, build
from tests.conftest import DryRun
from tests.shown import check_shown, seen

CPU = torch.device("cpu")
CONFIGS = [
    BmmConfig(),
    BmmConfig(batch=2, rows=2, inner=5, cols=2, shown=2, lead_x=3, lead_y=4, att_batch=1, att_heads=4, att_len=5,
              att_dim=1, seed=3),
    BmmConfig(batch=32, rows=4, inner=2, cols=5, shown=4, lead_x=1, lead_y=2, att_batch=3, att_heads=1, att_len=2,
              att_dim=8, seed=11),
]


def bmm_error(a_shape: tuple[int, ...], b_shape: tuple[int, ...]) -> str:
    """Call torch.bmm on fresh tensors of these shapes and return its error as 'Type: message'."""
    with pytest.raises(RuntimeError) as err:
        torch.bmm(torch.zeros(a_shape), torch.zeros(b_shape))
    return f"RuntimeError: {err.value}"


@pytest.fixture(scope="module", params=range(len(CONFIGS)), ids=["faq", "small", "wide"])
def result(request: pytest.FixtureRequest) -> BmmResult:
    return build(CONFIGS[request.param], CPU)


# -- 1. the facts the lecture claims, recomputed with plain torch ---------------------------------
def test_faq_shapes_are_the_defaults() -> None:
    r = build(BmmConfig(), CPU)
    assert tuple(r.A.shape) == (10, 3, 4) and tuple(r.B.shape) == (10, 4, 5) and tuple(r.C_bmm.shape) == (10, 3, 5)
    assert tuple(r.A4.shape) == (2, 3, 3, 4) and tuple(r.B4.shape) == (2, 3, 4, 5) and tuple(r.C4.shape) == (2, 3, 3, 5)
    assert tuple(r.A_lead.shape) == (2, 1, 3, 4) and tuple(r.B_lead.shape) == (3, 4, 5)
    assert tuple(r.C_lead.shape) == (2, 3, 3, 5)


def test_rank3_bmm_is_one_mm_per_item_and_equals_matmul(result: BmmResult) -> None:
    r = result
    per_item = torch.stack([torch.mm(a, b) for a, b in zip(r.A, r.B)])
    torch.testing.assert_close(r.C_bmm, per_item)
    torch.testing.assert_close(r.C_matmul, torch.einsum("bmn,bnp->bmp", r.A, r.B))
    torch.testing.assert_close(r.C_bmm, r.C_matmul)  # the FAQ's check
    assert float(r.diff_3d) == float((torch.bmm(r.A, r.B) - torch.matmul(r.A, r.B)).abs().max())
    assert float(r.diff_3d) < 1e-6
    assert float(r.A.min()) >= 0 and float(r.A.max()) < 1  # torch.rand, as in the FAQ


def test_rank4_matmul_broadcasts_and_bmm_needs_a_fold(result: BmmResult) -> None:
    r = result
    X, Y, M, N = r.A4.shape
    torch.testing.assert_close(r.C4, torch.einsum("xymn,xynp->xymp", r.A4, r.B4))
    for x in range(X):
        for y in range(Y):
            torch.testing.assert_close(r.C4[x, y], torch.mm(r.A4[x, y], r.B4[x, y]))
    assert tuple(r.A4_flat.shape) == (X * Y, M, N) and torch.equal(r.A4_flat[X * Y - 1], r.A4[X - 1, Y - 1])
    assert torch.equal(r.B4_flat[X * Y - 1], r.B4[X - 1, Y - 1])  # cell (X, Y) of the grid is the last item
    torch.testing.assert_close(r.C4_bmm, r.C4)
    assert int(r.rank_A4) == 4 and int(r.rank_A) == 3 and int(r.rank_W) == 2


def test_bmm_errors_are_torchs_own_words(result: BmmResult) -> None:
    r = result
    assert r.err_rank4 == bmm_error(tuple(r.A4.shape), tuple(r.B4.shape))
    assert r.err_weight == bmm_error(tuple(r.A.shape), tuple(r.W.shape))
    assert r.err_lead == bmm_error(tuple(r.A_lead.shape), tuple(r.B_lead.shape))
    assert "3D" in r.err_rank4 and "batch2" in r.err_weight
    assert r.strings() == {"err_rank4": r.err_rank4, "err_weight": r.err_weight, "err_lead": r.err_lead}


def test_shared_weight_broadcasts_and_expand_is_a_view(result: BmmResult) -> None:
    r = result
    Bt, M, N = r.A.shape
    torch.testing.assert_close(r.Y_matmul, torch.einsum("bmn,np->bmp", r.A, r.W))
    torch.testing.assert_close(r.Y_matmul[Bt - 1], r.A[Bt - 1] @ r.W)
    assert r.W_expanded.stride(0) == 0 and int(r.expand_stride) == 0
    assert r.W_expanded.data_ptr() == r.W.data_ptr()  # no copy
    assert all(torch.equal(r.W_expanded[i], r.W) for i in range(Bt))
    torch.testing.assert_close(r.Y_bmm, r.Y_matmul)
    assert float(r.diff_w) == float((r.Y_bmm - r.Y_matmul).abs().max()) < 1e-6


def test_leading_dimension_broadcast(result: BmmResult) -> None:
    r = result
    X, _, M, N = r.A_lead.shape
    Y, _, P = r.B_lead.shape
    assert tuple(r.C_lead.shape) == (X, Y, M, P)
    for x in range(X):
        for y in range(Y):
            torch.testing.assert_close(r.C_lead[x, y], torch.mm(r.A_lead[x, 0], r.B_lead[y]))
    torch.testing.assert_close(r.C_lead_bmm, r.C_lead)
    assert float(r.diff_lead) < 1e-6
    # the broadcast the lecture animates: A's size 1 stretches to Y, B's missing dim becomes X
    assert tuple(r.A_lead.shape[:2]) == (X, 1) and tuple(r.A_lead_x.shape[:2]) == (X, Y)
    assert tuple(r.B_lead_x.shape[:2]) == (X, Y)
    assert tuple(r.B_lead_1.shape) == (1, *r.B_lead.shape) and torch.equal(r.B_lead_1[0], r.B_lead)
    for x in range(X):
        for y in range(Y):
            assert torch.equal(r.A_lead_x[x, y], r.A_lead[x, 0]) and torch.equal(r.B_lead_x[x, y], r.B_lead[y])
            assert torch.equal(r.A_lead_flat[x * Y + y], r.A_lead[x, 0])
            assert torch.equal(r.B_lead_flat[x * Y + y], r.B_lead[y])


@pytest.mark.parametrize("a,b", [((2, 1, 3, 4), (3, 4, 5)), ((5, 3, 4), (4, 2)), ((2, 3, 3, 4), (2, 3, 4, 5)),
                                 ((4, 1, 2, 3), (1, 5, 3, 2))])
def test_bmm_broadcast_is_matmul(a: tuple[int, ...], b: tuple[int, ...]) -> None:
    g = torch.Generator().manual_seed(sum(a) + sum(b))
    x, y = torch.randn(a, generator=g), torch.randn(b, generator=g)
    torch.testing.assert_close(bmm_broadcast(x, y), torch.matmul(x, y))


def test_d2l_and_annotated_scores_agree(result: BmmResult) -> None:
    r = result
    Bq, H, L, d = r.Q.shape
    # d2l's transpose_qkv, written out again from the (B, L, H*d) projection
    q_proj = r.Q.transpose(1, 2).reshape(Bq, L, H * d)
    d2l_q = q_proj.reshape(Bq, L, H, -1).permute(0, 2, 1, 3).reshape(-1, L, d)
    assert torch.equal(r.Q_flat, d2l_q)
    for b in range(Bq):
        for h in range(H):
            want = (r.Q[b, h] @ r.K[b, h].T) / math.sqrt(d)
            torch.testing.assert_close(r.S_ann[b, h], want)
            torch.testing.assert_close(r.S_d2l[b * H + h], want)
    torch.testing.assert_close(r.S_d2l.view(Bq, H, L, L), r.S_ann)
    assert float(r.diff_att) == float((r.S_d2l.view(Bq, H, L, L) - r.S_ann).abs().max()) < 1e-5


def test_seed_reproducible() -> None:
    a, b, c = build(BmmConfig(seed=5), CPU), build(BmmConfig(seed=5), CPU), build(BmmConfig(seed=6), CPU)
    assert all(torch.equal(a.tensors()[k], b.tensors()[k]) for k in a.tensors())
    assert not torch.equal(a.A, c.A)


# -- 2. every number the scene showed, against torch recomputed from the manifest's inputs --------
def recompute(manifest: dict[str, Any]) -> dict[str, torch.Tensor]:
    """Every tensor the lecture names, from the inputs recorded in the manifest, with plain torch."""
    t = {k: torch.tensor(v["values"]) for k, v in manifest["tensors"].items() if k in
         ("A", "B", "A4", "B4", "W", "A_lead", "B_lead", "Q", "K")}
    A, B, A4, B4, W = t["A"], t["B"], t["A4"], t["B4"], t["W"]
    X, Y, M, N = A4.shape
    Bq, H, L, d = t["Q"].shape
    X_l, Y_l, P = t["A_lead"].shape[0], t["B_lead"].shape[0], W.shape[1]
    Q_flat, K_flat = t["Q"].reshape(Bq * H, L, d), t["K"].reshape(Bq * H, L, d)
    C = torch.stack([a @ b for a, b in zip(A, B)])
    C4 = torch.einsum("xymn,xynp->xymp", A4, B4)
    Yw = torch.einsum("bmn,np->bmp", A, W)
    C_lead = torch.stack([torch.stack([t["A_lead"][x, 0] @ t["B_lead"][y] for y in range(t["B_lead"].shape[0])])
                          for x in range(t["A_lead"].shape[0])])
    S = torch.einsum("bhld,bhmd->bhlm", t["Q"], t["K"]) / math.sqrt(d)
    return {
        **t, "C_bmm": C, "C_matmul": C, "C4": C4, "C4_bmm": C4, "A4_flat": A4.reshape(X * Y, M, N),
        "B4_flat": B4.reshape(X * Y, N, -1),
        "A_lead_x": t["A_lead"].expand(X_l, Y_l, M, N), "B_lead_x": t["B_lead"].expand(X_l, Y_l, N, P),
        "A_lead_flat": t["A_lead"].expand(X_l, Y_l, M, N).reshape(-1, M, N),
        "B_lead_flat": t["B_lead"].expand(X_l, Y_l, N, P).reshape(-1, N, P), "B_lead_1": t["B_lead"][None],
        "Y_matmul": Yw, "Y_bmm": Yw, "W_expanded": W.expand(A.shape[0], *W.shape), "C_lead": C_lead,
        "C_lead_bmm": C_lead, "Q_flat": Q_flat, "K_flat": K_flat, "S_ann": S, "S_d2l": S.reshape(Bq * H, L, L),
        "expand_stride": torch.tensor(0), "W_strides": torch.tensor(W.expand(A.shape[0], *W.shape).stride()),
        "rank_A": torch.tensor(A.dim()), "rank_A4": torch.tensor(A4.dim()),
        "rank_W": torch.tensor(W.dim()),
        # the claims "bmm == matmul": both products called here, on the manifest's inputs
        "diff_3d": (torch.bmm(A, B) - torch.matmul(A, B)).abs().max(),
        "diff_4d": (torch.bmm(A4.reshape(-1, M, N), B4.reshape(X * Y, N, -1)).view(C4.shape) - C4).abs().max(),
        "diff_w": (torch.bmm(A, W.expand(A.shape[0], *W.shape)) - torch.matmul(A, W)).abs().max(),
        "diff_lead": (torch.bmm(t["A_lead"].expand(X_l, Y_l, M, N).reshape(-1, M, N),
                                t["B_lead"].expand(X_l, Y_l, N, P).reshape(-1, N, P)).view(X_l, Y_l, M, P)
                      - torch.matmul(t["A_lead"], t["B_lead"])).abs().max(),
        "diff_att": (torch.bmm(Q_flat, K_flat.transpose(1, 2)).view(Bq, H, L, L)
                     - torch.matmul(t["Q"], t["K"].transpose(-2, -1))).abs().max(),
    }


def test_every_number_shown_equals_recomputed_torch(dry: DryRun) -> None:
    outcome = dry("bmm")
    manifest, scene = outcome.manifest, outcome.scene
    truth = recompute(manifest)
    assert set(truth) == set(manifest["tensors"])
    strings = {
        "err_rank4": bmm_error(tuple(truth["A4"].shape), tuple(truth["B4"].shape)),
        "err_weight": bmm_error(tuple(truth["A"].shape), tuple(truth["W"].shape)),
        "err_lead": bmm_error(tuple(truth["A_lead"].shape), tuple(truth["B_lead"].shape)),
    }
    assert manifest["strings"] == strings
    checked = check_shown(scene, truth, strings)
    assert checked > 1000  # each compared with recomputed torch above
    for name in ("diff_3d", "diff_4d", "diff_w", "diff_lead", "diff_att"):
        assert float(truth[name]) < 1e-5, name  # bmm and matmul agree here too


def test_key_numbers_and_errors_appeared(dry: DryRun) -> None:
    outcome = dry("bmm")
    scene, cfg = outcome.scene, outcome.manifest["config"]
    on_screen = seen(scene)
    shown = cfg["shown"]

    def all_of(name: str, prefix: tuple[int, ...], shape: tuple[int, ...]) -> bool:
        return all((name, prefix + tuple(i)) in on_screen for i in np.ndindex(*shape))

    M, N, P = cfg["rows"], cfg["inner"], cfg["cols"]
    for i in range(shown):
        assert all_of("A", (i,), (M, N)) and all_of("B", (i,), (N, P)) and all_of("C_bmm", (i,), (M, P)), i
    assert all_of("C_matmul", (shown - 1,), (M, P))
    X, Y = cfg["lead_x"], cfg["lead_y"]
    assert all_of("A4", (X - 1, Y - 1), (M, N)) and all_of("B4", (X - 1, Y - 1), (N, P))
    assert all_of("C4", (X - 1, Y - 1), (M, P))
    assert all_of("W", (), (N, P)) and all_of("Y_matmul", (0,), (M, P))
    b, h = cfg["att_batch"] - 1, cfg["att_heads"] - 1
    L = cfg["att_len"]
    assert all_of("S_d2l", (b * cfg["att_heads"] + h,), (L, L)) and all_of("S_ann", (b, h), (L, L))
    for name in ("diff_3d", "diff_4d", "diff_w", "diff_lead", "diff_att"):
        assert (name, ()) in on_screen, name
    # broadcasting: B's missing leading dim is shown as size 1 before it stretches to X
    dims = {(s.tensor, tuple(s.index)) for p in scene.b.log.points for s, _ in p.shown if s.kind == "dim"}
    assert ("B_lead_1", (0,)) in dims and ("B_lead_x", (0,)) in dims
    strings = {s.tensor for p in scene.b.log.points for s, _ in p.shown if s.kind == "string"}
    assert strings == {"err_rank4", "err_weight", "err_lead"}
