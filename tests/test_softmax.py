"""The softmax tensors against independent torch: its properties, divide-by-sum, argmax, the weighted sum."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
import torch.nn.functional as F

from tensors.softmax import HEADS, SoftmaxConfig, SoftmaxResult, build
from tensors.trained import TrainConfig, trained
from tests.conftest import DryRun
from tests.shown import check_published, check_shown, positions, seen

CPU = torch.device("cpu")
SIZES = [(5, 4, 1, 0), (6, 5, 6, 1), (2, 2, 2, 3), (4, 3, 2, 7), (3, 2, 1, 11), (5, 4, 3, 0)]  # L, d_k, query, seed


@pytest.fixture(scope="module", params=SIZES, ids=lambda s: "L{}-d{}-q{}-seed{}".format(*s))
def result(request: pytest.FixtureRequest) -> SoftmaxResult:
    L, d, q, seed = request.param
    return build(SoftmaxConfig(seq_len=L, d_k=d, query=q, seed=seed), CPU)


@pytest.fixture(scope="module")
def default() -> SoftmaxResult:
    return build(SoftmaxConfig(), CPU)


def soft(x: torch.Tensor) -> torch.Tensor:
    """Softmax written out in float64: exp, then divide by the sum of the exps."""
    e = torch.exp(x.double() - x.double().max(dim=-1, keepdim=True).values)
    return e / e.sum(dim=-1, keepdim=True)


def one_hot_max(x: torch.Tensor) -> torch.Tensor:
    """Argmax as weights, written as a comparison with the maximum."""
    return (x == x.max(dim=-1, keepdim=True).values).double()


def close(a: torch.Tensor, b: torch.Tensor, tol: float = 1e-6) -> None:
    torch.testing.assert_close(a.double(), b.double(), rtol=0, atol=tol)



def trained_heads(L: int, d: int, seed: int) -> tuple[torch.Tensor, ...]:
    """Q, K, V (H, L, d) of every head for the sentence of the first L words, from the trained weights given as inputs."""
    m = trained(TrainConfig(d_model=HEADS * d, heads=HEADS, seed=seed))
    x = m.table[:L].double() + positions(L, HEADS * d, torch.float64)  # words 0..L-1: "cat eat mouse dog fish ..."
    return tuple((x @ W.double()).reshape(L, HEADS, d).permute(1, 0, 2) for W in (m.W_q, m.W_k, m.W_v))


# -- the trained head and its scores ------------------------------------------------------------
def test_q_k_v_are_head_one_of_the_trained_model(result: SoftmaxResult) -> None:
    r = result
    Qh, Kh, Vh = trained_heads(r.config.seq_len, r.config.d_k, r.config.seed)
    close(r.Q, Qh[0], 1e-5)
    close(r.K, Kh[0], 1e-5)
    close(r.V, Vh[0], 1e-5)
    close(r.A_heads, soft(Qh @ Kh.transpose(1, 2) / math.sqrt(r.config.d_k)), 1e-5)
    assert r.training() is not None and r.training()["held_out_accuracy"] > 0.95
    assert r.training()["last_loss"] < r.training()["first_loss"]


def test_head_one_looks_one_word_back(default: SoftmaxResult) -> None:
    r = default
    Qh, Kh, _ = trained_heads(r.config.seq_len, r.config.d_k, r.config.seed)
    A = soft(Qh[0] @ Kh[0].T / math.sqrt(r.config.d_k))
    for p in range(1, r.config.seq_len):  # the claim on screen: each word puts most weight on the word before
        assert float(A[p, p - 1]) > 0.8, (p, A[p])
    i = r.config.query - 1
    assert int(r.order[0]) == i - 1 and r.strings()["top_word"] == r.words[i - 1]


# -- scores and softmax -----------------------------------------------------------------------
def test_scores_are_scaled_dot_products(result: SoftmaxResult) -> None:
    r = result
    d = r.config.d_k
    S = torch.einsum("id,jd->ij", r.Q.double(), r.K.double()) / math.sqrt(d)
    close(r.S, S)
    close(r.s, S[r.config.query - 1])
    close(r.q[0], r.Q[r.config.query - 1], 0)


def test_softmax_weights_are_positive_sum_to_one_and_keep_the_order(result: SoftmaxResult) -> None:
    r = result
    close(r.A, soft(r.S))
    assert (r.A > 0).all() and (r.w > 0).all()
    close(r.A.sum(dim=-1), torch.ones(r.config.seq_len), 1e-6)
    close(r.row_sums[:, 0], r.A.double().sum(dim=-1), 1e-6)
    assert abs(float(r.w_sum) - 1.0) < 1e-6
    # order preserved: ranking keys by weight equals ranking by score, for every row
    for i in range(r.config.seq_len):
        assert torch.equal(torch.sort(r.S[i].double()).indices, torch.sort(r.A[i].double()).indices)
    assert int(r.order[0]) == int(r.s.argmax()) and int(r.order[-1]) == int(r.s.argmin())
    assert all(float(r.s[a]) >= float(r.s[b]) for a, b in zip(r.order.tolist(), r.order.tolist()[1:]))


def test_softmax_is_exp_over_sum(result: SoftmaxResult) -> None:
    r = result
    e = torch.exp(r.s.double())
    torch.testing.assert_close(r.exp_s.double(), e, rtol=1e-6, atol=1e-6)  # float32: relative to the size
    torch.testing.assert_close(r.exp_sum.double(), e.sum(), rtol=1e-6, atol=1e-6)
    close(r.w, torch.exp(r.s.double()) / torch.exp(r.s.double()).sum())


@pytest.mark.parametrize("c", [-100.0, -3.0, 5.0, 40.0])
def test_adding_a_constant_changes_no_weight(result: SoftmaxResult, c: float) -> None:
    r = result
    close(torch.softmax(r.s.double() + c, dim=-1), r.w, 1e-6)  # float64: s + c keeps every digit of s
    close(r.w_shifted, soft(r.s + float(r.shift)), 1e-6)
    assert float(r.shift_change) == float((r.w_shifted - r.w).abs().max()) < 1e-6


def test_shift_multiplies_every_exp_and_the_sum_by_e_to_the_shift(result: SoftmaxResult) -> None:
    r = result
    s, c = r.s.double(), float(r.shift)
    close(r.s_shifted, s + c, 1e-5)
    torch.testing.assert_close(r.exp_shifted.double(), torch.exp(s) * math.exp(c), rtol=1e-5, atol=1e-9)
    torch.testing.assert_close(r.exp_shifted_sum.double(), torch.exp(s).sum() * math.exp(c), rtol=1e-5, atol=0)
    assert abs(float(r.exp_shift) - math.exp(c)) < 1e-3
    close(r.s_stable, s - s.max(), 1e-5)
    assert float(r.s_stable.max()) == 0.0 and float(r.exp_stable.max()) == 1.0  # torch's stable form: no power above one
    torch.testing.assert_close(r.exp_stable_sum.double(), torch.exp(s - s.max()).sum(), rtol=1e-5, atol=0)
    close(r.exp_shifted / r.exp_shifted_sum, r.w, 1e-6)  # the same weights, shifted or not
    close(r.exp_stable / r.exp_stable_sum, r.w, 1e-6)


# -- divide by the sum ------------------------------------------------------------------------
def test_divide_by_sum(result: SoftmaxResult) -> None:
    r = result
    s = r.s.double()
    close(r.naive, s / s.sum(), 1e-4 * max(1.0, float((s / s.sum()).abs().max())))
    close(r.s_sum, s.sum(), 1e-6)
    assert float(r.naive_min) == float(r.naive.min()) and float(r.naive_max) == float(r.naive.max())
    if (s > 0).any() and (s < 0).any():  # mixed signs: some "weight" is negative
        assert (r.naive < 0).any()
    if (s < 0).all():  # all negative: the order flips
        assert int(r.naive.argmax()) == int(s.argmin())


def test_divide_by_sum_breaks_on_the_default_scores(default: SoftmaxResult) -> None:
    r = default
    s = r.s.double()
    naive = s / s.sum()
    assert (s < 0).any() and (s > 0).any() and float(s.sum()) < 0
    top, bottom = int(s.argmax()), int(s.argmin())
    assert float(naive[top]) < 0 < float(naive[bottom])  # the order flips: the caption's claim
    assert int(naive.argmax()) == bottom
    assert abs(float(naive.sum()) - 1) < 1e-4  # they still sum to one: that alone does not make weights


# -- smooth versus argmax ---------------------------------------------------------------------
def test_nudge_moves_softmax_a_little(result: SoftmaxResult) -> None:
    r = result
    delta = float(r.nudge)
    runner = int(torch.sort(r.s, descending=True).indices[1])
    diff = r.s_nudged.double() - r.s.double()
    assert abs(float(diff[runner]) - delta) < 1e-6
    assert (diff.abs() > 0).sum() == 1
    close(r.w_nudged, soft(r.s_nudged))
    close(r.w_change, soft(r.s_nudged) - soft(r.s))
    # each softmax derivative is at most 1/4, so a nudge of delta moves no weight by more than delta / 4
    assert float(r.w_change.abs().max()) <= delta / 4 + 1e-6
    assert float(r.w_change[runner]) > 0 and (r.w_change[torch.arange(len(r.s)) != runner] < 0).all()


def test_argmax_is_one_hot_and_jumps_or_stays(result: SoftmaxResult) -> None:
    r = result
    close(r.hard, one_hot_max(r.s), 0)
    close(r.hard_nudged, one_hot_max(r.s_nudged), 0)
    assert float(r.hard.sum()) == 1 and float(r.hard_nudged.sum()) == 1
    top, runner = (int(i) for i in torch.sort(r.s, descending=True).indices[:2])
    crossed = float(r.s[runner]) + float(r.nudge) > float(r.s[top])
    if crossed:  # all the weight moves at once
        assert float(r.hard_change[top]) == -1 and float(r.hard_change[runner]) == 1
    else:  # nothing moves at all
        assert float(r.hard_change.abs().sum()) == 0


def test_default_nudge_leaves_argmax_still(default: SoftmaxResult) -> None:
    r = default
    assert float(r.hard_change.abs().sum()) == 0
    runner = int(r.order[1])
    assert 0 < float(r.w_change[runner]) < 0.05


def test_exp_turns_differences_into_ratios(result: SoftmaxResult) -> None:
    r = result
    top, runner = (int(i) for i in torch.sort(r.s, descending=True).indices[:2])
    gap = r.s.double()[top] - r.s.double()[runner]
    close(r.gap, gap, 1e-6)
    close(r.ratio, r.w.double()[top] / r.w.double()[runner], 1e-4 * float(r.ratio))
    close(r.exp_gap, gap.exp(), 1e-4 * float(r.ratio))


def test_temperature_sharpens_and_flattens(result: SoftmaxResult) -> None:
    r = result
    temps = r.temps.double()
    assert temps.tolist() == sorted(temps.tolist()) and 1.0 in temps.tolist()
    close(r.w_temp, soft(r.s.double()[None] / temps[:, None]), 1e-6)
    close(r.w_temp[temps.tolist().index(1.0)], r.w, 1e-6)
    mx = r.w_temp.double().max(dim=-1).values
    close(r.w_temp_max, mx, 0)
    assert (mx[1:] <= mx[:-1] + 1e-9).all()  # hotter is flatter


def test_curves_softmax_smooth_argmax_step(result: SoftmaxResult) -> None:
    r = result
    top, runner = (int(i) for i in torch.sort(r.s, descending=True).indices[:2])
    xs = r.curve_x.double()
    steps = xs[1:] - xs[:-1]
    assert (steps > 0).all() and float(steps.max() - steps.min()) < 1e-5
    assert xs[0] <= r.s[runner] and r.s_nudged[runner] <= xs[-1] and xs[0] < r.s[top] < xs[-1]
    rest = torch.exp(r.s.double()).sum() - torch.exp(r.s[runner].double())
    close(r.curve_soft, torch.exp(xs) / (torch.exp(xs) + rest), 1e-6)
    assert (r.curve_soft[1:] > r.curve_soft[:-1]).all()  # rises smoothly
    assert float((r.curve_soft[1:] - r.curve_soft[:-1]).max()) < 0.25 * float(steps.max()) + 1e-6
    others = torch.cat([r.s[:runner], r.s[runner + 1:]]).double().max()
    tie = (r.curve_x == r.s[top]) & (runner < top)  # a tie goes to the first index, as torch.argmax does
    close(r.curve_hard, ((xs > others) | tie).double(), 0)
    assert set(r.curve_hard.tolist()) == {0.0, 1.0}


def test_gradient_predicts_the_nudge(result: SoftmaxResult) -> None:
    r = result
    runner = int(torch.sort(r.s, descending=True).indices[1])
    w = soft(r.s)
    jac = torch.diag(w) - torch.outer(w, w)  # the softmax Jacobian, by hand
    close(r.grad_r, jac[:, runner], 1e-6)
    close(r.grad_step, float(r.nudge) * jac[:, runner], 1e-6)
    close(r.slope, jac[runner, runner], 1e-6)
    # first order: the predicted change misses the real one by at most half the nudge squared times |d2 w| <= 1/4
    assert float((r.grad_step.double() - r.w_change.double()).abs().max()) <= 0.125 * float(r.nudge) ** 2 + 1e-6
    # the tangent goes through (s_r, w_r) with that slope
    tx, ty = r.tangent_x.double(), r.tangent_y.double()
    close((tx[0] + tx[1]) / 2, r.s[runner], 1e-6)
    close((ty[1] - ty[0]) / (tx[1] - tx[0]), jac[runner, runner], 1e-6)
    assert float(r.curve_x[0]) <= float(tx[0]) and float(tx[1]) <= float(r.curve_x[-1])


def test_slide_moves_one_score_and_every_weight_follows(result: SoftmaxResult) -> None:
    r = result
    top, runner = (int(i) for i in torch.sort(r.s, descending=True).indices[:2])
    xs = r.slide_x.double()
    steps = xs[1:] - xs[:-1]
    assert float(xs[0]) == float(r.s[runner]) and float(xs[-1]) == pytest.approx(float(r.curve_x[-1]), abs=1e-5)
    assert (steps > 0).all() and float(steps.max() - steps.min()) < 1e-5 and float(xs[-1]) > float(r.s[top])
    others = torch.arange(len(r.s)) != runner
    assert (r.slide_s[:, others] == r.s[others]).all() and torch.equal(r.slide_s[:, runner], r.slide_x)
    close(r.slide_w, soft(r.slide_s), 1e-6)
    assert (r.slide_w[1:, runner] > r.slide_w[:-1, runner]).all()  # key r's weight rises at every step
    assert (r.slide_w[1:, others] < r.slide_w[:-1, others] + 1e-9).all()  # the others give way
    close(r.slide_hard, one_hot_max(r.slide_s), 0)
    jumps = (r.slide_hard[1:, runner] - r.slide_hard[:-1, runner]).abs().sum()
    assert float(jumps) == 1  # argmax: zero, then one, once


# -- the weighted sum of values -----------------------------------------------------------------
def test_weighted_sum_equals_weights_at_V(result: SoftmaxResult) -> None:
    r = result
    i = r.config.query - 1
    close(r.w_col[:, 0], r.w, 0)
    close(r.contrib, r.w.double()[:, None] * r.V.double())
    close(r.o[0], r.w.double() @ r.V.double())
    fused = F.scaled_dot_product_attention(r.Q[None], r.K[None], r.V[None])[0]  # (L, d_k)
    close(r.O, fused, 1e-5)
    close(r.O_row[0], fused[i], 1e-5)
    assert float(r.out_diff) == float((r.o[0] - r.O[i]).abs().max()) < 1e-5
    close(r.contrib_norm, (r.w.double()[:, None] * r.V.double()).norm(dim=-1), 1e-5)
    assert torch.equal(r.contrib_order, torch.sort(r.contrib_norm, descending=True).indices)


def test_seed_reproducible() -> None:
    a, b = build(SoftmaxConfig(seed=4), CPU), build(SoftmaxConfig(seed=4), CPU)
    c = build(SoftmaxConfig(seed=5), CPU)
    assert torch.equal(a.Q, b.Q) and torch.equal(a.V, b.V) and not torch.equal(a.K, c.K)


# -- what the scene shows -----------------------------------------------------------------------
def recompute(manifest: dict[str, Any]) -> dict[str, torch.Tensor]:
    """Every tensor the lecture names, from the manifest's inputs, with plain torch in float64."""
    cfg, t = manifest["config"], manifest["tensors"]
    i = cfg["query"] - 1
    Q, K, V = (torch.tensor(t[n]["values"], dtype=torch.float64) for n in ("Q", "K", "V"))
    shift, nudge = float(t["shift"]["values"]), float(t["nudge"]["values"])
    curve_x = torch.tensor(t["curve_x"]["values"], dtype=torch.float64)
    d = K.shape[1]
    Qh, Kh, _ = trained_heads(cfg["seq_len"], d, cfg["seed"])
    S = Q @ K.T / math.sqrt(d)
    A = soft(S)
    s, w = S[i], A[i]
    order = torch.sort(s, descending=True).indices
    runner = int(order[1])
    s_nudged = s.clone()
    s_nudged[runner] += nudge
    w_shifted = soft(s + shift)
    naive = s / s.sum()
    swept = s.repeat(len(curve_x), 1)
    swept[:, runner] = curve_x
    contrib = w[:, None] * V
    o = (w @ V)[None]
    # float32 rounding is what that difference measures: recompute it in float32, as a model would run
    s32 = (Q.float() @ K.float().T / math.sqrt(K.shape[1]))[i]
    shift_change = (torch.softmax(s32 + shift, dim=-1) - torch.softmax(s32, dim=-1)).abs().max()
    swept32 = s32.repeat(len(curve_x), 1)  # argmax ties are decided in float32, as the lecture ran
    swept32[:, runner] = curve_x.float()
    hard32 = (swept32.argmax(dim=-1) == runner).double()
    O = A @ V
    top = int(order[0])
    # the gradient by hand: d w_j / d s_r = w_j (1[j = r] - w_r), one column of diag(w) - w w^T
    grad_r = w * ((torch.arange(len(s)) == runner).double() - w[runner])
    tx = torch.tensor(t["tangent_x"]["values"], dtype=torch.float64)
    half = float(tx[1] - tx[0]) / 2
    slide_x = torch.tensor(t["slide_x"]["values"], dtype=torch.float64)
    slide_s = s.repeat(len(slide_x), 1)
    slide_s[:, runner] = slide_x
    slide32 = s32.repeat(len(slide_x), 1)
    slide32[:, runner] = slide_x.float()
    norms = contrib.norm(dim=-1)
    temps = torch.tensor(t["temps"]["values"], dtype=torch.float64)
    w_temp = soft(s[None] / temps[:, None])
    return {
        "accuracy": torch.tensor(100 * manifest["training"]["held_out_accuracy"]), "qk_terms": Q[i] * K[top],
        "qk_dot": (Q[i] * K[top]).sum(), "sqrt_dk": torch.tensor(math.sqrt(d)),
        "A_heads": soft(Qh @ Kh.transpose(1, 2) / math.sqrt(d)), "gap": s[top] - s[runner],
        "ratio": w[top] / w[runner], "exp_gap": (s[top] - s[runner]).exp(), "temps": temps, "w_temp": w_temp,
        "w_temp_max": w_temp.max(dim=-1).values,
        "Q": Q, "K": K, "V": V, "q": Q[i:i + 1], "S": S, "A": A, "row_sums": A.sum(-1, keepdim=True), "O": O,
        "s": s, "exp_s": s.exp(), "exp_sum": s.exp().sum(), "w": w, "w_sum": w.sum(), "order": order,
        "shift": torch.tensor(shift), "w_shifted": w_shifted, "shift_change": shift_change,
        "s_shifted": s + shift, "exp_shifted": (s + shift).exp(), "exp_shift": torch.tensor(math.exp(shift)),
        "exp_shifted_sum": (s + shift).exp().sum(), "s_stable": s - s.max(), "exp_stable": (s - s.max()).exp(),
        "exp_stable_sum": (s - s.max()).exp().sum(),
        "s_sum": s.sum(), "naive": naive, "naive_sum": naive.sum(), "naive_min": naive.min(),
        "naive_max": naive.max(), "nudge": torch.tensor(nudge), "s_nudged": s_nudged, "w_nudged": soft(s_nudged),
        "w_change": soft(s_nudged) - w, "hard": one_hot_max(s), "hard_nudged": one_hot_max(s_nudged),
        "hard_change": one_hot_max(s_nudged) - one_hot_max(s), "curve_x": curve_x,
        "curve_soft": soft(swept)[:, runner], "curve_hard": hard32, "w_col": w[:, None],
        "contrib": contrib, "o": o, "grad_r": grad_r, "grad_step": nudge * grad_r, "slope": grad_r[runner],
        "tangent_x": s[runner] + torch.tensor([-half, half]), "tangent_y": w[runner] + grad_r[runner] * torch.tensor([-half, half]),
        "slide_x": slide_x, "slide_s": slide_s, "slide_w": soft(slide_s),
        "slide_hard": torch.nn.functional.one_hot(slide32.argmax(dim=-1), len(s)).double(),
        "contrib_norm": norms, "contrib_order": torch.sort(norms, descending=True).indices, "O_row": O[i:i + 1], "out_diff": (o[0] - O[i]).abs().max(),
    }


