"""Numbers and symbols as a voice says them, and back: what the narration speaks is audited like the screen.

`spell("-0.31")` is "minus zero point three one": the digits the screen shows, each one spoken, so a
listener hears exactly the shown precision. `read` turns those words back into the shown text, so the
audit can compare what is spoken with what the tensor entry shows without trusting `spell`.
`speakable` turns a caption's own words (W^q, d_k, √, ×) into words a speech engine reads well.
"""

from __future__ import annotations

import re

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
SCALES = [(10**9, "billion"), (10**6, "million"), (1000, "thousand")]
_NUMBER = re.compile(r"^(?P<sign>-)?(?P<int>\d[\d,]*)(?:\.(?P<frac>\d+))?(?:e(?P<exp>[+-]?\d+))?$")


class SpeechError(ValueError):
    """A text is not a number the voice can say, or words are not a number it said."""


def _below_thousand(n: int) -> list[str]:
    words: list[str] = []
    if n >= 100:
        words += [ONES[n // 100], "hundred"]
        n %= 100
    if n >= 20:
        words.append(TENS[n // 10] + (f"-{ONES[n % 10]}" if n % 10 else ""))
    elif n or not words:
        words.append(ONES[n])
    return words


def cardinal(n: int) -> str:
    """Return a whole number in words: 50257 -> 'fifty thousand two hundred fifty-seven'."""
    if n < 0:
        raise SpeechError(f"cardinal takes a whole number of 0 or more, got {n}")
    if n == 0:
        return "zero"
    words: list[str] = []
    for size, name in SCALES:
        if n >= size:
            words += [*_below_thousand(n // size), name]
            n %= size
    if n:
        words += _below_thousand(n)
    return " ".join(words)


def spell(shown: str) -> str:
    """Return a shown number as spoken words, every shown digit kept: '-0.31' -> 'minus zero point three one'."""
    m = _NUMBER.match(shown.strip().replace("−", "-"))
    if m is None:
        raise SpeechError(f"{shown!r} is not a number the voice can say")
    words = ["minus"] if m["sign"] else []
    words.append(cardinal(int(m["int"].replace(",", ""))))
    if m["frac"] is not None:
        words += ["point", *(ONES[int(d)] for d in m["frac"])]
    if m["exp"] is not None:
        exp = int(m["exp"])
        words += ["times ten to the", *(["minus"] if exp < 0 else []), cardinal(abs(exp))]
    return " ".join(words)


def _read_cardinal(words: list[str]) -> int:
    value, group = 0, 0
    for w in words:
        parts = w.split("-")
        if len(parts) == 2 and parts[0] in TENS and parts[1] in ONES[1:10]:
            group += 10 * TENS.index(parts[0]) + ONES.index(parts[1])
        elif w in ONES:
            group += ONES.index(w)
        elif w in TENS and w:
            group += 10 * TENS.index(w)
        elif w == "hundred":
            group *= 100
        elif w in dict((name, size) for size, name in SCALES).keys():
            value += group * dict((name, size) for size, name in SCALES)[w]
            group = 0
        else:
            raise SpeechError(f"{w!r} is not part of a spoken number")
    return value + group


def read(words: str) -> str:
    """Return the number the words say, as canonical text: 'minus zero point three one' -> '-0.31'."""
    ws = words.replace("times ten to the", "times-ten-to-the").split()
    sign = ""
    if ws and ws[0] == "minus":
        sign, ws = "-", ws[1:]
    exp = ""
    if "times-ten-to-the" in ws:
        k = ws.index("times-ten-to-the")
        tail = ws[k + 1:]
        neg = bool(tail) and tail[0] == "minus"
        exp = "e" + ("-" if neg else "") + str(_read_cardinal(tail[1:] if neg else tail))
        ws = ws[:k]
    frac = ""
    if "point" in ws:
        k = ws.index("point")
        digits = ws[k + 1:]
        if not digits or any(d not in ONES[:10] for d in digits):
            raise SpeechError(f"{words!r}: after 'point' come single digits")
        frac = "." + "".join(str(ONES.index(d)) for d in digits)
        ws = ws[:k]
    if not ws:
        raise SpeechError(f"{words!r} says no number")
    return f"{sign}{_read_cardinal(ws)}{frac}{exp}"


def canonical(shown: str) -> str:
    """Return a shown number as `read` gives it back: '50,257' -> '50257', '1.8e+07' -> '1.8e7'."""
    m = _NUMBER.match(shown.strip().replace("−", "-"))
    if m is None:
        raise SpeechError(f"{shown!r} is not a number the voice can say")
    exp = "" if m["exp"] is None else f"e{int(m['exp'])}"
    frac = "" if m["frac"] is None else f".{m['frac']}"
    return f"{m['sign'] or ''}{int(m['int'].replace(',', ''))}{frac}{exp}"


SYMBOLS = [  # a caption's notation, as a voice should say it (longest first where one contains another)
    ("√", " square root of "), ("×", " times "), ("·", " dot "), ("⊙", " times, entry by entry, "),
    ("→", " to "), ("≈", " about "), ("≠", " is not "), ("≤", " at most "), ("≥", " at least "),
    ("ᵀ", " transpose"), ("−", " minus "), ("±", " plus or minus "), ("=", " equals "), ("+", " plus "),
    ("π", " pi "), ("ω", " omega "), ("Σ", " the sum of "), ("…", ", "), ("%", " percent"),
    ("^", " "), ("_", " "), ("{", ""), ("}", ""), ("(", " "), (")", " "), ("[", " "), ("]", " "),
    ("/", " over "), ("\\", ""), ("*", " "), ("`", ""), ("|", " "),
]


def speakable(text: str) -> str:
    """Return a caption's own words (no bound numbers in them) as a speech engine should read them."""
    out = text
    for sym, words in SYMBOLS:
        out = out.replace(sym, words)
    return tidy(out)


def tidy(text: str) -> str:
    """Collapse spaces, and spaces or doubled commas before punctuation."""
    out = re.sub(r"\s+([,.;:?!])", r"\1", re.sub(r"\s+", " ", text))
    return re.sub(r",([,.;:?!])", r"\1", out).strip()


__all__ = ["SpeechError", "canonical", "cardinal", "read", "speakable", "spell", "tidy"]
