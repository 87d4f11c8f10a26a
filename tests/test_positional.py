"""The positional tensors against independent torch: permutations with and without PE, the formula,
the shift as a block-diagonal rotation; the scene's numbers recomputed; the CLI refusing bad sizes."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest
import torch

from tensors.positional import PositionalConfig, PositionalResult, build
from tests.conftest import DryRun
from tests.shown import check_published, check_shown, seen

CPU = torch.device("cpu")
SIZES = [
    {},  # the default: 4 tokens of size 4, PE 50 x 64, k = 3, p = 5
    {"seq_len": 5, "d_model": 4, "positions": 20, "pe_dims": 8, "shift": 1, "probe": 0, "seed": 3},
    {"seq_len": 3, "d_model": 2, "positions": 200, "pe_dims": 128, "shift": 17, "probe": 150, "seed": 11},
    {"seq_len": 2, "d_model": 4, "positions": 64, "pe_dims": 512, "shift": 63, "probe": 0, "seed": 7},
]


def attention(x: torch.Tensor, Wq: torch.Tensor, Wk: torch.Tensor, Wv: torch.Tensor) -> torch.Tensor:
    """One head of self-attention, written out in float64 (not the module's code)."""
    x, Wq, Wk, Wv = (t.double() for t in (x, Wq, Wk, Wv))
    q, k, v = x @ Wq, x @ Wk, x @ Wv
    scores = torch.einsum("id,jd->ij", q, k) / math.sqrt(k.shape[1])
    weights = scores.exp() / scores.exp().sum(dim=1, keepdim=True)
    return weights @ v


def formula(positions: int, dims: int) -> torch.Tensor:
    """The paper's PE in float64, entry by entry: sin on even dims, cos on odd, of p / 10000^(2i/D)."""
    pe = torch.empty(positions, dims, dtype=torch.float64)
    for p in range(positions):
        for j in range(dims):
            angle = p / 10000 ** (2 * (j // 2) / dims)
            pe[p, j] = math.sin(angle) if j % 2 == 0 else math.cos(angle)
    return pe


def rotations(k: int, dims: int) -> torch.Tensor:
    """M_k built here: one 2 x 2 rotation [[cos kw, sin kw], [-sin kw, cos kw]] per (sin, cos) pair."""
    M = torch.zeros(dims, dims, dtype=torch.float64)
    for i in range(dims // 2):
        a = k / 10000 ** (2 * i / dims)
        M[2 * i, 2 * i], M[2 * i, 2 * i + 1] = math.cos(a), math.sin(a)
        M[2 * i + 1, 2 * i], M[2 * i + 1, 2 * i + 1] = -math.sin(a), math.cos(a)
    return M


@pytest.fixture(scope="module", params=range(len(SIZES)), ids=lambda i: f"size{i}")
def result(request: pytest.FixtureRequest) -> PositionalResult:
    return build(PositionalConfig(**SIZES[request.param]), CPU)


# -- 1. the tensors against independent torch ---------------------------------------------------
def test_outputs_are_plain_attention(result: PositionalResult) -> None:
    r = result
    perm = r.perm.tolist()
    assert sorted(perm) == list(range(r.config.seq_len)) and all(i != t for i, t in enumerate(perm))
    assert torch.equal(r.X_perm, r.X[r.perm])
    assert r.W_q.shape == (r.config.d_model, r.config.d_model)
    torch.testing.assert_close(r.Y.double(), attention(r.X, r.W_q, r.W_k, r.W_v), atol=1e-6, rtol=0)
    torch.testing.assert_close(r.Y_perm.double(), attention(r.X_perm, r.W_q, r.W_k, r.W_v), atol=1e-6, rtol=0)
    P = formula(r.config.seq_len, r.config.d_model)
    torch.testing.assert_close(r.P.double(), P, atol=1e-6, rtol=0)
    torch.testing.assert_close(r.Y_pe.double(), attention(r.X + P.float(), r.W_q, r.W_k, r.W_v), atol=1e-5, rtol=0)
    torch.testing.assert_close(r.Y_pe_perm.double(), attention(r.X_perm + P.float(), r.W_q, r.W_k, r.W_v),
                               atol=1e-5, rtol=0)


def test_without_positions_every_shuffle_only_moves_rows(result: PositionalResult) -> None:
    """Attn(X[pi]) = Attn(X)[pi] for every permutation pi, in float64 to 1e-12."""
    r = result
    Y = attention(r.X, r.W_q, r.W_k, r.W_v)
    for pi in itertools.permutations(range(r.config.seq_len)):
        idx = torch.tensor(pi)
        assert (attention(r.X[idx], r.W_q, r.W_k, r.W_v) - Y[idx]).abs().max() < 1e-12
    # what the lecture shows: float32 rounding at most
    assert float(r.diff_plain) == float((r.Y_perm - r.Y[r.perm]).abs().max())
    assert float(r.diff_plain) < 1e-6


def test_with_positions_the_shuffle_changes_the_output(result: PositionalResult) -> None:
    r = result
    P = formula(r.config.seq_len, r.config.d_model).float()
    want = attention(r.X_perm + P, r.W_q, r.W_k, r.W_v) - attention(r.X + P, r.W_q, r.W_k, r.W_v)[r.perm]
    assert float(r.diff_pe) == pytest.approx(float(want.abs().max()), abs=1e-5)
    assert float(r.diff_pe) > 1e-3  # far above float32 rounding
    assert int(r.diff_pe_row) == int(want.abs().amax(dim=1).argmax())


def test_default_breaks_symmetry_for_every_shuffle() -> None:
    r = build(PositionalConfig(), CPU)
    P = formula(r.config.seq_len, r.config.d_model).float()
    Y = attention(r.X + P, r.W_q, r.W_k, r.W_v)
    for pi in itertools.permutations(range(r.config.seq_len)):
        idx = torch.tensor(pi)
        gap = (attention(r.X[idx] + P, r.W_q, r.W_k, r.W_v) - Y[idx]).abs().max()
        assert (gap < 1e-12) if list(pi) == sorted(pi) else (gap > 1e-2), pi


def test_encoding_is_the_papers_formula(result: PositionalResult) -> None:
    r = result
    torch.testing.assert_close(r.PE.double(), formula(r.config.positions, r.config.pe_dims), atol=2e-5, rtol=0)
    dims = r.config.pe_dims
    w = torch.tensor([10000 ** (-2 * i / dims) for i in range(dims // 2)], dtype=torch.float64)
    torch.testing.assert_close(r.omega.double(), w, atol=1e-7, rtol=1e-6)
    torch.testing.assert_close(r.angles.double(), r.config.shift * w, atol=1e-5, rtol=1e-6)
    assert float(r.scale) == 1.0 and float(r.PE.abs().max()) <= 1.0 and float(r.base) == 10000.0


def test_shift_is_a_block_diagonal_rotation(result: PositionalResult) -> None:
    """PE(p+k) = M_k PE(p) for all p, with M_k built here from rotations, then the module's M_k."""
    r = result
    k, dims, positions = r.config.shift, r.config.pe_dims, r.config.positions
    M = rotations(k, dims)
    exact = formula(positions, dims)
    torch.testing.assert_close(exact[k:], exact[:-k] @ M.T, atol=1e-10, rtol=0)  # the identity itself
    torch.testing.assert_close(r.M.double(), M, atol=1e-5, rtol=0)
    off = torch.ones(dims, dims, dtype=torch.bool)
    for i in range(dims // 2):
        off[2 * i:2 * i + 2, 2 * i:2 * i + 2] = False
        block = r.M_blocks[i].double()
        assert torch.equal(r.M[2 * i:2 * i + 2, 2 * i:2 * i + 2], r.M_blocks[i])
        torch.testing.assert_close(block @ block.T, torch.eye(2, dtype=torch.float64), atol=1e-6, rtol=0)
        assert float(torch.linalg.det(block)) == pytest.approx(1.0, abs=1e-6)
    assert torch.count_nonzero(r.M[off]) == 0
    # on the module's float32 PE: the same relation at every position, up to float32 rounding
    gap = (r.PE[k:].double() - r.PE[:-k].double() @ M.T).abs().max()
    assert float(gap) < 5e-5 and float(r.rel_err) < 5e-5
    p = r.config.probe
    assert int(r.p) == p and int(r.k) == k and int(r.p_k) == p + k
    assert torch.equal(r.pe_p, r.PE[p]) and torch.equal(r.pe_pk, r.PE[p + k])
    torch.testing.assert_close(r.rotated.double(), M @ r.PE[p].double(), atol=1e-5, rtol=0)
    torch.testing.assert_close(r.rotated.double(), exact[p + k], atol=5e-5, rtol=0)


def test_seed_reproducible() -> None:
    a, b, c = (build(PositionalConfig(seed=s), CPU) for s in (4, 4, 5))
    assert torch.equal(a.X, b.X) and torch.equal(a.perm, b.perm) and torch.equal(a.W_v, b.W_v)
    assert not torch.equal(a.X, c.X)


# -- 2. what the scene shows, recomputed from the manifest's inputs -------------------------------
def recompute(manifest: dict[str, Any]) -> dict[str, torch.Tensor]:
    """Every tensor the lecture names, from the manifest's inputs and config, with plain torch."""
    cfg, t = manifest["config"], manifest["tensors"]

    def got(name: str) -> torch.Tensor:
        return torch.tensor(t[name]["values"])

    X, Wq, Wk, Wv, perm = got("X"), got("W_q"), got("W_k"), got("W_v"), got("perm").long()
    k, p = cfg["shift"], cfg["probe"]
    P = formula(cfg["seq_len"], cfg["d_model"])
    PE = formula(cfg["positions"], cfg["pe_dims"])
    M = rotations(k, cfg["pe_dims"])
    Y, Y_perm = attention(X, Wq, Wk, Wv), attention(X[perm], Wq, Wk, Wv)
    Y_pe, Y_pe_perm = attention(X + P.float(), Wq, Wk, Wv), attention(X[perm] + P.float(), Wq, Wk, Wv)
    # the two float32 residues are what torch's float32 gave; take them from the float32 tensors shown
    f32 = {n: got(n) for n in ("Y", "Y_perm", "PE", "M")}
    for name, want in (("Y", Y), ("Y_perm", Y_perm), ("PE", PE), ("M", M)):
        torch.testing.assert_close(f32[name].double(), want, atol=2e-5, rtol=0)
    half = cfg["pe_dims"] // 2
    w = torch.tensor([10000 ** (-2 * i / cfg["pe_dims"]) for i in range(half)], dtype=torch.float64)
    gap = (Y_pe_perm - Y_pe[perm]).abs()
    row = gap.amax(dim=1).argmax()
    other = 1 if k != 1 else 2
    n = min(6, cfg["positions"] - max(k, other))
    return {
        "X": X, "W_q": Wq, "W_k": Wk, "W_v": Wv, "perm": perm, "X_perm": X[perm], "Y": Y, "Y_perm": Y_perm,
        "Y_pi": Y[perm], "XP": X + P, "XP_perm": X[perm] + P, "Y_pe_pi": Y_pe[perm], "diff_pe_col": gap[row].argmax(),
        "pos": torch.arange(float(cfg["positions"])), "unit": torch.tensor([-1.0, 0.0, 1.0]),
        "MPE": PE[:-k] @ M.T, "offsets": torch.tensor([k, other]),
        "dots": torch.stack([(PE[:n] * PE[o:o + n]).sum(dim=1) for o in (k, other)]),
        "diff_plain": (f32["Y_perm"] - f32["Y"][perm]).abs().max(),
        "P": P, "Y_pe": Y_pe, "Y_pe_perm": Y_pe_perm, "diff_pe": (Y_pe_perm - Y_pe[perm]).abs().max(),
        "diff_pe_row": (Y_pe_perm - Y_pe[perm]).abs().amax(dim=1).argmax(),
        "PE": PE, "scale": torch.tensor(1.0), "ramp": torch.linspace(-1, 1, 256)[None, :],
        "base": torch.tensor(10000.0), "omega": w, "k": torch.tensor(k), "p": torch.tensor(p),
        "p_k": torch.tensor(p + k), "angles": k * w,
        "M_blocks": torch.stack([M[2 * i:2 * i + 2, 2 * i:2 * i + 2] for i in range(half)]), "M": M,
        "pe_p": PE[p], "pe_pk": PE[p + k], "rotated": M @ PE[p],
        "probe_err": (f32["PE"][p + k] - f32["M"] @ f32["PE"][p]).abs().max(),
        "rel_err": (f32["PE"][k:] - f32["PE"][:-k] @ f32["M"].T).abs().max(),
        "decay": PE @ PE[0], "decay_top": (PE[0] * PE[0]).sum(),
    }


def test_every_number_shown_equals_recomputed_torch(dry: DryRun) -> None:
    outcome = dry("positional")
    manifest, scene = outcome.manifest, outcome.scene
    truth = recompute(manifest)
    assert set(truth) == set(manifest["tensors"])
    checked = check_shown(scene, truth)
    assert checked > 1000  # every shown (number, text) was recomputed above; the manifest is checked below
    assert check_published(scene, manifest) > 100
    assert manifest["audit"]["heatmaps_checked"] > 0 and manifest["audit"]["mismatches"] == 0
    on_screen = seen(scene)
    for name in ("X", "X_perm", "Y", "Y_perm", "Y_pi", "P", "XP", "XP_perm", "Y_pe", "Y_pe_perm", "Y_pe_pi", "dots"):
        assert all((name, tuple(i)) in on_screen for i in np.ndindex(*truth[name].shape)), name
    for i in range(2):  # the two circles: their rotations, their points PE(p) and the turned points M_k PE(p)
        assert all(("M_blocks", (i, a, c)) in on_screen for a in range(2) for c in range(2))
        k = manifest["config"]["shift"]
        assert all(("PE", (p, 2 * i + d)) in on_screen for p in range(k + 4) for d in (0, 1))
        assert all(("MPE", (p, 2 * i + d)) in on_screen for p in range(4) for d in (0, 1))
    assert {("diff_plain", ()), ("diff_pe", ()), ("rel_err", ()), ("probe_err", ())} <= on_screen
    # pair 0 worked out: R_0's entries times PE(p)'s first pair give M_k PE(p)'s first two dims
    assert all(("M_blocks", (0, a, c)) in on_screen for a in range(2) for c in range(2))
    # PE(0) . PE(k) plotted against every offset k
    assert all(("decay", (j,)) in on_screen for j in range(manifest["config"]["positions"]))
    # M_k defined with numbers for one position: PE(p), M_k PE(p) and PE(p + k), dim by dim, and R_0's entries
    for name in ("pe_p", "rotated", "pe_pk"):
        assert all((name, (j,)) in on_screen for j in range(6)), name
    assert float(truth["probe_err"]) < 5e-5
    assert all(("PE", (p, 0)) in on_screen for p in range(manifest["config"]["positions"]))  # the fast wave
    # the heatmaps' tensors are the formula and the rotation built here (their pixels the audit checked)
    torch.testing.assert_close(scene.b.tensors["PE"].double(), truth["PE"], atol=2e-5, rtol=0)
    torch.testing.assert_close(scene.b.tensors["M"].double(), truth["M"], atol=1e-5, rtol=0)


def test_the_turned_points_land_on_the_shifted_ones(result: PositionalResult) -> None:
    """The rotation beat's claim: M_k PE(p) is PE(p + k) on every circle, for every p; PE(p) . PE(p + k) is one number."""
    r = result
    k = r.config.shift
    torch.testing.assert_close(r.MPE, r.PE[k:], atol=5e-5, rtol=0)
    for i in range(r.config.pe_dims // 2):
        radius = r.PE[:, 2 * i:2 * i + 2].norm(dim=1)
        torch.testing.assert_close(radius, torch.ones_like(radius), atol=1e-5, rtol=0)  # a unit circle
    for row, o in zip(r.dots, r.offsets.tolist()):
        assert float(row.max() - row.min()) < 1e-3  # the same for every p shown
        want = sum(math.cos(o * 10000 ** (-2 * i / r.config.pe_dims)) for i in range(r.config.pe_dims // 2))
        assert float(row[0]) == pytest.approx(want, abs=1e-3)  # sum_i cos(o w_i): the offset alone
    assert r.offsets[0] != r.offsets[1] and abs(float(r.dots[0, 0] - r.dots[1, 0])) > 0.01  # offsets told apart


def test_the_boxed_entry_is_the_largest_difference(result: PositionalResult) -> None:
    r = result
    i, j = int(r.diff_pe_row), int(r.diff_pe_col)
    assert float((r.Y_pe_perm[i, j] - r.Y_pe_pi[i, j]).abs()) == pytest.approx(float(r.diff_pe), abs=1e-7)
    assert torch.equal(r.XP, r.X + r.P) and torch.equal(r.XP_perm, r.X_perm + r.P)
    assert torch.equal(r.Y_pi, r.Y[r.perm]) and torch.equal(r.Y_pe_pi, r.Y_pe[r.perm])


# -- 3. validation ------------------------------------------------------------------------------


def test_captions_announce_the_width_and_define_m_k_before_using_it(dry: DryRun) -> None:
    """D = 64 is said when the encoding leaves the D = 4 example; M_k is defined before a caption computes with it."""
    captions = [c["text"] for c in dry("positional").manifest["captions"]]
    assert any(c.startswith("Now D = 64") for c in captions)
    assert any("Back to the tokens, D = 4" in c for c in captions)
    first = next(i for i, c in enumerate(captions) if "M_k" in c)
    assert captions[first].startswith("M_k is the whole shift as one matrix")
    assert any("The result is PE(8), the encoding of position 5 plus 3" in c for c in captions)
    text = " ".join(captions)
    assert "words back" not in text and "learn" not in text  # distance, not direction; nothing is trained here
    assert "3 apart from tokens 1 apart" in text
