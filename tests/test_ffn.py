"""The ffn tensors against independent torch: per-position equality, the perturbation, activations, sizes."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from tensors.ffn import FfnConfig, FfnResult, build
from tests.conftest import DryRun
from tests.shown import check_shown, seen

CPU = torch.device("cpu")
SIZES = [(4, 4, 2, 0), (6, 4, 6, 1), (2, 2, 1, 2), (5, 3, 3, 3), (3, 4, 1, 7)]  # L, D, position, seed


def torch_ffn(W1: torch.Tensor, b1: torch.Tensor, W2: torch.Tensor, b2: torch.Tensor) -> nn.Sequential:
    """Load the lecture's paper-convention weights into real nn.Linear modules (weight = W.T)."""
    D, d_ff = W1.shape
    first, second = nn.Linear(D, d_ff), nn.Linear(d_ff, D)
    with torch.no_grad():
        first.weight.copy_(W1.T)
        first.bias.copy_(b1)
        second.weight.copy_(W2.T)
        second.bias.copy_(b2)
    return nn.Sequential(first, nn.ReLU(), second)


def gelu_erf(z: torch.Tensor) -> torch.Tensor:
    """GELU written out: z * Phi(z), with the normal CDF from erf."""
    return 0.5 * z * (1.0 + torch.erf(z / math.sqrt(2.0)))


def torch_attention(x: torch.Tensor, W_q: torch.Tensor, W_k: torch.Tensor, W_v: torch.Tensor) -> torch.Tensor:
    """One head of self-attention through torch's fused kernel."""
    return F.scaled_dot_product_attention((x @ W_q)[None], (x @ W_k)[None], (x @ W_v)[None])[0]


@pytest.fixture(scope="module", params=SIZES, ids=lambda s: "L{}-D{}-j{}-seed{}".format(*s))
def result(request: pytest.FixtureRequest) -> FfnResult:
    L, D, j, seed = request.param
    return build(FfnConfig(seq_len=L, d_model=D, position=j, big_d_model=16, seed=seed), CPU)


# -- the FFN, position by position ------------------------------------------------------------
def test_ffn_equals_real_nn_linear_modules(result: FfnResult) -> None:
    r = result
    net = torch_ffn(r.W1, r.b1, r.W2, r.b2)
    with torch.no_grad():
        torch.testing.assert_close(r.Y, net(r.X))
        torch.testing.assert_close(r.Z, net[0](r.X))
    assert r.W1.shape == (r.config.d_model, 4 * r.config.d_model)
    assert r.W2.shape == (4 * r.config.d_model, r.config.d_model)


def test_row_by_row_equals_whole_sequence(result: FfnResult) -> None:
    r = result
    net = torch_ffn(r.W1, r.b1, r.W2, r.b2)
    with torch.no_grad():
        per_row = torch.stack([net(r.X[i]) for i in range(r.config.seq_len)])
        whole = net(r.X)
    torch.testing.assert_close(per_row, whole)
    torch.testing.assert_close(r.Y_rows, per_row)
    assert float(r.row_diff) == float((r.Y_rows - r.Y).abs().max())
    assert float(r.row_diff) < 1e-5


def test_changing_one_position_leaves_other_ffn_outputs_exactly_unchanged(result: FfnResult) -> None:
    r = result
    j = r.config.position - 1
    others = [i for i in range(r.config.seq_len) if i != j]
    assert torch.equal(r.X_new[others], r.X[others]) and not torch.equal(r.X_new[j], r.X[j])
    net = torch_ffn(r.W1, r.b1, r.W2, r.b2)
    with torch.no_grad():
        change = net(r.X_new) - net(r.X)
    assert torch.equal(change[others], torch.zeros_like(change[others]))  # exactly 0, not just small
    assert float(change[j].abs().max()) > 1e-3
    assert torch.equal(r.dY[others], torch.zeros_like(r.dY[others]))
    torch.testing.assert_close(r.dY, change)
    torch.testing.assert_close(r.dY_max, change.abs().amax(dim=1))
    assert float(r.ffn_other_max) == 0.0


