"""`render.py new NAME`: write the skeleton of a new lecture that renders and passes its tests unchanged.

It writes `tensors/NAME.py` (config, result, build), `scenes/NAME.py` (a scene with its beats),
`tests/test_NAME.py` (the shown numbers against plain torch, a dry run) and adds NAME to the
registry's TOPICS. Names that are not lowercase identifiers, exist already or clash with a command
are refused before anything is written.
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path

from driver.errors import EXIT_USAGE, Failure

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = Path("driver") / "registry.py"
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_TOPICS_END = re.compile(r"^TOPICS: tuple\[Topic, \.\.\.\] = \(\n.*?^\)\n", re.S | re.M)


def class_stem(name: str) -> str:
    """Return the class-name stem of a lecture: 'my_topic' -> 'MyTopic'."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def check_name(name: str, root: Path = ROOT, reserved: tuple[str, ...] = ()) -> None:
    """Refuse a name that is not a lowercase identifier, exists already, or is a command (exit 2)."""
    if not _NAME.fullmatch(name) or keyword.iskeyword(name):
        raise Failure(f"new: {name!r} is not a lowercase Python identifier (a-z, 0-9 and _, starting with a letter)",
                      EXIT_USAGE)
    if name in reserved:
        raise Failure(f"new: {name!r} is a command of render.py ({', '.join(reserved)}); choose another name",
                      EXIT_USAGE)
    taken = [p for p in (f"tensors/{name}.py", f"tensors/{name}", f"scenes/{name}.py", f"scenes/{name}",
                         f"tests/test_{name}.py") if (root / p).exists()]
    if re.search(rf'^\s*Topic\("{name}",', (root / REGISTRY).read_text(), re.M):
        taken.insert(0, str(REGISTRY))
    if taken:
        raise Failure(f"new: {name!r} exists already ({', '.join(taken)})", EXIT_USAGE)


def write_skeleton(name: str, root: Path = ROOT, reserved: tuple[str, ...] = ()) -> list[Path]:
    """Write the new lecture's three files and its registry line; return the paths written."""
    check_name(name, root, reserved)
    registry_text = (root / REGISTRY).read_text()
    block = _TOPICS_END.search(registry_text)
    if block is None:
        raise Failure(f"new: cannot find the TOPICS tuple in {REGISTRY}; add the topic by hand")
    stem = class_stem(name)
    line = f'    Topic("{name}", "{stem}: Y = X W, entry by entry",\n          "What does the {name} lecture show?"),\n'
    end = block.end() - 2  # before the closing ')\n'
    files = {
        root / "tensors" / f"{name}.py": TENSORS.format(name=name, Name=stem),
        root / "scenes" / f"{name}.py": SCENE.format(name=name, Name=stem),
        root / "tests" / f"test_{name}.py": TEST.format(name=name, Name=stem),
    }
    for path, text in files.items():
        path.write_text(text)
    (root / REGISTRY).write_text(registry_text[:end] + line + registry_text[end:])
    return [*files, root / REGISTRY]


TENSORS = '''"""Lecture `{name}`: Y = X W, entry by entry. A skeleton from `render.py new`: make it answer your question.

The contract: a frozen `{Name}Config` (sizes as `opt` fields with the range the scene can draw, and
the seed from `LectureConfig`) in, a frozen `{Name}Result` (the named tensors a scene may show) out,
computed by `build(config, device)`. Pure torch: this module never imports Manim.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from tensors.common import LectureConfig, LectureResult, generator, linear_init, opt, randn


@dataclass(frozen=True)
class {Name}Config(LectureConfig):
    """Sizes of the worked example."""

    seq_len: int = opt(3, "sequence length L (rows of X)", 2, 5)
    d_model: int = opt(3, "embedding size D (columns of X, rows and columns of W)", 2, 4,
                       "the written-out sum of D products must fit the frame at a readable size")


@dataclass(frozen=True)
class {Name}Result(LectureResult):
    """Every tensor the {name} lecture shows, by name."""

    config: {Name}Config
    X: torch.Tensor  # (L, D) inputs, one row per token
    W: torch.Tensor  # (D, D) a weight, in the paper's right-multiplication Y = X W
    Y: torch.Tensor  # (L, D) = X @ W
    largest: torch.Tensor  # () max |Y|


def build(config: {Name}Config, device: torch.device) -> {Name}Result:
    """Compute every tensor of the {name} lecture on the device."""
    config.validate()
    g = generator(config.seed)
    L, D = config.seq_len, config.d_model
    X = randn((L, D), g, device)  # (L, D)
    W = linear_init(D, D, g, device).T.contiguous()  # (D, D): nn.Linear's weight is (out, in), W = weight.T
    Y = X @ W  # (L, D)
    return {Name}Result(config=config, X=X, W=W, Y=Y, largest=Y.abs().max())
'''

