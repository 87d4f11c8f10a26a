"""The layout audit: what a learner sees at 480p is checked after every play and wait, like the numbers.

A frame fails when two texts overlap, anything leaves the safe area or enters the caption band, a
highlight box cuts through a digit or sits on a bracket, a glyph is too small or too faint to read
at 854x480, or a bound number is drawn in another colour than its tensor's role. Over time, a
caption must stay up long enough to be read, the stage must not sit blank, a frame must not freeze
for longer than its caption needs, and the recap must hold. A failure raises `LayoutError` with one
line naming the lecture, the beat, the time and the mobjects involved.

An exemption is explicit and explained: `exempt(mob, "overlap", "why a person would agree")`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from manim import ImageMobject, Mobject, Typst, VMobject, config
from manim.utils.color import ManimColor

from scenes.kit import style
from scenes.kit.binding import AuditError, BoundNumber, role_of

RULES = ("overlap", "safe_area", "caption_band", "highlight", "text_size", "contrast", "role_colour",
         "caption_pace", "blank_stage", "frozen", "recap_hold")


class LayoutError(AuditError):
    """A frame a learner could not read, or a pace they could not follow."""


def exempt(mob: Mobject, rule: str, why: str) -> Mobject:
    """Exempt mob (and its family) from one rule, with the reason a person would agree with."""
    if rule not in RULES:
        raise ValueError(f"unknown layout rule {rule!r}")
    reasons = dict(getattr(mob, "layout_exempt", {}))
    reasons[rule] = why
    mob.layout_exempt = reasons  # type: ignore[attr-defined]
    return mob


def highlight(mob: Mobject) -> Mobject:
    """Mark mob as a highlight box: the audit checks that it never cuts through a digit or a bracket."""
    mob.is_highlight = True  # type: ignore[attr-defined]
    return mob


def bracket(mob: Mobject) -> Mobject:
    """Mark mob as a matrix bracket, which highlight boxes must not touch."""
    mob.is_bracket = True  # type: ignore[attr-defined]
    return mob


@dataclass
class Item:
    """One visible thing on screen: its bounding box and what it is."""

    mob: Mobject
    lo: np.ndarray  # (2,) bottom-left
    hi: np.ndarray  # (2,) top-right
    name: str
    exempt: dict[str, str]


def describe(mob: Mobject) -> str:
    """Return a short name for a mobject: its bound text or source, or its class."""
    bound = getattr(mob, "bound", None)
    if bound is not None and bound.sources:
        src = next(iter(bound.sources.values()))
        return f"{src.describe()} '{bound.text}'" if isinstance(mob, BoundNumber) else f"label '{bound.text[:40]}'"
    text = getattr(mob, "typst_code", None)
    if isinstance(text, str):
        return f"text '{text[:40]}'"
    return type(mob).__name__


def is_text(mob: Mobject) -> bool:
    """Return True for a number or a Typst label (code listings included): one text item to the audit."""
    return isinstance(mob, (BoundNumber, Typst)) or hasattr(mob, "font_size0")


def _box(mob: Mobject) -> tuple[np.ndarray, np.ndarray] | None:
    """Return the bounding box of mob's drawn points, or None if it draws nothing."""
    if isinstance(mob, ImageMobject):
        return mob.get_corner(np.array([-1, -1, 0]))[:2], mob.get_corner(np.array([1, 1, 0]))[:2]
    pts = mob.get_all_points()
    if not len(pts):
        return None
    return pts.min(axis=0)[:2], pts.max(axis=0)[:2]


def _visible(mob: Mobject) -> bool:
    """Return True if any part of mob is drawn with some opacity."""
    if isinstance(mob, ImageMobject):
        return True
    for m in mob.family_members_with_points():
        if isinstance(m, VMobject):
            if (m.get_fill_opacity() > 0.02) or (m.get_stroke_width() > 0 and m.get_stroke_opacity() > 0.02):
                return True
    return False