def test_changing_one_position_changes_attention_everywhere(result: FfnResult) -> None:
    r = result
    j = r.config.position - 1
    change = torch_attention(r.X_new, r.W_q, r.W_k, r.W_v) - torch_attention(r.X, r.W_q, r.W_k, r.W_v)
    torch.testing.assert_close(r.A, torch_attention(r.X, r.W_q, r.W_k, r.W_v))
    torch.testing.assert_close(r.dA, change, rtol=1e-4, atol=1e-6)
    per_position = change.abs().amax(dim=1)
    assert bool((per_position > 1e-4).all())  # every position moved, not only j
    rest = torch.cat([per_position[:j], per_position[j + 1:]])
    assert float(r.attn_other_min) == pytest.approx(float(rest.min()), rel=1e-4)
    assert float(r.attn_other_min) > 0


# -- the non-linearity ------------------------------------------------------------------------
def test_relu_and_gelu_on_the_same_pre_activations(result: FfnResult) -> None:
    r = result
    j = r.config.position - 1
    torch.testing.assert_close(r.H, torch.where(r.Z > 0, r.Z, torch.zeros_like(r.Z)), rtol=0, atol=0)
    torch.testing.assert_close(r.G, gelu_erf(r.Z))
    assert int(r.relu_zeros) == int((r.Z[j] <= 0).sum()) == int((r.H[j] == 0).sum())
    negative = r.Z < 0
    assert bool((r.G[negative] < 0).all()) and bool((r.G[negative] > -0.17).all())  # GELU dips, but only a little
    assert bool((r.G[~negative] <= r.Z[~negative]).all())


def test_activation_values_known() -> None:
    z = torch.tensor([-2.0, -1.0, 0.0, 0.5, 1.0, 3.0])
    gelu = F.gelu(z)
    torch.testing.assert_close(gelu, torch.tensor([-0.0455003, -0.1586553, 0.0, 0.3457312, 0.8413447, 2.9959502]))
    assert F.relu(z).tolist() == [0.0, 0.0, 0.0, 0.5, 1.0, 3.0]


def test_curves_span_position_j(result: FfnResult) -> None:
    r = result
    j = r.config.position - 1
    reach = float(r.Z[j].abs().max())
    assert float(r.curve_z[0]) == pytest.approx(-reach) and float(r.curve_z[-1]) == pytest.approx(reach)
    assert bool((r.curve_z[1:] > r.curve_z[:-1]).all())
    torch.testing.assert_close(r.curve_relu, r.curve_z.clamp(min=0))
    torch.testing.assert_close(r.curve_gelu, gelu_erf(r.curve_z))


