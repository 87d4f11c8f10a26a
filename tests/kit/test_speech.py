"""Numbers as the voice says them, and the audit of every spoken number against its tensor entry as shown."""

from __future__ import annotations

import pytest
import torch

from scenes.kit.binding import AuditError, Binding, fmt
from scenes.kit.speech import SpeechError, canonical, read, speakable, spell

SAID = [  # written out by hand
    ("-0.31", "minus zero point three one"),
    ("0.60", "zero point six zero"),
    ("2.00", "two point zero zero"),
    ("115", "one hundred fifteen"),
    ("50,257", "fifty thousand two hundred fifty-seven"),
    ("1,000,000", "one million"),
    ("1.8e+07", "one point eight times ten to the seven"),
    ("3e-05", "three times ten to the minus five"),
    ("0", "zero"),
]


@pytest.mark.parametrize(("shown", "words"), SAID)
def test_numbers_are_spoken_digit_for_digit_as_shown(shown: str, words: str) -> None:
    assert spell(shown) == words
    assert read(words) == canonical(shown)


def test_every_shown_style_reads_back_to_the_same_number() -> None:
    values = torch.randn(300, generator=torch.Generator().manual_seed(5)) * torch.logspace(-5, 7, 300)
    for v in values.tolist():
        for shown in (fmt(v, 2, "f"), fmt(v, 3, "g"), fmt(abs(v), 0, "n")):
            said = read(spell(shown))
            assert said == canonical(shown)
            assert float(said) == pytest.approx(float(shown.replace(",", "")), rel=1e-12, abs=1e-15)


def test_not_a_number_is_refused() -> None:
    with pytest.raises(SpeechError):
        spell("W2")
    with pytest.raises(SpeechError):
        read("zero point twelve")


def test_notation_becomes_words() -> None:
    assert speakable("QKᵀ/√d_k → softmax") == "QK transpose over square root of d k to softmax"
    assert speakable("W^q (3×4).") == "W q 3 times 4."


@pytest.fixture
def b() -> Binding:
    return Binding({"s": torch.tensor([[-0.3123, 2.5]]), "n": torch.tensor(50257.0)})


def line(b: Binding):  # type: ignore[no-untyped-def]
    return b.line("demo-01-01", "Score s_{r} is {v}; the table has {n} rows.",
                  {"r": b.index("s", 1, 1), "v": b.value("s", (0, 0)), "n": b.value("n", (), 0, "n")})


def test_a_line_is_shown_and_spoken_from_the_same_fields(b: Binding) -> None:
    ln = line(b)
    assert ln.text == "Score s_2 is -0.31; the table has 50,257 rows."
    assert ln.spoken == "Score s two is minus zero point three one; the table has fifty thousand two hundred fifty-seven rows."
    assert [(n["tensor"], n["index"], n["shown"]) for n in ln.numbers()] == [("s", [1, 1], "2"), ("s", [0, 0], "-0.31"),
                                                                           ("n", [], "50,257")]
    b.check_line(ln, "here")


def test_a_caption_number_changed_after_binding_fails(b: Binding) -> None:
    ln = line(b)
    b.tensors["s"][0, 0] = -0.5
    with pytest.raises(AuditError, match=r"^audit failed here: caption demo-01-01 shows s\[0, 0\] as '-0.31', but torch"
                                         r" gives '-0.50'$"):
        b.check_line(ln, "here")


def test_a_caption_text_edited_after_binding_fails(b: Binding) -> None:
    ln = line(b)
    ln.text = ln.text.replace("-0.31", "-0.32")
    with pytest.raises(AuditError, match=r"caption demo-01-01 reads .*-0\.32.*, its bound fields give .*-0\.31"):
        b.check_line(ln, "here")


def test_a_spoken_number_formatted_unlike_the_screen_fails(b: Binding) -> None:
    ln = line(b)
    src, shown, _ = ln.fields["v"]
    ln.fields["v"] = (src, shown, "minus zero point three")  # one digit fewer than the screen shows
    with pytest.raises(AuditError, match=r"narration demo-01-01 speaks s\[0, 0\] as 'minus zero point three'"
                                         r" \(-0\.3\), but the screen shows '-0\.31'"):
        b.check_line(ln, "here")


def test_spoken_words_edited_after_binding_fail(b: Binding) -> None:
    ln = line(b)
    ln.spoken = ln.spoken.replace("fifty thousand", "forty thousand")
    with pytest.raises(AuditError, match=r"narration demo-01-01 says .*forty thousand.*, its bound fields give"):
        b.check_line(ln, "here")
