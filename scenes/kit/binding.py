"""The binding helper and the audit: every number on screen knows which tensor entry it shows.

A scene never builds a number from a literal. It asks a `Binding` for a `Source` (tensor name and
index, or a shape dimension, or an index into a dimension) and turns sources into mobjects with
`number`, `text` or `heatmap`. Each such mobject carries a `Bound` record: what it was made from,
the exact text its glyphs spell, and a fingerprint of those glyphs. `Binding.audit` walks what is
on screen and checks, for every bound mobject, that

* the text still equals the source value formatted the same way (the tensor was not changed),
* the glyphs still spell that text (no Transform or `become` turned them into other glyphs),
* heatmap pixels equal the colour map of the tensor, pixel for pixel,
* a plotted mark's values still format to the text they had when it was placed, and the mark sits
  where they put it on its plane (counted as a checked mark only when its plane was there to check),

and that no number on screen is untraced (a digit in an unbound number or label).
A failure raises `AuditError` with one line naming tensor, index, shown and true value.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from manim import ManimColor, Mobject, Typst, VMobject
from manim.mobject.types.image_mobject import ImageMobject

from scenes.kit import glyphs, speech, typst_cache

# A digit that is not part of a name such as float32 or W2 is a number, and must be bound.
_LOOSE_DIGIT = re.compile(r"(?<![A-Za-z_\d])\d")
_FIELD = re.compile(r"\{(\w+)\}")


class BindingError(ValueError):
    """A scene asked for a tensor, index or label the lecture result cannot back."""


class AuditError(RuntimeError):
    """What is on screen does not equal what torch computed."""


def fmt(value: float, decimals: int = 2, style: str = "f") -> str:
    """Format a value the one way the lecture shows it ('f' fixed, 'g' significant digits, 'n' a count: 50,257)."""
    if style == "n":
        return f"{round(value):,}"
    if style == "f":
        text = f"{value:.{decimals}f}"
        return text[1:] if text.startswith("-") and float(text) == 0 else text
    if style == "g":
        return "0" if value == 0 else f"{value:.{decimals}g}"
    raise BindingError(f"unknown number style {style!r}")


@dataclass(frozen=True)
class Source:
    """Where one shown number comes from: a tensor entry, a shape dimension, or an index."""

    tensor: str
    index: tuple[int, ...] = ()
    kind: str = "value"  # value | dim | index | string
    decimals: int = 2
    style: str = "f"
    base: int = 0  # for kind=index: shown as index + base

    def describe(self) -> str:
        """Return 'Q[0, 1, 2]', 'Q.shape[1]' or 'Q: index 2 of dim 1'."""
        if self.kind == "dim":
            return f"{self.tensor}.shape[{self.index[0]}]"
        if self.kind == "index":
            return f"{self.tensor} dim {self.index[0]} index {self.index[1]}"
        if self.kind == "string":
            return f"text {self.tensor}"
        return f"{self.tensor}[{', '.join(map(str, self.index))}]"


@dataclass
class Bound:
    """What a bound mobject was made from and what its glyphs spell."""

    sources: dict[str, Source]
    template: str  # '{v}' for a number; the label template for text
    text: str  # the exact text the glyphs were built from
    shown: dict[str, str] = field(default_factory=dict)  # each field's text when it was drawn
    fingerprint: np.ndarray | None = None
    heatmap: tuple[str, str, str] | None = None  # (tensor, colour-scale tensor, tint) for heatmaps
    code: Callable[..., Any] | None = None  # a function whose real source is shown
    # a plotted mark: checks its place on its plane, returns False when it has no plane to check against
    geometry: Callable[[Binding, Mobject, str], bool] | None = None

    def __deepcopy__(self, memo: dict[int, Any]) -> Bound:
        """Share the record between copies: it is never changed after binding, and copies show the same."""
        return self


@dataclass
class AuditPoint:
    """One audit: after which animation, and every bound text seen on screen."""

    animation: int
    beat: str
    time: float
    shown: list[tuple[Source, str]]
    heatmaps: int
    plotted: int = 0  # plotted marks whose place on their plane was checked against their values


@dataclass
class AuditLog:
    """Every audit of one render."""

    points: list[AuditPoint] = field(default_factory=list)

    @property
    def numbers_checked(self) -> int:
        """Count every (source, shown text) check made over all audit points."""
        return sum(len(p.shown) for p in self.points)

    @property
    def pixels_checked(self) -> int:
        """Count heatmaps compared pixel by pixel over all audit points."""
        return sum(p.heatmaps for p in self.points)

    @property
    def marks_checked(self) -> int:
        """Count plotted marks (dots, bars, curve points) checked against their values."""
        return sum(p.plotted for p in self.points)


def _fingerprint(mob: Mobject) -> np.ndarray:
    """Return the glyph outlines of a mobject, normalised to its own bounding box."""
    if not mob.submobjects:  # a bound number is one path
        pts = mob.points[:, :2]
    else:
        parts = [m.points for m in mob.family_members_with_points()]
        pts = np.concatenate(parts)[:, :2] if parts else np.zeros((0, 2))
    if not len(pts):
        return pts
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    return (pts - lo) / np.maximum(hi - lo, 1e-9)


def _same_glyphs(fp: np.ndarray, ref: np.ndarray | None) -> bool:
    """Return True if two fingerprints are the same outlines (within 2e-3 of the bounding box)."""
    return ref is not None and fp.shape == ref.shape and (not fp.size or float(np.abs(fp - ref).max()) <= 2e-3)


def centre(mob: Mobject) -> np.ndarray:
    """Return the centre of a mobject's bounding box, straight from its points (no family walk if it has none)."""
    pts = mob.points if not mob.submobjects else np.concatenate([m.points for m in mob.family_members_with_points()])
    if not len(pts):
        return mob.get_center()
    return (pts.min(axis=0) + pts.max(axis=0)) / 2


