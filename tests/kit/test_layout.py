"""The layout audit: a clean frame passes, and each planted fault fails the render with one clear line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import manim
import pytest
import torch
from manim import DOWN, RIGHT, UP, FadeIn, Rectangle

from scenes.kit import style, typst_cache
from scenes.kit.layout import LayoutAudit, LayoutError, contrast, exempt, highlight
from scenes.kit.lecture import LectureScene
from tensors.common import LectureResult


@dataclass(frozen=True)
class Tiny(LectureResult):
    """Two small tensors to draw."""

    M: torch.Tensor
    N: torch.Tensor
    S: torch.Tensor


RESULT = Tiny(M=torch.tensor([[1.25, -0.5, 3.0], [0.75, 2.0, -1.5]]), N=torch.tensor([[0.5, 0.25]]),
              S=torch.tensor(3.0))


class Probe(LectureScene):
    """A one-beat lecture whose beat is set by each test."""

    beats = ("only",)
    layout_audit = True
    roles: ClassVar[dict[str, str]] = {"M": "weight"}
    act: ClassVar[Callable[[Probe], None]]

    def only(self) -> None:
        self.beat("Probe")
        type(self).act(self)


def run(act: Callable[[Probe], None]) -> Probe:
    """Build and audit a Probe whose beat does act, without drawing frames."""
    typst_cache.install()
    Probe.act = act
    with manim.tempconfig({"quality": "low_quality", "disable_caching": True, "verbosity": "ERROR",
                           "write_to_movie": False}):
        scene = Probe(RESULT, dry_run=True)
        scene.render()
    return scene


def fails(act: Callable[[Probe], None], *needles: str) -> str:
    """Run act and return the layout error's message, checking it names the lecture and the needles."""
    with pytest.raises(LayoutError) as err:
        run(act)
    message = str(err.value)
    assert "\n" not in message and message.startswith("layout audit failed in test_layout, beat 'Probe', at ")
    for needle in needles:
        assert needle in message, message
    return message


def weight_matrix(scene: Probe) -> manim.VGroup:
    return scene.matrix("M", color=style.ROLE["weight"], size=style.MIN_FONT_SIZE)


def test_a_clean_frame_passes_and_is_counted() -> None:
    def act(s: Probe) -> None:
        s.say("A small weight matrix, drawn in the weight colour.")
        m = weight_matrix(s)
        s.play(FadeIn(m), FadeIn(m.box(rows=(0, 1), cols=(1, 2), color=style.TEXT)))
        s.hold_caption()

    scene = run(act)
    checks = scene.layout.summary()["checks"]
    assert isinstance(checks, dict)
    for rule in ("overlap", "safe_area", "caption_band", "highlight", "text_size", "contrast", "role_colour",
                 "caption_pace", "blank_stage"):
        assert checks.get(rule, 0) > 0, rule


def test_overlapping_labels_fail() -> None:
    def act(s: Probe) -> None:
        a = s.prose("first label", size=style.MIN_FONT_SIZE)
        b = s.prose("second label", size=style.MIN_FONT_SIZE).move_to(a.get_center() + RIGHT * 0.3)
        s.play(FadeIn(a), FadeIn(b))

    fails(act, "text 'first label' overlaps text 'second label'")


def test_an_exemption_names_its_reason_and_lifts_one_rule() -> None:
    def act(s: Probe) -> None:
        a = s.prose("first label", size=style.MIN_FONT_SIZE)
        b = s.prose("second label", size=style.MIN_FONT_SIZE).move_to(a.get_center() + RIGHT * 0.3)
        exempt(b, "overlap", "a test of the exemption")
        s.play(FadeIn(a), FadeIn(b))

    run(act)
    with pytest.raises(ValueError, match="unknown layout rule"):
        exempt(Rectangle(), "nice", "no such rule")


def test_content_off_frame_or_in_the_caption_band_fails() -> None:
    fails(lambda s: s.play(FadeIn(s.prose("far right", size=30).move_to(RIGHT * 7.2))), "leaves the safe area")
    fails(lambda s: s.play(FadeIn(weight_matrix(s).to_edge(DOWN, buff=0.3))), "reaches into the caption band")


def test_a_box_off_its_cell_fails() -> None:
    def act(s: Probe) -> None:
        m = weight_matrix(s)
        box = m.box(rows=(0, 1), cols=(0, 1)).shift(RIGHT * 0.35)  # half over its neighbour
        s.play(FadeIn(m), FadeIn(box))

    fails(act, "a highlight box cuts through M[0, ")