def test_without_the_activation_the_two_maps_collapse(result: FfnResult) -> None:
    """The caption's claim: two linear maps with nothing between are one linear map."""
    r = result
    linear = (r.X @ r.W1 + r.b1) @ r.W2 + r.b2
    torch.testing.assert_close(linear, r.X @ (r.W1 @ r.W2) + (r.b1 @ r.W2 + r.b2))
    if int((r.Z <= 0).sum()) > 0:
        assert not torch.allclose(linear, r.Y)
    W12, b12 = r.W1.double() @ r.W2.double(), r.b1.double() @ r.W2.double() + r.b2.double()
    torch.testing.assert_close(r.W12.double(), W12, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(r.b12.double(), b12, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(r.Y_lin, linear)
    torch.testing.assert_close(r.Y_one.double(), r.X.double() @ W12 + b12, rtol=1e-5, atol=1e-5)
    assert float(r.lin_diff) < 1e-5  # float32 rounding only
    assert float(r.relu_gap) == pytest.approx(float((r.Y.double() - (r.X.double() @ W12 + b12)).abs().max()),
                                              abs=1e-5)
    if int((r.Z <= 0).sum()) > 0:
        assert float(r.relu_gap) > 1e-3  # the bend makes it no single matrix


# -- parameter counts -------------------------------------------------------------------------
@pytest.mark.parametrize("D", [8, 512, 768])
def test_parameter_counts_from_real_modules(D: int) -> None:
    r = build(FfnConfig(big_d_model=D), CPU)
    first, second = nn.Linear(D, 4 * D), nn.Linear(4 * D, D)
    ffn = [p.numel() for m in (first, second) for p in (m.weight, m.bias)]
    mha = nn.MultiheadAttention(D, 8 if D % 8 == 0 else 1)  # with biases, counted alike with the FFN's
    attn_total = sum(p.numel() for p in mha.parameters())
    assert r.ffn_params.tolist() == ffn == [D * 4 * D, 4 * D, 4 * D * D, D]
    assert sum(ffn) == 2 * D * 4 * D + 4 * D + D
    assert r.attn_params.tolist() == [D * D, D] * 4
    assert attn_total == 4 * D * D + 4 * D == int(r.param_totals[1])
    assert int(r.param_totals[0]) == sum(ffn)
    assert float(r.param_ratio) == pytest.approx(sum(ffn) / (4 * D * D + 4 * D))
    assert abs(float(r.param_ratio) - 2) < 0.01 or D < 64  # "about twice": biases are a sliver at real sizes
    assert r.big_dims.tolist() == [D, 4 * D]
    assert (int(r.expansion), int(r.n_ffn_weights), int(r.n_attn_weights)) == (4, 2, 4)


# -- what the scene showed --------------------------------------------------------------------
def recompute(manifest: dict[str, Any]) -> dict[str, torch.Tensor]:
    """Every tensor the lecture names, from the manifest's inputs, with plain torch and nn modules."""
    cfg = manifest["config"]
    j, D_big = cfg["position"] - 1, cfg["big_d_model"]
    t = {k: torch.tensor(v["values"]) for k, v in manifest["tensors"].items()
         if k in ("X", "W1", "b1", "W2", "b2", "X_new", "W_q", "W_k", "W_v")}
    X, X_new = t["X"], t["X_new"]
    net = torch_ffn(t["W1"], t["b1"], t["W2"], t["b2"])
    with torch.no_grad():
        Z = net[0](X)
        Y, Y_new = net(X), net(X_new)
        Y_rows = torch.stack([net(x) for x in X])
    A, A_new = (torch_attention(x, t["W_q"], t["W_k"], t["W_v"]) for x in (X, X_new))
    dY, dA = Y_new - Y, A_new - A
    dY_max, dA_max = dY.abs().amax(dim=1), dA.abs().amax(dim=1)
    rest = [i for i in range(X.shape[0]) if i != j]
    curve_z = torch.linspace(-1.0, 1.0, len(manifest["tensors"]["curve_z"]["values"])) * Z[j].abs().max()
    first, second = nn.Linear(D_big, 4 * D_big), nn.Linear(4 * D_big, D_big)
    ffn_params = torch.tensor([p.numel() for m in (first, second) for p in (m.weight, m.bias)])
    attn_params = torch.tensor([p.numel() for _ in range(4) for p in nn.Linear(D_big, D_big).parameters()])
    totals = torch.stack([ffn_params.sum(), attn_params.sum()])
    W1, b1, W2, b2 = (t[n].double() for n in ("W1", "b1", "W2", "b2"))
    W12, b12 = W1 @ W2, b1 @ W2 + b2
    Xd = X.double()
    Y_lin, Y_one = (Xd @ W1 + b1) @ W2 + b2, Xd @ W12 + b12
    # float32 rounding is what lin_diff measures: recompute it in float32, as the lecture ran
    # (the lecture's W1, W2 are transposed views of nn.Linear-shaped (out, in) draws: the same memory layout here)
    W1v, W2v = t["W1"].T.contiguous().T, t["W2"].T.contiguous().T
    Y_lin32 = (X @ W1v + t["b1"]) @ W2v + t["b2"]
    Y_one32 = X @ (W1v @ W2v) + (t["b1"] @ W2v + t["b2"])
    w_scale = torch.maximum(t["W1"].abs().max(), t["W2"].abs().max())
    n_ramp = len(manifest["tensors"]["ramp"]["values"][0])
    return {
        "x_row": X[j][None, :], "terms": X[j][:, None] * t["W1"],
        "n_other_units": torch.tensor(X.shape[1] * 4 - 1), "terms2": Z[j].clamp(min=0)[:, None] * t["W2"],
        "hW2": Z[j].clamp(min=0) @ t["W2"], "n_active": (Z[j] > 0).sum(), "W12": W12, "b12": b12, "Y_lin": Y_lin,
        "Y_one": Y_one, "lin_diff": (Y_lin32 - Y_one32).abs().max(), "relu_gap": (Y.double() - Y_one).abs().max(),
        "relu_gap_at": torch.tensor(divmod(int((Y.double() - Y_one).abs().argmax()), X.shape[1])),
        "w_scale": w_scale, "ramp": torch.linspace(-1.0, 1.0, n_ramp)[None] * w_scale,
        **t, "Z": Z, "H": Z.clamp(min=0), "G": gelu_erf(Z), "Y": Y, "Y_rows": Y_rows,
        "row_diff": (Y_rows - Y).abs().max(), "dY": dY, "dY_max": dY_max, "A": A, "dA": dA, "dA_max": dA_max,
        "ffn_other_max": dY_max[rest].max(), "attn_other_min": dA_max[rest].min(),
        "relu_zeros": (Z[j] <= 0).sum(), "curve_z": curve_z, "curve_relu": curve_z.clamp(min=0),
        "curve_gelu": gelu_erf(curve_z), "big_dims": torch.tensor([D_big, 4 * D_big]), "ffn_params": ffn_params,
        "attn_params": attn_params, "param_totals": totals, "param_ratio": totals[0] / totals[1],
        "expansion": torch.tensor(4), "n_ffn_weights": torch.tensor(2), "n_attn_weights": torch.tensor(4),
    }


def test_every_number_shown_equals_recomputed_torch(dry: DryRun, monkeypatch: pytest.MonkeyPatch) -> None:
    import tests.shown

    plain = tests.shown.agrees

    def agrees(shown: str, value: float, decimals: int, style: str) -> bool:
        # tests.shown.agrees parses "2,099,712" as a Decimal before it reaches its 'n' branch (reported to the lead)
        return shown == f"{round(value):,}" if style == "n" else plain(shown, value, decimals, style)

    monkeypatch.setattr(tests.shown, "agrees", agrees)
    outcome = dry("ffn")
    manifest, scene = outcome.manifest, outcome.scene
    truth = recompute(manifest)
    assert set(truth) == set(manifest["tensors"])
    checked = check_shown(scene, truth)
    assert checked > 1000  # each compared with recomputed torch above
    assert manifest["audit"]["marks_checked"] > 0
    cfg = manifest["config"]
    j, L, D = cfg["position"] - 1, cfg["seq_len"], cfg["d_model"]
    on_screen = seen(scene)
    must = ([("Z", (j, k)) for k in range(4 * D)] + [("H", (j, k)) for k in range(4 * D)]
            + [("G", (j, k)) for k in range(4 * D)]
            + [(n, (i, d)) for n in ("X", "X_new", "Y", "Y_rows", "dY", "dA") for i in range(L) for d in range(D)]
            + [(n, (i,)) for n in ("dY_max", "dA_max") for i in range(L)]
            + [("ffn_params", (i,)) for i in range(4)] + [("attn_params", (i,)) for i in range(8)]
            + [(n, (i, d)) for n in ("W1",) for i in range(D) for d in range(4 * D)]
            + [(n, (i, d)) for n in ("W2",) for i in range(4 * D) for d in range(D)]
            + [(n, (i, d)) for n in ("W12", "Y_lin", "Y_one") for i in range(D if n == "W12" else L) for d in range(D)]
            + [("terms", (k, 0)) for k in range(D)] + [("x_row", (0, k)) for k in range(D)]
            + [("b1", (k,)) for k in range(4 * D)] + [(n, (k,)) for n in ("b2", "b12") for k in range(D)]
            + [("lin_diff", ()), ("relu_gap", ())]
            + [("param_totals", (0,)), ("param_totals", (1,)), ("param_ratio", ()), ("row_diff", ())])
    missing = [m for m in must if m not in on_screen]
    assert not missing, missing
    # the key fact, as shown: every other position's FFN change reads exactly 0
    shown = {(s.tensor, s.index): text for p in scene.b.log.points for s, text in p.shown if s.kind == "value"}
    assert all(shown[("dY_max", (i,))] == "0" for i in range(L) if i != j)  # exactly zero, shown as 0
    assert all(float(shown[("dA_max", (i,))]) > 0 for i in range(L))
    assert float(truth["dY_max"][[i for i in range(L) if i != j]].max()) == 0.0  # exactly, not rounded
    assert any("the change is exactly 0." in c["text"] for c in manifest["captions"])
