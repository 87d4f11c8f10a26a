"""The base of every lecture: binding, audit after every play and wait, beats and captions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from manim import RIGHT, FadeIn, FadeOut, LaggedStart, Mobject, Rectangle, Scene, Typst, config

from scenes.kit import style
from scenes.kit.binding import Binding, Source

READING_WORDS_PER_SECOND = 3.3  # a comfortable pace for captions over a busy picture
MIN_CAPTION_SECONDS = 1.5


def _no_frame(*args: Any, **kwargs: Any) -> None:
    """Draw nothing (dry-run)."""


class LectureScene(Scene):
    """A scene built from one lecture result; subclasses list their beats in `beats`."""

    beats: ClassVar[tuple[str, ...]] = ()  # method names, in order; each begins with self.beat(title)

    def __init__(self, result: Any, dry_run: bool = False, **kwargs: Any) -> None:
        self.result = result
        self.b = Binding(result.tensors(), result.strings())
        self.dry_run = dry_run
        self.chapters: list[tuple[float, str]] = []
        self.plays = 0
        self._heading: Typst | None = None
        self._caption: tuple[float, str] | None = None
        self.caption_spans: list[tuple[float, float, str]] = []  # (start, end, text) as subtitled
        self.progress: Callable[[str], None] | None = None
        self.stop_check: Callable[[], None] | None = None  # raises when the render must stop (a signal came)
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

    def wait(self, *args: Any, **kwargs: Any) -> None:
        """Wait, then audit every number on screen."""
        super().wait(*args, **kwargs)
        self._audit()

    def _audit(self) -> None:
        if self.stop_check is not None:
            self.stop_check()
        self.plays += 1
        beat = self.chapters[-1][1] if self.chapters else ""
        self.b.audit([*self.mobjects, *self.foreground_mobjects], self.plays, beat, self.time)

    # -- labels ---------------------------------------------------------------------------------
    def shape(self, name: str, names: str, size: float = style.NOTE_SIZE) -> Typst:
        """Return '(B, L, D) = (1, 4, 6)' for a tensor: the letters given, the sizes bound to its shape."""
        letters = [n.strip() for n in names.split(",")]
        fields = {f"s{i}": self.b.dim(name, i) for i in range(len(letters))}
        sizes = ", ".join("{s%d}" % i for i in range(len(letters)))
        return self.b.text(f"({', '.join(letters)}) = ({sizes})", math=True, font_size=size,
                           **fields).set_color(style.MUTED)

    def math(self, template: str, size: float = style.NOTE_SIZE, color: str = style.TEXT, **fields: Source) -> Typst:
        """Return a bound maths label."""
        return self.b.text(template, math=True, font_size=size, **fields).set_color(color)

    def prose(self, template: str, size: float = style.NOTE_SIZE, color: str = style.TEXT, **fields: Source) -> Typst:
        """Return a bound prose label (inline maths in $...$)."""
        return self.b.text(template, font_size=size, **fields).set_color(color)

    # -- structure ----------------------------------------------------------------------------
    def construct(self) -> None:
        """Play every beat in order, then close the last caption."""
        self.camera.background_color = style.BACKGROUND
        for name in self.beats:
            getattr(self, name)()
        self._close_caption()
        self._audit()

    def beat(self, title: str) -> None:
        """Start a chapter: record it and swap the heading in the corner."""
        self._close_caption()
        self.chapters.append((self.time, title))
        if self.progress is not None:
            self.progress(f"beat {len(self.chapters)}/{len(self.beats)}: {title}")
        new = style.heading(title)
        if self._heading is not None:  # out first, then in: two headings never overlap
            self.play(FadeOut(self._heading), run_time=0.2)
        self.play(FadeIn(new), run_time=0.3)
        self._heading = new

    def say(self, template: str, **fields: Source) -> None:
        """Caption what follows, until the next caption or beat; numbers only through fields."""
        self._close_caption()
        self._caption = (self.time, self.b.caption(template, fields, self.time))

    def _close_caption(self) -> None:
        """End the open caption, first holding the frame until a learner has had time to read it."""
        if self._caption is None:
            return
        start, text = self._caption
        self.hold_caption()
        self._caption = None
        if self.time > start:
            self.caption_spans.append((start, self.time, text))
            self.add_subcaption(text, duration=self.time - start, offset=start - self.time)

    def hold_caption(self, at_least: float = 0.0) -> None:
        """Hold the frame at least `at_least` seconds, and until the open caption can have been read."""
        need = at_least
        if self._caption is not None:
            start, text = self._caption
            need = max(need, max(MIN_CAPTION_SECONDS, len(text.split()) / READING_WORDS_PER_SECOND) - (self.time - start))
        if need > 0.05:
            self.wait(need)

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
        gone = [m for m in self.mobjects if m is not self._heading and m not in keep]
        if not gone:
            return
        cover = Rectangle(width=config.frame_width + 0.2, height=config.frame_height + 0.2, stroke_width=0,
                          fill_color=style.BACKGROUND, fill_opacity=1.0)
        self.add(cover)
        self.bring_to_front(*(m for m in (self._heading, *keep) if m is not None))
        self.play(FadeIn(cover), run_time=0.5)
        self.remove(*gone, cover)