def test_a_box_on_a_bracket_fails() -> None:
    def act(s: Probe) -> None:
        m = weight_matrix(s)
        column = m.box(cols=(0, 1))  # hugs column 1's digits
        left = m.brackets[0].get_left()[0] - 0.1  # ... but stretched left across the bracket
        box = highlight(Rectangle(width=column.get_right()[0] - left, height=column.height))
        box.move_to([(left + column.get_right()[0]) / 2, column.get_y(), 0])
        s.play(FadeIn(m), FadeIn(box))

    fails(act, "a highlight box sits on a matrix bracket")


def test_a_box_around_the_whole_matrix_with_its_brackets_passes() -> None:
    def act(s: Probe) -> None:
        m = weight_matrix(s)
        s.play(FadeIn(m), FadeIn(highlight(Rectangle(width=m.width + 0.3, height=m.height + 0.3).move_to(m))))

    run(act)


def test_a_tiny_label_fails() -> None:
    fails(lambda s: s.play(FadeIn(s.prose("tiny", size=16))), "text 'tiny' is drawn at font size 16.0")
    fails(lambda s: s.play(FadeIn(s.prose("shrunk", size=30).scale(0.5))), "font size 15.0")


def test_a_faint_label_fails() -> None:
    fails(lambda s: s.play(FadeIn(s.prose("faint", size=30, color="#2a2e35"))), "contrast")
    assert contrast("#ffffff", 1.0, "#000000") == pytest.approx(21.0)


def test_a_wrong_role_colour_fails() -> None:
    def act(s: Probe) -> None:
        s.play(FadeIn(s.matrix("M", color=style.ROLE["query"], size=style.MIN_FONT_SIZE)))

    fails(act, "M[0, 0] '1.25' is drawn in #8ab4f8, but M has the role 'weight' (#f2c14e)")


def test_a_heatmap_takes_its_role_tint_and_a_wrong_tint_fails() -> None:
    seen = []

    def right(s: Probe) -> None:
        heat = s.b.heatmap("M", "S", 1.0)
        seen.append(tuple(heat.pixel_array[0, 2][:3]))  # M[0, 2] = 3.0 = the scale: the full role colour
        s.play(FadeIn(heat))

    run(right)
    assert seen == [(0xF2, 0xC1, 0x4E)]  # style.ROLE["weight"], written out
    fails(lambda s: s.play(FadeIn(s.b.heatmap("M", "S", 1.0, tint=style.ROLE["query"]))),
          "heatmap of M is tinted #8ab4f8, but M has the role 'weight' (#f2c14e)")


def test_a_rushed_caption_fails() -> None:
    audit = LayoutAudit("demo")
    text = "x" * 45
    audit.caption(0.0, 3.0, text, "b")  # 45 characters at 15 per second: exactly 3 s
    with pytest.raises(LayoutError, match=r"layout audit failed in demo, beat 'b', at 2\.0 s: caption 'x+\.\.\.' is up"
                                          r" 2\.0 s but needs 3\.0 s"):
        audit.caption(0.0, 2.0, text, "b")


def test_a_blank_stretch_fails() -> None:
    def act(s: Probe) -> None:
        s.play(FadeIn(s.prose("here", size=30)))
        s.clear_stage()
        s.hold_caption(at_least=1.7)  # a still hold the lecture asked for, on an empty stage

    fails(act, "the stage has been blank for 1.8 s")


def test_a_frozen_frame_longer_than_its_caption_fails() -> None:
    def act(s: Probe) -> None:
        s.say("Short.")
        s.play(FadeIn(s.prose("here", size=30)))
        s.wait(4)

    fails(act, "the frame is frozen for 4.0 s while the caption needs")


def test_a_short_recap_hold_fails() -> None:
    audit = LayoutAudit("demo")
    audit.recap(style.RECAP_HOLD, "Recap", 9.0)
    with pytest.raises(LayoutError, match="the recap is held 1.0 s after its last line"):
        audit.recap(1.0, "Recap", 9.0)


def test_the_recap_beat_holds_long_enough() -> None:
    def act(s: Probe) -> None:
        s.play(FadeIn(s.prose("content", size=30).shift(UP)))
        s.summarise("A short recap.", "one line", "another line")

    scene = run(act)
    held = scene.layout.summary()["recap_hold_seconds"]
    assert isinstance(held, float) and held >= style.RECAP_HOLD
