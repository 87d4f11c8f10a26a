"""scenes/kit/binding.py: sources, formatting, labels, and one planted fault for every audit rule.

Expectations are written out here (literal texts, values from tensors the test made), never taken
from the binding's own formatter. No scene and no render: mobjects are audited directly.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from manim import DecimalNumber, MathTypst, VGroup

from scenes.kit import typst_cache
from scenes.kit.binding import AuditError, Binding, BindingError, Bound, Source, fmt, value_to_rgb

MESSAGE = 'RuntimeError: "shapes" do not match'


@pytest.fixture
def b() -> Binding:
    typst_cache.install()
    tensors = {
        "v": torch.tensor([0.25, -0.004, 2.5]),
        "M": torch.tensor([[-1.0, 0.5, 0.0], [0.25, 1.0, -0.75]]),
        "scale": torch.tensor(1.0),
        "E": torch.zeros(1, 4, 6),
    }
    return Binding(tensors, {"msg": MESSAGE})


def audit(b: Binding, *mobs: Any, animation: int = 1) -> Any:
    """Audit the given mobjects as if they were the whole screen."""
    return b.audit(list(mobs), animation, "beat", 0.0)


# -- formatting and sources ----------------------------------------------------------------------------
@pytest.mark.parametrize("value,decimals,style,text", [
    (3.14159, 2, "f", "3.14"), (-0.004, 2, "f", "0.00"), (-0.006, 2, "f", "-0.01"), (2.0, 0, "f", "2"),
    (-1.5, 1, "f", "-1.5"), (0.000123, 2, "g", "0.00012"), (0.0, 2, "g", "0"), (123456.0, 2, "g", "1.2e+05"),
    (2.4e-07, 2, "g", "2.4e-07"),
])
def test_fmt_writes_each_style_one_way(value: float, decimals: int, style: str, text: str) -> None:
    assert fmt(value, decimals, style) == text


def test_fmt_refuses_an_unknown_style() -> None:
    with pytest.raises(BindingError, match="unknown number style 'e'"):
        fmt(1.0, 2, "e")


def test_sources_describe_where_a_number_comes_from(b: Binding) -> None:
    assert b.value("M", (1, 2)).describe() == "M[1, 2]"
    assert b.dim("E", -1).describe() == "E.shape[2]"
    assert b.index("E", 1, 3).describe() == "E dim 1 index 3"
    assert b.string("msg").describe() == "text msg"


def test_truth_reads_the_tensor_now(b: Binding) -> None:
    assert b.truth(b.value("v", (0,))) == "0.25"
    assert b.truth(b.value("v", (1,))) == "0.00"
    assert b.truth(b.value("M", (1, 2), 1)) == "-0.8"  # -0.75 at one decimal: rounds half to even
    assert b.truth(b.dim("E", 2)) == "6"
    assert b.truth(b.index("E", 1, 3)) == "4"  # one-based by default
    assert b.truth(b.index("E", 1, 3, base=0)) == "3"
    assert b.truth(b.string("msg")) == MESSAGE
    assert b.exact(b.value("M", (1, 2))) == -0.75
    b.tensors["v"][0] = 0.5
    assert b.truth(b.value("v", (0,))) == "0.50"


@pytest.mark.parametrize("ask,needle", [
    (lambda b: b.value("nope", ()), "no tensor named 'nope'"),
    (lambda b: b.value("M", (2, 0)), r"index \(2, 0\) is not an entry of M with shape \(2, 3\)"),
    (lambda b: b.value("M", (0,)), r"index \(0,\) is not an entry of M"),
    (lambda b: b.value("M", (0, -1)), r"index \(0, -1\) is not an entry"),
    (lambda b: b.dim("M", 2), "M has no dimension 2"),
    (lambda b: b.index("E", 1, 4), r"E has no index 4 along dimension 1 \(size 4\)"),
    (lambda b: b.string("other"), "no captured text named 'other'"),
    (lambda b: b.exact(b.dim("M", 0)), r"M.shape\[0\] is not a tensor entry"),
    (lambda b: b.heatmap("v", "scale", 1.0), r"heatmap needs a 2-D tensor, v has shape \(3,\)"),
])
def test_a_source_the_result_cannot_back_is_refused(b: Binding, ask: Callable[[Binding], Any], needle: str) -> None:
    with pytest.raises(BindingError, match=needle):
        ask(b)


def test_literal_numbers_cannot_be_bound(b: Binding) -> None:
    with pytest.raises(BindingError, match="literal number"):
        b.fill("D = 512", {})
    with pytest.raises(BindingError, match="literal number"):
        b.fill("{d} heads of 64", {"d": b.dim("E", 2)})
    with pytest.raises(BindingError, match=r"fields \['d'\] != bound \['e'\]"):
        b.fill("D = {d}", {"e": b.dim("E", 2)})
    # digits inside names, and Typst sizes and colours, are not numbers on screen
    text, shown = b.fill('#set text(12pt, fill: rgb("#ff9e4a")) dtype float32, W2 at D = {d}', {"d": b.dim("E", 2)})
    assert text.endswith("dtype float32, W2 at D = 6") and shown == {"d": "6"}


def test_a_captured_text_goes_into_a_label_as_a_typst_string(b: Binding) -> None:
    text, shown = b.fill("error: {m}", {"m": b.string("msg")})
    assert shown == {"m": MESSAGE}
    assert text == 'error: #"RuntimeError: \\"shapes\\" do not match"'
    assert b.caption("error: {m}", {"m": b.string("msg")}) == f"error: {MESSAGE}"  # captions are plain text


# -- what an audit counts ----------------------------------------------------------------------------
def test_an_audit_counts_what_it_compared(b: Binding) -> None:
    nums = VGroup(b.number(b.value("v", (0,))), b.number(b.value("M", (1, 1))))
    label = b.text("{a} of {n}", a=b.index("E", 1, 2), n=b.dim("E", 1))
    heat = b.heatmap("M", "scale", 1.0)
    code = b.code(fmt)
    point = audit(b, VGroup(nums, label), heat, code)
    # two numbers and a label with two fields: four texts compared; one heatmap; code compares no number
    assert sorted((s.describe(), text) for s, text in point.shown) == sorted(
        [("v[0]", "0.25"), ("M[1, 1]", "1.00"), ("E dim 1 index 2", "3"), ("E.shape[1]", "4")])
    assert (point.heatmaps, point.plotted) == (1, 0)
    audit(b, nums, animation=2)
    assert (b.log.numbers_checked, b.log.pixels_checked, len(b.log.points)) == (4 + 2, 1, 2)


def test_a_copy_shares_its_record_and_is_audited_the_same(b: Binding) -> None:
    num = b.number(b.value("v", (2,)))
    copy = num.copy()
    assert copy.bound is num.bound
    assert [text for _, text in audit(b, copy).shown] == ["2.50"]
    b.tensors["v"][2] = 3.0
    with pytest.raises(AuditError, match=r"v\[2\] shows 2.50 but torch says 3.00"):
        audit(b, copy)


# -- one planted fault per audit rule ------------------------------------------------------------------
def test_rule_number_text_equals_the_tensor_now(b: Binding) -> None:
    num = b.number(b.value("v", (0,)))
    audit(b, num)
    b.tensors["v"][0] = 0.5
    with pytest.raises(AuditError) as err:
        audit(b, VGroup(VGroup(num)), animation=7)  # found however deep it sits
    assert str(err.value) == ("audit failed after animation 7 (beat 'beat'): v[0] shows 0.25 but torch says 0.50"
                              " (exact 0.5)")


def test_rule_label_fields_equal_the_tensor_now(b: Binding) -> None:
    label = b.text("x = {a}, n = {n}", a=b.value("M", (0, 1)), n=b.dim("M", 1))
    audit(b, label)
    b.tensors["M"] = torch.zeros(2, 4)
    either = r"M.shape\[1\] shows 3 but torch says 4|M\[0, 1\] shows 0.50 but torch says 0.00"
    with pytest.raises(AuditError, match=either):
        audit(b, label)


def test_rule_a_captured_text_is_still_the_one_captured(b: Binding) -> None:
    label = b.text("{m}", m=b.string("msg"))
    audit(b, label)
    b.strings["msg"] = "RuntimeError: other"
    with pytest.raises(AuditError, match="text msg shows RuntimeError: \"shapes\" do not match but torch says"
                                         " RuntimeError: other"):
        audit(b, label)


def test_rule_a_shown_position_still_exists(b: Binding) -> None:
    label = b.text("row {i}", i=b.index("E", 1, 3))
    b.tensors["E"] = torch.zeros(1, 2, 6)
    with pytest.raises(AuditError, match=r"E dim 1 index 3 shows 4 but torch says <out of range>"):
        audit(b, label)


def test_rule_glyphs_still_spell_the_text(b: Binding) -> None:
    num, other = b.number(b.value("v", (0,))), b.number(b.value("v", (2,)))
    num.set_points(other.points.copy())  # what a Transform into the other number leaves behind
    with pytest.raises(AuditError, match=r"v\[0\] glyphs no longer spell '0.25' \(changed after binding; torch says"
                                         r" 0.25\)"):
        audit(b, num)


def test_rule_label_glyphs_still_spell_the_label(b: Binding) -> None:
    label = b.text("x = {a}", a=b.value("v", (0,)))
    label.submobjects[-1].stretch(1.5, 0)
    with pytest.raises(AuditError, match=r"v\[0\] glyphs no longer spell 'x = 0.25'"):
        audit(b, label)


def test_rule_a_label_is_its_bound_template(b: Binding) -> None:
    label = b.text("x = {a}", a=b.value("v", (0,)))
    label.bound = dataclasses.replace(label.bound, template="y = {a}")
    with pytest.raises(AuditError, match=r"label 'x = 0.25' is not its bound template 'y = 0.25'"):
        audit(b, label)


def test_rule_heatmap_pixels_are_the_colour_map_of_the_tensor(b: Binding) -> None:
    heat = b.heatmap("M", "scale", 1.0)
    audit(b, heat)
    heat.pixel_array[0, 1, :3] = 255 - heat.pixel_array[0, 1, :3]
    with pytest.raises(AuditError, match=r"heatmap M\[0, 1\] shows colour .* but value 0.5 maps to"):
        audit(b, heat)


def test_rule_a_heatmap_follows_its_tensor_and_shape(b: Binding) -> None:
    heat = b.heatmap("M", "scale", 1.0)
    b.tensors["M"][1, 2] = 0.75
    with pytest.raises(AuditError, match=r"heatmap M\[1, 2\] shows colour .* but value 0.75 maps to"):
        audit(b, heat)
    b.tensors["M"] = torch.zeros(3, 3)
    with pytest.raises(AuditError, match=r"heatmap of M is \(2, 3\), tensor is \(3, 3\)"):
        audit(b, heat)


def test_rule_shown_code_is_still_the_functions_source(b: Binding, tmp_path: Path) -> None:
    path = tmp_path / "lecture_code.py"
    path.write_text("def project(x):\n    return x @ x.T\n")
    spec = importlib.util.spec_from_file_location("lecture_code", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["lecture_code"] = module
    try:
        spec.loader.exec_module(module)
        shown = b.code(module.project)
        assert shown.bound.text == "def project(x):\n    return x @ x.T"
        audit(b, shown)
        path.write_text("def project(x):\n    return x.T @ x  # changed\n")
        os.utime(path, (0, 0))  # a different mtime, whatever the clock's resolution
        with pytest.raises(AuditError, match="code shown for project is not its source"):
            audit(b, shown)
    finally:
        del sys.modules["lecture_code"]


def test_rule_no_untraced_number_on_screen(b: Binding) -> None:
    with pytest.raises(AuditError, match="number 0.5 on screen has no source"):
        audit(b, VGroup(b.number(b.value("v", (0,))), DecimalNumber(0.5, mob_class=MathTypst)))
    loose = typst_cache.typst("heads = 8")
    with pytest.raises(AuditError, match=r"untraced number in label 'heads = 8'"):
        audit(b, VGroup(VGroup(loose)))
    audit(b, typst_cache.typst("float32 and W2"))  # digits inside names are not numbers


# -- the colour map, checked by its properties ---------------------------------------------------------
def test_heatmap_colours_follow_the_values() -> None:
    """Positive values take the tint, negative a hue-free grey, brightness by magnitude; beyond the scale it saturates."""
    W = torch.randn(64, 64, generator=torch.Generator().manual_seed(3)).double().numpy()
    absmax = float(np.abs(W).max())
    tint = (0x9C, 0xCC, 0x65)  # a green, as an attention role would have
    px = value_to_rgb(W, absmax, "#9ccc65").astype(int)
    assert px.shape == (64, 64, 4) and np.all(px[..., 3] == 255)
    visible = np.abs(W) > 0.05 * absmax
    neg = px[..., :3][visible & (W < 0)]
    assert np.all(neg.max(-1) - neg.min(-1) <= 1)  # grey: no hue of its own
    pos = px[..., :3][visible & (W > 0)]
    assert np.all(pos[:, 1] > pos[:, 0]) and np.all(pos[:, 1] > pos[:, 2])  # the tint's hue (green leads)
    brightness = px[..., :3].sum(-1)
    for side in (W < 0, W >= 0):  # within each sign, brighter with |value| (up to rounding)
        order = np.argsort(np.abs(W[side]))
        assert np.all(np.diff(brightness[side][order]) >= -3)
    zero, over, edge = value_to_rgb(np.array([0.0, 2 * absmax, absmax]), absmax, "#9ccc65")
    assert zero[0] == zero[1] == zero[2]
    assert np.array_equal(over, edge) and tuple(edge[:3]) == tint


def test_bound_records_are_what_was_drawn(b: Binding) -> None:
    num = b.number(b.value("M", (0, 0)), font_size=30)
    assert isinstance(num.bound, Bound)
    assert num.bound.sources == {"v": Source("M", (0, 0))}
    assert (num.bound.template, num.bound.text, num.bound.shown) == ("{v}", "-1.00", {"v": "-1.00"})
    assert num.bound.fingerprint is not None and num.bound.fingerprint.shape[0] == len(num.points)


def test_the_tests_reader_of_shown_texts_agrees_with_fmt_and_rejects_what_must_never_show() -> None:
    """tests/shown.py parses texts on its own; it and fmt must agree, and it must be able to fail."""
    from tests.shown import agrees, whole

    rng = torch.Generator().manual_seed(0)
    for value in (torch.randn(200, generator=rng) * torch.logspace(-8, 4, 200)).tolist():
        for decimals, style in ((2, "f"), (0, "f"), (3, "f"), (2, "g")):
            assert agrees(fmt(value, decimals, style), value, decimals, style), (value, decimals, style)
    for shown, value in (("-0.00", 0.0), ("0.3", 0.3), ("0.300", 0.3), ("0.31", 0.3), (" 0.30", 0.3), ("x", 0.3)):
        assert not agrees(shown, value, 2, "f"), shown
    assert not agrees("0.000123", 0.000123, 2, "g")  # three significant digits
    assert whole("12") == 12
    for shown in ("012", "-1", "1.0", " 1"):
        with pytest.raises(AssertionError):
            whole(shown)