SCENE = '''"""Lecture `{name}`: Y = X W, entry by entry. A skeleton from `render.py new`: make it answer your question.

Every number on screen comes through the binding (`self.b`): matrices of bound entries, labels and
captions whose fields are tensor entries or sizes. The number audit and the layout audit check every
frame after every play and wait; `roles` gives each tensor its colour in the course's palette.
"""

from __future__ import annotations

from manim import DOWN, RIGHT, UP, Create, FadeIn, FadeOut, ReplacementTransform, VGroup

from scenes.kit import style
from scenes.kit.lecture import LectureScene


class {Name}Lecture(LectureScene):
    """Y = X W: the question, the inputs, the product entry by entry, the recap."""

    roles = {{"X": "input", "W": "weight", "Y": "output"}}
    question = "What does $Y = X W$ compute, entry by entry?"
    question_details = ("Two small matrices from torch; every number on screen is checked against it.",)
    question_caption = "This lecture multiplies two small matrices that torch computed, and checks every number it shows."
    recap_lines = ("Each entry of $Y$ is a row of $X$ times a column of $W$.",
                   "Every number on screen came from torch and was audited.")
    recap_caption = "Replace this skeleton with your own question: the tensors come from build, the pictures from here."
    beats = ("intro", "inputs", "product", "recap")

    def inputs(self) -> None:
        self.beat("The inputs")
        b = self.b
        self.X, self.W, self.Y = (self.matrix(name) for name in ("X", "W", "Y"))
        row = VGroup(self.X, self.math("times"), self.W, self.math("="), self.Y).arrange(RIGHT, buff=0.35)
        self.names = VGroup(*(self.math(text, size=style.LABEL_SIZE, color=style.ROLE[role]).next_to(m, UP, buff=0.2)
                              for text, role, m in (("X", "input", self.X), ("W", "weight", self.W),
                                                    ("Y = X W", "output", self.Y))))
        self.shapes = VGroup(*(self.shape(name, letters).next_to(m, DOWN, buff=0.2)
                               for name, letters, m in (("X", "L, D", self.X), ("W", "D, D", self.W),
                                                        ("Y", "L, D", self.Y))))
        self.top, self.foot = style.STAGE.rows(3, 1)
        self.top.place(VGroup(row, self.names, self.shapes))
        self.signs = VGroup(row[1], row[3])
        self.say("X holds {{L}} rows of size D = {{D}}, one per token. W maps each row to a new row of the same size.",
                 L=b.dim("X", 0), D=b.dim("X", 1))
        self.play(Create(self.X.brackets), FadeIn(self.X.entries, lag_ratio=0.02), FadeIn(self.names[0]),
                  FadeIn(self.shapes[0]))
        self.play(FadeIn(self.signs[0]), Create(self.W.brackets), FadeIn(self.W.entries, lag_ratio=0.02),
                  FadeIn(self.names[1]), FadeIn(self.shapes[1]))
        self.hold_caption()

    def product(self) -> None:
        self.beat("The product")
        b, X, W, Y = self.b, self.X, self.W, self.Y
        self.play(FadeIn(self.signs[1]), Create(Y.brackets), FadeIn(self.names[2]), FadeIn(self.shapes[2]))
        self.say("Each entry of Y is a row of X times a column of W: the first one is {{y}}.", y=b.value("Y", (0, 0)))
        row_box = X.box(rows=(0, 1), color=style.ROLE["input"])
        col_box = W.box(cols=(0, 1), color=style.ROLE["weight"])
        self.play(Create(row_box), Create(col_box))
        # the sum written out: a label whose every number is a bound field (no digit typed in the template)
        terms = " + ".join(f"({{{{x{{k}}}}}}) dot ({{{{w{{k}}}}}})" for k in range(W.n_rows))
        fields = {{f"x{{k}}": b.value("X", (0, k)) for k in range(W.n_rows)}}
        fields.update({{f"w{{k}}": b.value("W", (k, 0)) for k in range(W.n_rows)}}, y=b.value("Y", (0, 0)))
        line = self.foot.place(self.math(terms + " = {{y}}", style.NOTE_SIZE, style.TEXT, **fields))
        column = VGroup(*(W.entry(k, 0) for k in range(W.n_rows)))
        self.play(ReplacementTransform(VGroup(X.row(0), column).copy(), line), run_time=1.5)  # the numbers move into the sum
        self.play(FadeIn(Y.entry(0, 0), target_position=line.get_right()))  # the result flies into its cell
        self.hold_caption()
        self.play(FadeOut(row_box), FadeOut(col_box), FadeOut(line), run_time=0.4)
        self.say("The other entries follow the same way. The largest of them in size is {{m}}; torch keeps full "
                 "float32, the screen shows two decimals.", m=b.value("largest", ()))
        rest = [Y.entry(r, c) for r in range(Y.n_rows) for c in range(Y.n_cols) if (r, c) != (0, 0)]
        self.play(FadeIn(VGroup(*rest), lag_ratio=0.05), run_time=1.5)
        self.hold_caption()
'''