HEAT_ZERO = (24, 24, 24)  # zero is near-black on every heatmap
HEAT_NEGATIVE = (160, 160, 160)  # negative values: a hue-free grey, so a heatmap's only hue is its tensor's role
HEAT_NEUTRAL = "#e8e8e8"  # the positive end of a heatmap whose tensor has no role


def role_of(name: str, roles: Mapping[str, Any]) -> Any:
    """Return the entry of roles for a tensor name, map_0 falling back to map, then maps (None if none)."""
    stem = name.rstrip("0123456789").rstrip("_")
    return next((roles[k] for k in (name, stem, stem + "s") if k in roles), None)


def value_to_rgb(values: np.ndarray, absmax: float, tint: str = HEAT_NEUTRAL) -> np.ndarray:
    """Map values to colours: positive toward the role's tint, negative toward grey, brightness by |value|/absmax."""
    t = np.clip(values / max(absmax, 1e-12), -1.0, 1.0)[..., None]
    dark = np.array(HEAT_ZERO, dtype=np.float64)
    ends = np.where(t < 0, np.array(HEAT_NEGATIVE, dtype=np.float64), np.array(ManimColor(tint).to_int_rgb(), float))
    rgb = dark + np.abs(t) * (ends - dark)
    alpha = np.full(rgb.shape[:-1] + (1,), 255.0)
    return np.round(np.concatenate([rgb, alpha], axis=-1)).astype(np.uint8)  # RGBA