def _segment_meets_box(a: np.ndarray, z: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> bool:
    """Return True if the segment a-z passes through the rectangle lo-hi (Liang-Barsky clipping)."""
    t0, t1 = 0.0, 1.0
    d = z - a
    for k in range(2):
        if abs(d[k]) < 1e-12:
            if not lo[k] <= a[k] <= hi[k]:
                return False
            continue
        ta, tb = (lo[k] - a[k]) / d[k], (hi[k] - a[k]) / d[k]
        t0, t1 = max(t0, min(ta, tb)), min(t1, max(ta, tb))
        if t0 > t1:
            return False
    return True


def _luminance(hex_colour: str) -> float:
    """Return the WCAG relative luminance of a colour."""
    rgb = np.array(ManimColor(hex_colour).to_rgb())
    lin = np.where(rgb <= 0.03928, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return float(lin @ np.array([0.2126, 0.7152, 0.0722]))


def contrast(colour: str, opacity: float, background: str = style.BACKGROUND) -> float:
    """Return the contrast ratio of a colour drawn at an opacity over the background."""
    fg = np.array(ManimColor(colour).to_rgb())
    bg = np.array(ManimColor(background).to_rgb())
    mixed = ManimColor(opacity * fg + (1 - opacity) * bg).to_hex()
    a, b = sorted((_luminance(mixed), _luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)


@lru_cache(maxsize=4096)
def _fill_contrast(rgba: tuple[float, ...]) -> float:
    """Return the contrast of a fill (RGBA floats) over the background; a frame repeats few fills."""
    return contrast(ManimColor(np.array(rgba[:3])).to_hex(), rgba[3])


def font_size_of(mob: Mobject) -> float | None:
    """Return the font size a text is drawn at now, after any scaling (None if unknown)."""
    size0, height0 = getattr(mob, "font_size0", None), getattr(mob, "height0", None)
    if size0 is None or not height0:
        return None
    return float(size0) * mob.height / height0


def remember_size(mob: Mobject, font_size: float) -> Mobject:
    """Record the font size a text was made at, so the audit can tell its size after scaling."""
    mob.font_size0 = font_size  # type: ignore[attr-defined]
    mob.height0 = mob.height  # type: ignore[attr-defined]
    return mob


@dataclass
class LayoutAudit:
    """Checks every frame of one lecture; counts what it checked, per rule."""

    lecture: str
    roles: Mapping[str, str] = field(default_factory=dict)  # tensor name -> key of style.ROLE
    counts: Counter[str] = field(default_factory=Counter)
    last_shown: float = 0.0  # the last audit time at which the stage showed something
    longest_blank: float = 0.0
    fastest_cps: float = 0.0
    recap_hold: float | None = None

    def fail(self, beat: str, time: float, what: str) -> None:
        """Raise one line naming the lecture, beat, time and what is wrong."""
        raise LayoutError(f"layout audit failed in {self.lecture}, beat '{beat}', at {time:.1f} s: {what}")

    # -- one frame --------------------------------------------------------------------------
    def items(self, mobjects: Iterable[Mobject], skip: Iterable[Mobject]) -> tuple[list[Item], list[Item]]:
        """Return (texts, everything drawn) on screen, leaves for texts, top-level for the rest."""
        skipped = {id(m) for m in skip}
        texts: list[Item] = []
        drawn: list[Item] = []

        def walk(mob: Mobject, exempt: dict[str, str]) -> None:
            if id(mob) in skipped or getattr(mob, "layout_skip", False):
                return
            exempt = {**exempt, **getattr(mob, "layout_exempt", {})}
            text = is_text(mob)
            if text or isinstance(mob, ImageMobject) or not mob.submobjects:
                if not _visible(mob):
                    return
                box = _box(mob)
                if box is None:
                    return
                item = Item(mob, box[0], box[1], describe(mob), exempt)
                drawn.append(item)
                if text:
                    texts.append(item)
                return
            for sub in mob.submobjects:
                walk(sub, exempt)

        for m in mobjects:
            walk(m, {})
        return texts, drawn

    def check_frame(self, mobjects: Iterable[Mobject], skip: Iterable[Mobject], beat: str, time: float) -> bool:
        """Check one frame; return True if the stage (all but `skip`) shows anything."""
        texts, drawn = self.items(mobjects, skip)
        self._overlaps(texts, beat, time)
        self._bounds(drawn, beat, time)
        self._highlights(drawn, texts, beat, time)
        self._heatmap_roles(drawn, beat, time)
        for t in texts:
            self._legible(t, beat, time)
        return bool(drawn)

    def _overlaps(self, texts: list[Item], beat: str, time: float) -> None:
        live = [t for t in texts if "overlap" not in t.exempt]
        self.counts["overlap"] += len(live)
        if len(live) < 2:
            return
        lo = np.array([t.lo for t in live])
        hi = np.array([t.hi for t in live])
        w = np.minimum(hi[:, None, 0], hi[None, :, 0]) - np.maximum(lo[:, None, 0], lo[None, :, 0])
        h = np.minimum(hi[:, None, 1], hi[None, :, 1]) - np.maximum(lo[:, None, 1], lo[None, :, 1])
        hit = (w > style.OVERLAP_TOLERANCE) & (h > style.OVERLAP_TOLERANCE)
        np.fill_diagonal(hit, False)
        pairs = np.argwhere(np.triu(hit))
        if len(pairs):
            a, b = live[int(pairs[0][0])], live[int(pairs[0][1])]
            self.fail(beat, time, f"{a.name} overlaps {b.name}")

    def _bounds(self, drawn: list[Item], beat: str, time: float) -> None:
        half_w = config.frame_width / 2 - style.SAFE_MARGIN
        half_h = config.frame_height / 2 - style.SAFE_MARGIN
        for it in drawn:
            if "safe_area" not in it.exempt:
                self.counts["safe_area"] += 1
                if it.lo[0] < -half_w - 1e-3 or it.hi[0] > half_w + 1e-3 or it.lo[1] < -half_h - 1e-3 \
                        or it.hi[1] > half_h + 1e-3:
                    self.fail(beat, time, f"{it.name} leaves the safe area (x {it.lo[0]:.2f}..{it.hi[0]:.2f},"
                                          f" y {it.lo[1]:.2f}..{it.hi[1]:.2f})")
            if "caption_band" not in it.exempt:
                self.counts["caption_band"] += 1
                if it.lo[1] < style.CAPTION_TOP - 1e-3:
                    self.fail(beat, time, f"{it.name} reaches into the caption band (bottom at y {it.lo[1]:.2f},"
                                          f" the band starts at {style.CAPTION_TOP:.2f})")

    def _highlights(self, drawn: list[Item], texts: list[Item], beat: str, time: float) -> None:
        boxes = [d for d in drawn if getattr(d.mob, "is_highlight", False) and "highlight" not in d.exempt]
        if not boxes:
            return
        numbers = [t for t in texts if isinstance(t.mob, BoundNumber)]
        brackets = [d for d in drawn if getattr(d.mob, "is_bracket", False)]
        m = style.HIGHLIGHT_MARGIN
        for box in boxes:
            self.counts["highlight"] += 1
            for n in numbers:
                touches = (n.lo < box.hi).all() and (n.hi > box.lo).all()
                inside = (n.lo >= box.lo + m).all() and (n.hi <= box.hi - m).all()
                if touches and not inside:
                    self.fail(beat, time, f"a highlight box cuts through {n.name}")
            for br in brackets:
                corners = np.asarray(br.mob.get_anchors())[:, :2]
                inside = (corners >= box.lo).all() and (corners <= box.hi).all()
                if not inside and any(_segment_meets_box(a, z, box.lo - m, box.hi + m)
                                      for a, z in zip(corners[:-1], corners[1:])):
                    self.fail(beat, time, "a highlight box sits on a matrix bracket")

    def _heatmap_roles(self, drawn: list[Item], beat: str, time: float) -> None:
        """A heatmap of a tensor with a role is tinted in that role's colour (its only hue)."""
        for it in drawn:
            bound = getattr(it.mob, "bound", None)
            if "role_colour" in it.exempt or bound is None or bound.heatmap is None:
                continue
            name, _, tint = bound.heatmap
            role = role_of(name, self.roles)
            if role is None:
                continue
            self.counts["role_colour"] += 1
            want = ManimColor(style.ROLE[role]).to_hex().lower()
            if ManimColor(tint).to_hex().lower() != want:
                self.fail(beat, time, f"heatmap of {name} is tinted {tint}, but {name} has the role '{role}' ({want})")

    def _legible(self, t: Item, beat: str, time: float) -> None:
        if "text_size" not in t.exempt:
            size = font_size_of(t.mob)
            if size is not None:
                self.counts["text_size"] += 1
                if size < style.MIN_FONT_SIZE - 0.05:
                    self.fail(beat, time, f"{t.name} is drawn at font size {size:.1f}, below the"
                                          f" {style.MIN_FONT_SIZE} a 480p embed can show")
        if "contrast" not in t.exempt:
            self.counts["contrast"] += 1
            fills = (m.get_fill_rgbas()[0] for m in t.mob.family_members_with_points() if isinstance(m, VMobject))
            worst = min((_fill_contrast(tuple(f.tolist())) for f in fills if f[3] > 0.02), default=99.0)
            if worst < style.MIN_CONTRAST:
                self.fail(beat, time, f"{t.name} has contrast {worst:.1f}:1 against the background"
                                      f" (at least {style.MIN_CONTRAST}:1)")
        if "role_colour" not in t.exempt and isinstance(t.mob, BoundNumber):
            src = t.mob.bound.sources["v"]
            role = self.roles.get(src.tensor)
            if role is not None:
                self.counts["role_colour"] += 1
                want = ManimColor(style.ROLE[role]).to_hex().lower()
                got = t.mob.get_fill_color().to_hex().lower()
                if got != want:
                    self.fail(beat, time, f"{t.name} is drawn in {got}, but {src.tensor} has the role"
                                          f" '{role}' ({want})")

    # -- over time --------------------------------------------------------------------------
    def stage(self, shows: bool, beat: str, time: float) -> None:
        """Follow how long the stage has been blank; fail past the limit."""
        self.counts["blank_stage"] += 1
        if shows:
            self.last_shown = time
            return
        blank = time - self.last_shown
        self.longest_blank = max(self.longest_blank, blank)
        if blank > style.BLANK_LIMIT + 1e-6:
            self.fail(beat, time, f"the stage has been blank for {blank:.1f} s (at most {style.BLANK_LIMIT} s)")

    def frozen(self, seconds: float, needed: float, beat: str, time: float) -> None:
        """Fail a wait on an unchanging frame that lasts longer than the open caption needs."""
        self.counts["frozen"] += 1
        if seconds > needed + style.FROZEN_SLACK + 1e-6:
            self.fail(beat, time, f"the frame is frozen for {seconds:.1f} s while the caption needs {needed:.1f} s")

    def caption(self, start: float, end: float, text: str, beat: str) -> None:
        """Fail a caption that is on screen for less time than its text needs."""
        self.counts["caption_pace"] += 1
        need = reading_seconds(text)
        cps = len(text) / max(end - start, 1e-9)
        self.fastest_cps = max(self.fastest_cps, cps)
        if end - start < need - 1e-6:
            self.fail(beat, end, f"caption '{text[:40]}...' is up {end - start:.1f} s but needs {need:.1f} s"
                                 f" at {style.READING_CPS} characters per second")

    def recap(self, held: float, beat: str, time: float) -> None:
        """Fail a recap that leaves the screen too soon after its last line appeared."""
        self.counts["recap_hold"] += 1
        self.recap_hold = held
        if held < style.RECAP_HOLD - 1e-6:
            self.fail(beat, time, f"the recap is held {held:.1f} s after its last line (at least {style.RECAP_HOLD} s)")

    def summary(self) -> dict[str, object]:
        """Return the counts and figures for the manifest."""
        return {"checks": dict(sorted(self.counts.items())), "violations": 0,
                "longest_blank_seconds": round(self.longest_blank, 2),
                "fastest_caption_cps": round(self.fastest_cps, 1),
                "recap_hold_seconds": None if self.recap_hold is None else round(self.recap_hold, 2)}


def reading_seconds(text: str) -> float:
    """Return how long a caption must stay up to be read at the course's pace."""
    return max(style.MIN_CAPTION_SECONDS, len(text) / style.READING_CPS)


__all__ = ["LayoutAudit", "LayoutError", "RULES", "bracket", "contrast", "exempt", "highlight", "reading_seconds",
           "remember_size"]