TEST = '''"""The {name} lecture against plain torch: the tensors, and every number the scene shows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from tensors.{name} import {Name}Config, build
from tests.conftest import DryRun
from tests.shown import check_shown, seen

CPU = torch.device("cpu")


def recompute(manifest: dict[str, Any]) -> dict[str, torch.Tensor]:
    """Every tensor the lecture names, from the manifest's inputs, with plain torch, entry by entry."""
    X = torch.tensor(manifest["tensors"]["X"]["values"])
    W = torch.tensor(manifest["tensors"]["W"]["values"])
    L, D = X.shape
    Y = torch.tensor([[sum(float(X[i, k]) * float(W[k, j]) for k in range(D)) for j in range(D)] for i in range(L)])
    return {{"X": X, "W": W, "Y": Y, "largest": Y.abs().max()}}


def test_build_is_the_product() -> None:
    r = build({Name}Config(), CPU)
    assert r.X.shape == (r.config.seq_len, r.config.d_model) and r.W.shape == (r.config.d_model,) * 2
    torch.testing.assert_close(r.Y, torch.nn.functional.linear(r.X, r.W.T))
    assert float(r.largest) == float(r.Y.abs().max())


def test_seed_reproducible() -> None:
    a, b, c = (build({Name}Config(seed=s), CPU) for s in (7, 7, 8))
    assert torch.equal(a.X, b.X) and torch.equal(a.W, b.W)
    assert not torch.equal(a.X, c.X)


@pytest.mark.parametrize("kwargs,needle", [({{"seq_len": 1}}, "minimum is 2"), ({{"d_model": 9}}, "limit is 4")])
def test_config_validation_names_the_limit(kwargs: dict[str, int], needle: str) -> None:
    from tensors.common import ConfigError

    with pytest.raises(ConfigError, match=needle):
        {Name}Config(**kwargs).validate()


def test_every_number_shown_equals_recomputed_torch(dry: DryRun) -> None:
    outcome = dry("{name}")  # the scene built and audited without drawing frames
    truth = recompute(outcome.manifest)
    assert check_shown(outcome.scene, truth) > 0
    assert outcome.manifest["audit"]["mismatches"] == 0
    on_screen = seen(outcome.scene)
    for name in ("X", "W", "Y"):
        assert all((name, tuple(i)) in on_screen for i in np.ndindex(*truth[name].shape)), name
'''