class BoundNumber(VMobject):
    """One number drawn from one tensor entry, with its source remembered."""

    def __init__(self, bound: Bound, font_size: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bound = bound
        glyphs.spell(self, bound.text, font_size)
        self.bound.fingerprint = _fingerprint(self)
        self.font_size0, self.height0 = font_size, self.height  # the layout audit reads the size after scaling


class Binding:
    """The one way scenes turn tensors into shown numbers, and the audit of what is shown."""

    def __init__(self, tensors: Mapping[str, torch.Tensor], strings: Mapping[str, str] | None = None) -> None:
        self.tensors = {k: v.detach().to("cpu") for k, v in tensors.items()}
        self.strings = dict(strings or {})  # texts captured from torch at build time, e.g. error messages
        self.log = AuditLog()
        self.tints: dict[str, str] = {}  # tensor name -> its role's colour: the positive end of its heatmap
        self._scale_tints: dict[str, set[str]] = {}  # colour-scale tensor -> the tints drawn on it (for its legend)

    # -- sources ---------------------------------------------------------------------------
    def _tensor(self, name: str) -> torch.Tensor:
        if name not in self.tensors:
            raise BindingError(f"no tensor named {name!r}; the lecture has {sorted(self.tensors)}")
        return self.tensors[name]

    def value(self, name: str, index: Iterable[int] = (), decimals: int = 2, style: str = "f") -> Source:
        """Return the source of the entry tensor[name][index]."""
        idx = tuple(int(i) for i in index)
        t = self._tensor(name)
        if len(idx) != t.dim() or any(not 0 <= i < n for i, n in zip(idx, t.shape)):
            raise BindingError(f"index {idx} is not an entry of {name} with shape {tuple(t.shape)}")
        return Source(name, idx, "value", decimals, style)

    def dim(self, name: str, dim: int) -> Source:
        """Return the source of the size of one dimension of a tensor."""
        t = self._tensor(name)
        if not -t.dim() <= dim < t.dim():
            raise BindingError(f"{name} has no dimension {dim}")
        return Source(name, (dim % t.dim(),), "dim")

    def index(self, name: str, dim: int, i: int, base: int = 1) -> Source:
        """Return the source of position i along a dimension (shown one-based by default)."""
        t = self._tensor(name)
        if not 0 <= i < t.shape[dim]:
            raise BindingError(f"{name} has no index {i} along dimension {dim} (size {t.shape[dim]})")
        return Source(name, (dim % t.dim(), i), "index", base=base)

    def string(self, name: str) -> Source:
        """Return the source of a text captured from torch at build time (an error message, a repr)."""
        if name not in self.strings:
            raise BindingError(f"no captured text named {name!r}; the lecture has {sorted(self.strings)}")
        return Source(name, (), "string")

    def exact(self, src: Source) -> float:
        """Return the full-precision value of a value source (for plotting)."""
        if src.kind != "value":
            raise BindingError(f"{src.describe()} is not a tensor entry")
        return float(self._tensor(src.tensor)[src.index])

    def truth(self, src: Source) -> str:
        """Return the text a source must show, read from the tensor (or captured text) now."""
        if src.kind == "string":
            return self.strings.get(src.tensor, "<missing text>")
        t = self._tensor(src.tensor)
        if src.kind == "dim":
            return str(t.shape[src.index[0]])
        if src.kind == "index":
            dim, i = src.index
            if not 0 <= i < t.shape[dim]:
                return "<out of range>"
            return str(i + src.base)
        return fmt(float(t[src.index]), src.decimals, src.style)

    # -- mobjects --------------------------------------------------------------------------
    def number(self, src: Source, font_size: float = 24, **kwargs: Any) -> BoundNumber:
        """Draw one bound number."""
        shown = self.truth(src)
        return BoundNumber(Bound({"v": src}, "{v}", shown, {"v": shown}), font_size, **kwargs)

    def fill(self, template: str, fields: Mapping[str, Source]) -> tuple[str, dict[str, str]]:
        """Fill a template's {fields} with their true texts, refusing loose literal digits."""
        static = _FIELD.sub("", template)
        if _LOOSE_DIGIT.search(_strip_markup(static)):
            raise BindingError(f"literal number in {template!r}: bind it to a tensor")
        names = set(_FIELD.findall(template))
        if names != set(fields):
            raise BindingError(f"template {template!r} fields {sorted(names)} != bound {sorted(fields)}")
        shown = {k: self.truth(src) for k, src in fields.items()}
        return _spell(template, shown, fields), shown

    def text(self, template: str, math: bool = False, font_size: float = 28, **fields: Source) -> Typst:
        """Draw a Typst label whose numbers all come from bound fields."""
        content, shown = self.fill(template, fields)
        mob = typst_cache.typst(content, math=math, font_size=font_size)
        mob.bound = Bound(dict(fields), template, content, shown, _fingerprint(mob))
        return mob

    def code(self, func: Callable[..., Any], font_size: float = 20) -> Typst:
        """Draw the real source of a function, re-read from the module at every audit."""
        src = inspect.getsource(func).rstrip()
        lit = src.replace("\\", "\\\\").replace('"', '\\"')
        mob = typst_cache.typst(f'#raw(block: true, lang: "python", "{lit}")', font_size=font_size)
        mob.bound = Bound({}, "", src, {}, _fingerprint(mob), code=func)
        return mob

    def tint(self, name: str, scale: str) -> str:
        """Return a heatmap's tint: its tensor's role colour (map_0 falls back to map or maps), else its scale's
        (a legend takes the one tint drawn on its scale so far, or stays neutral when roles share the scale)."""
        role = role_of(name, self.tints)
        if role is not None:
            return str(role)
        drawn = self._scale_tints.get(scale, set())
        return next(iter(drawn)) if len(drawn) == 1 else HEAT_NEUTRAL

    def heatmap(self, name: str, scale: str, height: float, tint: str | None = None) -> ImageMobject:
        """Draw a 2-D tensor as an image whose pixels are its values, coloured on +-scale in its role's tint."""
        t = self._tensor(name)
        if t.dim() != 2:
            raise BindingError(f"heatmap needs a 2-D tensor, {name} has shape {tuple(t.shape)}")
        tint = tint or self.tint(name, scale)
        self._scale_tints.setdefault(scale, set()).add(tint)
        pixels = value_to_rgb(t.double().numpy(), float(self._tensor(scale)), tint)
        mob = ImageMobject(pixels, scale_to_resolution=1)
        mob.set_resampling_algorithm(0)  # nearest: one pixel per weight, no smoothing
        mob.height = height
        mob.bound = Bound({}, "", "", heatmap=(name, scale, tint))  # type: ignore[attr-defined]
        return mob

    # -- the audit -------------------------------------------------------------------------
    def audit(self, mobjects: Iterable[Mobject], animation: int, beat: str, time: float) -> AuditPoint:
        """Check every bound mobject on screen; raise AuditError on the first mismatch."""
        point = AuditPoint(animation, beat, time, [], 0)
        where = f"after animation {animation} (beat '{beat}')"
        stack = list(mobjects)
        while stack:
            mob = stack.pop()
            bound = getattr(mob, "bound", None)
            if bound is None:
                self._check_untraced(mob, where)
                stack.extend(mob.submobjects)
                continue
            if bound.geometry is not None:  # a plotted mark: its place on the plane, then its values' texts
                if bound.geometry(self, mob, where):
                    point.plotted += 1
                self._check_values(bound, where, point)
            elif bound.heatmap:
                self._check_heatmap(mob, bound, where)
                point.heatmaps += 1
            elif bound.code is not None:
                self._check_code(mob, bound, where)
            else:
                self._check_text(mob, bound, where, point)
                slot = getattr(mob, "grid", None)
                if slot is not None:  # a matrix cell: right index, right place
                    slot.check(mob, where)
        self.log.points.append(point)
        return point

    def _check_values(self, bound: Bound, where: str, point: AuditPoint) -> None:
        """Compare each source's text when drawn with its truth now; record each comparison in point."""
        for key, src in bound.sources.items():
            true = self.truth(src)
            shown = bound.shown.get(key, "<unbound>")
            if shown != true:
                raise AuditError(
                    f"audit failed {where}: {src.describe()} shows {shown} but torch says {true}"
                    f" (exact {self._exact(src)})"
                )
            point.shown.append((src, shown))

    def _check_text(self, mob: Mobject, bound: Bound, where: str, point: AuditPoint) -> None:
        """Check a label's or number's values, its text against its template, and its glyphs against its text."""
        self._check_values(bound, where, point)
        spelled = _spell(bound.template, bound.shown, bound.sources)
        if spelled != bound.text:
            raise AuditError(f"audit failed {where}: label {bound.text!r} is not its bound template {spelled!r}")
        if not _same_glyphs(_fingerprint(mob), bound.fingerprint):
            first = next(iter(bound.sources.values()), None)
            name = first.describe() if first else "label"
            true = self.truth(first) if first else bound.text
            raise AuditError(
                f"audit failed {where}: {name} glyphs no longer spell {bound.text!r}"
                f" (changed after binding; torch says {true})"
            )

    def _exact(self, src: Source) -> str:
        if src.kind != "value":
            return self.truth(src)
        return repr(float(self._tensor(src.tensor)[src.index]))

    def _check_heatmap(self, mob: Mobject, bound: Bound, where: str) -> None:
        assert bound.heatmap is not None
        name, scale, tint = bound.heatmap
        t = self._tensor(name)
        want = value_to_rgb(t.double().numpy(), float(self._tensor(scale)), tint)
        got = np.asarray(mob.pixel_array)  # type: ignore[attr-defined]
        if got.shape != want.shape:
            raise AuditError(f"audit failed {where}: heatmap of {name} is {got.shape[:2]}, tensor is {tuple(t.shape)}")
        bad = np.argwhere(np.any(got != want, axis=-1))
        if len(bad):
            r, c = (int(x) for x in bad[0])
            raise AuditError(
                f"audit failed {where}: heatmap {name}[{r}, {c}] shows colour {tuple(got[r, c])}"
                f" but value {float(t[r, c]):.6g} maps to {tuple(want[r, c])}"
            )

    def _check_code(self, mob: Mobject, bound: Bound, where: str) -> None:
        assert bound.code is not None
        if inspect.getsource(bound.code).rstrip() != bound.text:
            raise AuditError(f"audit failed {where}: code shown for {bound.code.__qualname__} is not its source")

    def _check_untraced(self, mob: Mobject, where: str) -> None:
        text = getattr(mob, "typst_code", None) or getattr(mob, "text", None) or getattr(mob, "tex_string", None)
        if hasattr(mob, "number") and not isinstance(mob, ImageMobject):
            raise AuditError(f"audit failed {where}: number {mob.number!r} on screen has no source")
        if isinstance(text, str) and _LOOSE_DIGIT.search(_strip_markup(text)):
            raise AuditError(f"audit failed {where}: untraced number in label {text!r}")

    def caption(self, template: str, fields: Mapping[str, Source]) -> str:
        """Return a caption's plain text, its numbers bound like any label's."""
        _, shown = self.fill(template, fields)
        return _plain(template, shown)

    def line(self, line_id: str, template: str, fields: Mapping[str, Source]) -> Line:
        """Return a caption as shown and as spoken, both built from the same bound fields."""
        _, shown = self.fill(template, fields)
        words = {k: _speak_field(src, shown[k]) for k, src in fields.items()}
        return Line(line_id, template, _plain(template, shown), _speak(template, words),
                    {k: (src, shown[k], words[k]) for k, src in fields.items()})

    def check_line(self, line: Line, where: str) -> None:
        """Audit a caption line: each field as torch gives it now, the caption text, and every spoken number."""
        for src, shown, words in line.fields.values():
            truth = self.truth(src)
            if shown != truth:
                raise AuditError(f"audit failed {where}: caption {line.id} shows {src.describe()} as {shown!r},"
                                 f" but torch gives {truth!r}")
            if src.kind == "string":
                continue
            try:
                said = speech.read(words)
            except speech.SpeechError as err:
                raise AuditError(f"audit failed {where}: narration {line.id} speaks {src.describe()} as {words!r},"
                                 f" which is not a number ({err})") from None
            if said != speech.canonical(truth):
                raise AuditError(f"audit failed {where}: narration {line.id} speaks {src.describe()} as {words!r}"
                                 f" ({said}), but the screen shows {truth!r}")
        text = _plain(line.template, {k: shown for k, (_, shown, _) in line.fields.items()})
        if line.text != text:
            raise AuditError(f"audit failed {where}: caption {line.id} reads {line.text!r}, its bound fields give"
                             f" {text!r}")
        spoken = _speak(line.template, {k: w for k, (_, _, w) in line.fields.items()})
        if line.spoken != spoken:
            raise AuditError(f"audit failed {where}: narration {line.id} says {line.spoken!r}, its bound fields give"
                             f" {spoken!r}")


@dataclass
class Line:
    """One caption as shown and as spoken, with the source, shown text and spoken words of each bound field."""

    id: str
    template: str
    text: str  # the caption as a player shows it
    spoken: str  # the same caption as the voice says it
    fields: dict[str, tuple[Source, str, str]]  # field -> (source, shown text, spoken words)

    def numbers(self) -> list[dict[str, Any]]:
        """Return each spoken number with its tensor and index, for the manifest."""
        return [{"field": k, "tensor": src.tensor, "index": list(src.index), "kind": src.kind, "shown": shown,
                 "spoken": words} for k, (src, shown, words) in self.fields.items() if src.kind != "string"]


def _plain(template: str, shown: Mapping[str, str]) -> str:
    """Fill a caption template with its fields' shown texts: plain text, captured texts as they are."""
    return _FIELD.sub(lambda m: shown[m.group(1)], template)


def _speak_field(src: Source, shown: str) -> str:
    return speech.speakable(shown) if src.kind == "string" else speech.spell(shown)


def _speak(template: str, spoken: Mapping[str, str]) -> str:
    """Return a caption as the voice says it: its own words made speakable, each field's spoken words put in."""
    parts = _FIELD.split(template)  # static, field, static, field, ...
    return speech.tidy(" ".join(speech.speakable(p) if i % 2 == 0 else spoken[p] for i, p in enumerate(parts)))


def _spell(template: str, shown: Mapping[str, str], sources: Mapping[str, Source]) -> str:
    """Put each field's shown text into the template; captured texts go in as Typst string literals."""

    def put(m: re.Match[str]) -> str:
        key = m.group(1)
        text = shown.get(key, "?")
        src = sources.get(key)
        if src is not None and src.kind == "string":
            return '#"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return text

    return _FIELD.sub(put, template)


def _strip_markup(text: str) -> str:
    """Drop Typst markup that is not shown as digits (sizes like 12pt, colours like rgb)."""
    text = re.sub(r"#(set|show|let)[^\n]*", "", text)
    return re.sub(r"\d+(\.\d+)?(pt|em|%)|rgb\([^)]*\)|\"#[0-9a-fA-F]+\"", "", text)


__all__ = [
    "AuditError",
    "AuditLog",
    "AuditPoint",
    "Binding",
    "BindingError",
    "Bound",
    "BoundNumber",
    "Line",
    "Source",
    "centre",
    "fmt",
    "role_of",
    "value_to_rgb",
]