def test_every_number_shown_equals_recomputed_torch(dry: DryRun) -> None:
    outcome = dry("softmax")
    manifest, scene = outcome.manifest, outcome.scene
    truth = recompute(manifest)
    assert set(truth) == set(manifest["tensors"])
    checked = check_shown(scene, truth, scene.result.strings())
    assert checked > 1000  # every shown (number, text) was recomputed above; the manifest is checked below
    assert check_published(scene, manifest) > 100
    assert manifest["audit"]["marks_checked"] > 0
    cfg = manifest["config"]
    L, d = cfg["seq_len"], cfg["d_k"]
    on_screen = seen(scene)
    must = ([(n, (k,)) for n in ("s", "w", "exp_s", "w_shifted", "s_shifted", "exp_shifted", "s_stable", "exp_stable",
                                 "w_change", "hard_change", "naive", "w_nudged", "hard",
                                 "hard_nudged") for k in range(L)]
            + [(n, (a, c)) for n in ("S", "A") for a in range(L) for c in range(L)]
            + [(n, (a, c)) for n in ("V", "contrib", "K") for a in range(L) for c in range(d)]
            + [(n, (0, c)) for n in ("o", "O_row", "q") for c in range(d)]
            + [("row_sums", (a, 0)) for a in range(L)] + [("w_col", (a, 0)) for a in range(L)]
            + [("curve_soft", (k,)) for k in range(len(truth["curve_x"]))]
            + [(n, (k,)) for n in ("grad_step", "contrib_norm") for k in range(L)]
            + [(n, (m, k)) for n in ("slide_w",) for m in range(len(truth["slide_x"])) for k in range(L)]
            + [("s_nudged", (int(truth["order"][1]),))]  # only the nudged bar changes; the others stay the scores s
            + [(n, (m, int(truth["order"][1]))) for n in ("slide_s", "slide_hard")
               for m in range(len(truth["slide_x"]))]
            + [("slide_x", (m,)) for m in range(len(truth["slide_x"]))] + [("slope", ())]
            + [(n, (k,)) for n in ("tangent_x", "tangent_y") for k in range(2)]
            + [("exp_sum", ()), ("w_sum", ()), ("s_sum", ()), ("naive_sum", ()), ("gap", ()), ("ratio", ()),
               ("nudge", ()), ("out_diff", ()), ("shift_change", ()), ("exp_shift", ()), ("exp_shifted_sum", ()),
               ("exp_stable_sum", ())])
    missing = [m for m in must if m not in on_screen]
    assert not missing, missing
    shown = {(s.tensor, s.index): text for p in scene.b.log.points for s, text in p.shown if s.kind == "value"}
    assert all(shown[("row_sums", (a, 0))] == "1.00" for a in range(L))
    assert shown[("w_sum", ())] == "1.00"
    assert any(shown[("naive", (k,))].startswith("-") for k in range(L))
    captions = " ".join(c["text"] for c in manifest["captions"])
    assert "does not move it" in captions and "flips the order" in captions and "trained" in captions
    assert manifest["training"]["task"].startswith("name the word before")
