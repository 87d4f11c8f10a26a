"""The base of every lecture: binding, audit after every play and wait, beats and captions."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, cast

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Animation,
    AnimationGroup,
    FadeIn,
    FadeOut,
    Group,
    LaggedStart,
    Mobject,
    Rectangle,
    ReplacementTransform,
    Scene,
    SurroundingRectangle,
    Typst,
    VGroup,
    VMobject,
    Write,
    config,
)

from scenes.kit import style
from scenes.kit.binding import Binding, Source
from scenes.kit.layout import LayoutAudit, contrast, exempt, reading_seconds
from scenes.kit.matrix import TensorMatrix
from tensors.common import LectureResult


def _no_frame(*args: Any, **kwargs: Any) -> None:
    """Draw nothing (dry-run)."""


class LectureScene(Scene):
    """A scene built from one lecture result; subclasses list their beats in `beats`.

    The first and last beats are usually data: set `question`, `question_details` and
    `question_caption` and list "intro"; set `recap_lines` and `recap_caption` and list "recap".
    """

    beats: ClassVar[tuple[str, ...]] = ()  # method names, in order; each begins with self.beat(title)
    question: ClassVar[str] = ""  # the intro's title, Typst markup
    question_details: ClassVar[tuple[str, ...]] = ()  # lines under the title
    question_caption: ClassVar[str] = ""  # what the intro's caption says
    recap_lines: ClassVar[tuple[str, ...]] = ()  # the recap's bullets, Typst markup
    recap_caption: ClassVar[str] = ""
    roles: ClassVar[dict[str, str]] = {}  # tensor name -> key of style.ROLE: its numbers are drawn in that colour
    layout_audit: ClassVar[bool] = True  # every frame passes scenes.kit.layout, like the numbers

    def __init__(self, result: LectureResult, dry_run: bool = False, **kwargs: Any) -> None:
        self.result = result
        self.b = Binding(result.tensors(), result.strings())
        self.b.tints = {name: style.ROLE[role] for name, role in self.roles.items()}
        self.dry_run = dry_run
        self.chapters: list[tuple[float, str]] = []
        self.plays = 0
        self._heading: Typst | None = None
        self._caption: tuple[float, str] | None = None
        self.voice: Any = None  # driver.voice.Voice, or None: silent (the driver sets it before rendering)
        self.voice_pause = 0.35  # seconds of silence after a spoken line before the next one may start
        self.lines: list[dict[str, Any]] = []  # each caption line: its Line, start, end, and voice clip
        self.burn_captions = False  # draw each caption in the caption band too (for players that show no tracks)
        self._burned: Mobject | None = None
        self.caption_spans: list[tuple[float, float, str]] = []  # (start, end, text) as subtitled
        self.layout = LayoutAudit(type(self).__module__.rsplit(".", 1)[-1], dict(self.roles))
        self._recap_at: float | None = None  # when the recap's last line appeared
        self.progress: Callable[[str], None] | None = None
        self.stop_check: Callable[[], None] | None = None  # raises when the render must stop (a signal came)
        self.preview_beat: int | None = None  # draw and encode only this beat (0-based); all are built and audited
        super().__init__(skip_animations=dry_run, **kwargs)
        if dry_run:  # build and audit, rasterise nothing: Manim draws static and frozen frames even when skipping
            self.skip_animation_preview = True
            self.renderer.update_frame = _no_frame  # type: ignore[method-assign]
            self.renderer.save_static_frame_data = _no_frame  # type: ignore[method-assign]

    def update_to_time(self, t: float) -> None:
        """Advance one frame, first letting the driver stop the render (checked every frame)."""
        if self.stop_check is not None:
            self.stop_check()
        super().update_to_time(t)

    # -- the audit hook ---------------------------------------------------------------------
    def play(self, *args: Any, **kwargs: Any) -> None:
        """Play, then audit every number on screen."""
        super().play(*args, **kwargs)
        self._audit()

    def wait(self, duration: float = 1.0, *args: Any, **kwargs: Any) -> None:
        """Wait, then audit every number on screen; a still frame may not outlast its caption's need."""
        if self.layout_audit:
            self.layout.frozen(duration, self._reading_left(), self._beat_name(), self.time)
        super().wait(duration, *args, **kwargs)
        self._audit()

    def _beat_name(self) -> str:
        return self.chapters[-1][1] if self.chapters else ""

    def _audit(self) -> None:
        if self.stop_check is not None:
            self.stop_check()
        self.plays += 1
        beat = self._beat_name()
        on_screen = [*self.mobjects, *self.foreground_mobjects]
        self.b.audit(on_screen, self.plays, beat, self.time)
        if self.layout_audit:
            self.layout.check_frame(on_screen, (), beat, self.time)
            stage = [m for m in on_screen if m is not self._heading and m is not self._burned]
            self.layout.stage(bool(self.layout.items(stage, ())[1]), beat, self.time)

    # -- labels ---------------------------------------------------------------------------------
    def shape(self, name: str, names: str, size: float = style.NOTE_SIZE) -> Typst:
        """Return '(B, L, D) = (1, 4, 6)' for a tensor: the letters given, the sizes bound to its shape."""
        letters = [n.strip() for n in names.split(",")]
        fields = {f"s{i}": self.b.dim(name, i) for i in range(len(letters))}
        sizes = ", ".join(f"{{s{i}}}" for i in range(len(letters)))
        return self.b.text(f"({', '.join(letters)}) = ({sizes})", math=True, font_size=size,
                           **fields).set_color(style.MUTED)

    def math(self, template: str, size: float = style.NOTE_SIZE, color: str = style.TEXT, **fields: Source) -> Typst:
        """Return a bound maths label."""
        return self.b.text(template, math=True, font_size=size, **cast(dict[str, Any], fields)).set_color(color)

    def prose(self, template: str, size: float = style.NOTE_SIZE, color: str = style.TEXT, **fields: Source) -> Typst:
        """Return a bound prose label (inline maths in $...$)."""
        return self.b.text(template, font_size=size, **cast(dict[str, Any], fields)).set_color(color)

    def matrix(self, name: str, prefix: Sequence[int] = (), color: str | None = None, decimals: int = 2,
               size: float = style.NUMBER_SIZE, cell: tuple[float, float] = (style.CELL_W, style.CELL_H),
               brackets: bool = True) -> TensorMatrix:
        """Return tensor[name][prefix] as a matrix of bound numbers, in its role's colour unless told otherwise."""
        if color is None:
            color = style.ROLE[self.roles[name]] if name in self.roles else style.TEXT
        return TensorMatrix(self.b, name, prefix, decimals, size, cell, color, brackets)

    def bullet(self, template: str, **fields: Source) -> Typst:
        """Return one recap or list line ("• ..."), its numbers bound."""
        return self.prose(f"• {template}", style.LABEL_SIZE, style.TEXT, **fields)

    def window_sum(self, window: VMobject, kernel: VMobject, products: VMobject, total: VMobject,
                   summed_size: float = style.LABEL_SIZE, buff: float = 0.3) -> VGroup:
        """Return the line 'window ⊙ kernel = products, summed = total'; its parts as attributes (a convolution step)."""
        odot, eq = style.note("$dot.o$", size=style.LABEL_SIZE), style.note("$=$", size=style.LABEL_SIZE)
        summed = style.note("summed $=$", size=summed_size)
        line = VGroup(window, odot, kernel, eq, products, summed, total).arrange(RIGHT, buff=buff)
        parts = cast(Any, line)
        parts.window, parts.kern, parts.prods, parts.total = window, kernel, products, total
        parts.symbols = VGroup(odot, eq, summed)
        return line

    def exact(self, name: str, index: Sequence[int] = ()) -> bool:
        """Return True when torch's difference `name` is exactly zero (not merely float32 rounding)."""
        return float(self.b.tensors[name][tuple(index)]) == 0.0

    def say_gap(self, name: str, exact: str, rounding: str, **fields: Source) -> bool:
        """Caption a largest difference {d}: the `exact` words when torch says 0, else the `rounding` words."""
        same = self.exact(name)
        self.say(exact if same else rounding, d=self.b.value(name, (), 2, "g"), **fields)
        return same

    @staticmethod
    def carry(source: Mobject, target: Mobject) -> ReplacementTransform:
        """Return a copy of source moving and turning into target; target is never reshaped (its glyphs are audited).

        TransformFromCopy would leave a morphed copy on screen that still carries the source's binding.
        """
        return ReplacementTransform(source.copy(), target)

    def combine(self, pairs: list[tuple[Mobject, VMobject]], *others: Animation, lag_ratio: float = 0.1,
                run_time: float = 1.2) -> None:
        """Play copies of each source group moving into and becoming its target number; then show the targets.

        A copy morphs into an unbound outline of the target's glyphs (a Transform into a bound number would
        reshape that number's own paths); once it has landed, the bound number itself takes its place.
        """
        ghosts = []
        for _, target in pairs:
            ghost = VMobject()
            ghost.set_points(target.get_all_points())
            ghost.match_style(target)
            ghosts.append(ghost)
        anims = [ReplacementTransform(src.copy(), ghost) for (src, _), ghost in zip(pairs, ghosts)]
        self.play(*others, LaggedStart(*anims, lag_ratio=lag_ratio), run_time=run_time)
        self.remove(*ghosts)
        self.add(*(t for _, t in pairs))

    def settle(self, *mats: TensorMatrix) -> None:
        """Replace a matrix drawn piece by piece (entries, brackets) by the whole matrix; nothing moves."""
        for m in mats:
            self.remove(m.entries, *m.entries, m.brackets)
            self.add(m)

    def flow(self, sources: Mobject, target: Mobject) -> AnimationGroup:
        """Return copies of sources flying into target and fading while target fades in (no glyph morphing)."""
        return AnimationGroup(FadeOut(sources.copy(), target_position=target, scale=0.6), FadeIn(target))

    def framed_heatmap(self, name: str, scale: str, height: float) -> Group:
        """Return a bound heatmap with a thin grey frame, as a Group (heatmap, frame)."""
        img = self.b.heatmap(name, scale, height)
        return Group(img, SurroundingRectangle(img, buff=0.02, color=style.MUTED, stroke_width=1.5))

    def colour_scale(self, ramp: str, scale: str, low: Source, high: Source, width: float = 1.6,
                     role: str | None = None) -> Group:
        """Return a heatmap's colour scale: the ramp tensor as a strip, its two ends named by bound numbers.

        `role` tints the strip like the heatmaps it explains (by default: the one role drawn on `scale` so far)."""
        strip = self.b.heatmap(ramp, scale, height=0.2, tint=style.ROLE[role] if role else None)
        strip.stretch_to_fit_width(width)
        a = self.math("{a}", color=style.MUTED, a=low).next_to(strip, LEFT, buff=0.12)
        z = self.math("{z}", color=style.MUTED, z=high).next_to(strip, RIGHT, buff=0.12)
        return Group(a, strip, z)

    def gone(self, *mobs: Mobject, run_time: float = 0.4) -> None:
        """Fade mobs out and take every part of them off the stage (parts may have been added one by one)."""
        self.play(FadeOut(Group(*mobs)), run_time=run_time)
        self.remove(*(m for mob in mobs for m in mob.get_family()))

    def listing(self, func: Callable[..., Any], size: float = style.CODE_SIZE) -> Typst:
        """Return the real source of func as a code listing (audited), syntax colours lifted to the contrast floor.

        Typst's raw theme is made for white paper: its comments and some keywords are too dark on ours.
        """
        listing = self.b.code(func, font_size=size)
        for glyph in listing.family_members_with_points():
            if glyph.get_fill_opacity() > 0.02 and contrast(glyph.get_fill_color().to_hex(), 1.0) < style.MIN_CONTRAST:
                glyph.set_fill(style.MUTED)
        return listing

    def code_line_box(self, listing: Typst, line: int, color: str = style.MUTED) -> Rectangle:
        """Return a translucent bar behind source line `line` (0-based, as in the file) of a listing."""
        source = cast(Any, listing).bound.text.splitlines()
        filled = [i for i, text in enumerate(source) if text.strip()]
        if line not in filled:
            raise ValueError(f"line {line} of the listing is blank or missing")
        glyphs = sorted(listing.family_members_with_points(), key=lambda m: -m.get_center()[1])
        pitch = listing.height / max(len(source), 1)
        rows: list[list[Mobject]] = []
        for g in glyphs:  # glyphs whose centres lie within half a line belong to one line
            if rows and abs(rows[-1][0].get_center()[1] - g.get_center()[1]) < 0.5 * pitch:
                rows[-1].append(g)
            else:
                rows.append([g])
        row = Group(*rows[filled.index(line)])
        bar = Rectangle(width=listing.width + 0.2, height=pitch * 1.05, stroke_width=0, fill_color=color,
                        fill_opacity=0.25)
        bar.set_z_index(-1)  # behind the code, so it never dims the glyphs
        return bar.move_to(np.array([listing.get_center()[0], row.get_center()[1], 0.0]))

    # -- structure ----------------------------------------------------------------------------
    def construct(self) -> None:
        """Play every beat in order, then close the last caption."""
        cast(Any, self.camera).background_color = style.BACKGROUND
        if self.preview_beat is not None:
            self._draw(False)
        for name in self.beats:
            getattr(self, name)()
        self._close_caption()
        for entry in self.lines:  # every line again at the end: a tensor changed after its caption fails here
            self.b.check_line(entry["line"], f"at the end, line of beat '{entry['beat']}'")
        self._audit()
        if self.layout_audit and self._recap_at is not None:
            self.layout.recap(self.time - self._recap_at, self._beat_name(), self.time)

    def beat(self, title: str) -> None:
        """Start a chapter: record it and swap the heading in the corner."""
        self._close_caption()
        self.chapters.append((self.time, title))
        if self.preview_beat is not None:  # a preview draws from this beat's first frame to the next beat's
            self._draw(len(self.chapters) - 1 == self.preview_beat)
        if self.progress is not None:
            self.progress(f"beat {len(self.chapters)}/{len(self.beats)}: {title}")
        new = style.heading(title)
        if self._heading is not None:  # out first, then in: two headings never overlap
            self.play(FadeOut(self._heading), run_time=0.2)
        self.play(FadeIn(new), run_time=0.3)
        self._heading = new

    def _draw(self, on: bool) -> None:
        """Draw and encode frames from now on (on), or build and audit only, as a dry run does (off)."""
        renderer = cast(Any, self.renderer)
        on = on and not self.dry_run
        renderer._original_skipping_status = renderer.skip_animations = not on  # Manim resets the latter each play
        self.skip_animation_preview = not on
        if on:
            vars(renderer).pop("update_frame", None)
            vars(renderer).pop("save_static_frame_data", None)
        else:
            renderer.update_frame = renderer.save_static_frame_data = _no_frame

    def say(self, template: str, **fields: Source) -> None:
        """Caption (and speak) what follows, until the next caption or beat; numbers only through fields."""
        self._close_caption()
        chapter = len(self.chapters)
        n = 1 + sum(1 for x in self.lines if x["chapter"] == chapter)
        line = self.b.line(f"{self.layout.lecture}-{chapter:02d}-{n:02d}", template, fields)
        clip = None if self.voice is None else self.voice.clip(line.id, line.spoken)
        self.lines.append({"line": line, "chapter": chapter, "beat": self._beat_name(), "start": self.time,
                           "end": None, "clip": clip})
        self._caption = (self.time, line.text)
        if self.burn_captions:
            self._burn(template, fields)

    def _close_caption(self) -> None:
        """End the open caption, first holding the frame until it has been read (and spoken)."""
        if self._caption is None:
            return
        start, text = self._caption
        self.hold_caption()
        self._caption = None
        entry = self.lines[-1]
        entry["end"] = self.time
        if self._burned is not None:
            self.remove(self._burned)
            self._burned = None
        self.b.check_line(entry["line"], f"at {self.time:.2f} s in beat '{self._beat_name()}'")
        if self.time > start:
            if self.layout_audit:
                self.layout.caption(start, self.time, text, self._beat_name())
            self.caption_spans.append((start, self.time, text))
            self.add_subcaption(text, duration=self.time - start, offset=start - self.time)

    def _burn(self, template: str, fields: dict[str, Source]) -> None:
        """Draw the caption in the caption band, wrapped to the frame, its numbers bound like any label's."""
        rows = textwrap.wrap(template, 96, break_long_words=False)  # about 96 characters fit across at this size
        safe = ["".join(p if i % 2 else re.sub(r"([\\#$*_@<>\[\]`~])", r"\\\1", p)  # Typst markup, not fields
                        for i, p in enumerate(re.split(r"(\{\w+\})", row))) for row in rows]
        text = self.b.text(" #linebreak() ".join(safe), False, style.NOTE_SIZE + 2, **cast(dict[str, Any], fields))
        text.set_color(style.TEXT)
        if text.width > config.frame_width - 2 * style.SAFE_MARGIN:
            text.scale_to_fit_width(config.frame_width - 2 * style.SAFE_MARGIN)
        text.move_to(np.array([0.0, (style.CAPTION_TOP - config.frame_height / 2 + style.SAFE_MARGIN) / 2, 0.0]))
        exempt(text, "caption_band", "the burned-in caption is what the band is for")
        self.add(text)
        self._burned = text

    def _reading_left(self) -> float:
        """Return how much longer the open caption must stay up to be read, and its voice heard (0 if none)."""
        if self._caption is None:
            return 0.0
        start, text = self._caption
        clip = self.lines[-1]["clip"]
        need = reading_seconds(text) if clip is None else max(reading_seconds(text), clip.seconds + self.voice_pause)
        return max(0.0, need - (self.time - start))

    def hold_caption(self, at_least: float = 0.0) -> None:
        """Hold the frame at least `at_least` seconds, and until the open caption can have been read."""
        need = max(at_least, self._reading_left())
        if need > 1e-6:  # one frame more: a real render advances whole frames, a caption must not close short
            self._still(need + 1.0 / config.frame_rate)

    def _still(self, seconds: float) -> None:
        """Hold a still frame for a time the lecture asked for (not counted as frozen)."""
        Scene.wait(self, seconds)
        self._audit()

    def intro(self) -> None:
        """The opening beat from the class's question fields."""
        self.ask(self.question_caption, self.question, *self.question_details)

    def ask(self, caption: str, title: str | VMobject, *details: str | VMobject, chapter: str = "The question",
            **fields: Source) -> None:
        """Open the lecture: the question written, details under it, held until the caption is read, cleared."""
        self.beat(chapter)
        head = style.note(title, size=style.TITLE_SIZE) if isinstance(title, str) else title
        more = [style.note(d, size=style.LABEL_SIZE, color=style.MUTED) if isinstance(d, str) else d for d in details]
        group = VGroup(head, *more).arrange(DOWN, buff=0.45)
        style.STAGE.place(group)
        self.say(caption, **fields)
        self.play(Write(head), run_time=1.0)
        if more:
            self.play(LaggedStart(*(FadeIn(m, shift=UP * 0.2) for m in more), lag_ratio=0.4), run_time=0.8)
        self.clear_stage()

    def recap(self) -> None:
        """The closing beat from the class's recap fields."""
        self.summarise(self.recap_caption, *self.recap_lines)

    def summarise(self, caption: str, *lines: str | VMobject, chapter: str = "Recap", **fields: Source) -> None:
        """Close the lecture: bullets revealed one by one, then held long enough to read them all."""
        self.beat(chapter)
        self.clear_stage()
        bullets = VGroup(*(style.note(f"• {line}", size=style.LABEL_SIZE) if isinstance(line, str) else line
                           for line in lines))
        bullets.arrange(DOWN, aligned_edge=LEFT, buff=0.35)
        style.STAGE.place(bullets)
        self.say(caption, **fields)
        self.reveal_lines(bullets, lag_ratio=0.5, run_time=0.8 * len(lines) + 0.6)
        self._recap_at = self.time
        self.hold_caption(style.RECAP_HOLD)

    def reveal_lines(self, lines: Mobject, lag_ratio: float = 0.5, run_time: float = 2.5) -> None:
        """Fade in lines of text one after another, each sliding in from the left (recaps, lists)."""
        self.play(LaggedStart(*(FadeIn(x, shift=RIGHT * 0.2) for x in lines), lag_ratio=lag_ratio),
                  run_time=run_time)

    def clear_stage(self, keep: tuple[Mobject, ...] = ()) -> None:
        """Let the open caption be read, then fade out everything but the heading and `keep`.

        The fade is one background-coloured cover faded in over the stage: FadeOut on every mobject
        would deep-copy each one (slow for matrices and code), and the stage under the cover is static.
        """
        self.hold_caption()
        keep = (*keep, *((self._burned,) if self._burned is not None else ()))  # the caption stays until it closes
        gone = [m for m in self.mobjects if m is not self._heading and m not in keep]
        if not gone:
            return
        cover = Rectangle(width=config.frame_width + 0.2, height=config.frame_height + 0.2, stroke_width=0,
                          fill_color=style.BACKGROUND, fill_opacity=1.0)
        cast(Any, cover).layout_skip = True  # a curtain over the whole frame for half a second, not content
        self.add(cover)
        self.bring_to_front(*(m for m in (self._heading, *keep) if m is not None))
        self.play(FadeIn(cover), run_time=0.5)
        self.remove(*gone, cover)
