"""The lecture contract and what every lecture's tensors share: devices, seeded inputs, options, errors.

A lecture's math is `build(config: <Topic>Config, device) -> <Topic>Result`: a frozen `LectureConfig`
(sizes with their drawable ranges, and the seed) in, a frozen `LectureResult` (named tensors, and
texts captured from torch) out. Scenes bind to those names; the manifest records them.
"""

from __future__ import annotations

import math
from dataclasses import Field, dataclass, field, fields
from typing import Any

import torch

from tensors.devices import DEVICES  # torch-free, so the CLI offers them without torch


class ConfigError(ValueError):
    """A lecture size or option that cannot be drawn or does not make sense."""


class DeviceError(RuntimeError):
    """A device that was asked for but is not available on this machine."""


@dataclass(frozen=True)
class Opt:
    """CLI metadata for one config field: help text and the inclusive range a scene can draw."""

    help: str
    low: int
    high: int
    why_high: str = "larger does not fit the frame legibly at 480p"


def opt(default: int, help: str, low: int, high: int, why_high: str = "") -> Any:
    """Return a dataclass field carrying its CLI help and drawable range."""
    meta = Opt(help, low, high, why_high or Opt.why_high)
    return field(default=default, metadata={"opt": meta})


def options_of(config_cls: type) -> list[tuple[Field[Any], Opt]]:
    """List the fields of a config dataclass that are exposed as CLI options."""
    return [(f, f.metadata["opt"]) for f in fields(config_cls) if "opt" in f.metadata]


SEED_MAX = 2**63 - 1  # torch.Generator.manual_seed takes a signed 64-bit seed


def check_ranges(config: Any) -> None:
    """Raise ConfigError naming the limit when a field is outside its drawable range."""
    seed = getattr(config, "seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= SEED_MAX:
        raise ConfigError(f"--seed must be 0 or more and at most {SEED_MAX}, got {seed}")
    for f, meta in options_of(type(config)):
        value = getattr(config, f.name)
        flag = "--" + f.name.replace("_", "-")
        if not isinstance(value, int) or isinstance(value, bool):
            raise ConfigError(f"{flag} must be a whole number, got {value!r}")
        if value < meta.low:
            raise ConfigError(f"{flag} {value} is too small: the minimum is {meta.low}")
        if value > meta.high:
            raise ConfigError(f"{flag} {value} is too large: the limit is {meta.high} ({meta.why_high})")


@dataclass(frozen=True)
class LectureConfig:
    """The base of every lecture's config: the seed of every random input; sizes are `opt` fields."""

    seed: int = 0

    def validate(self) -> None:
        """Raise ConfigError when a field is out of range; lectures add the checks between fields."""
        check_ranges(self)


@dataclass(frozen=True)
class LectureResult:
    """The base of every lecture's result: named tensor fields, extra 2-D views and captured texts."""

    def tensors(self) -> dict[str, torch.Tensor]:
        """Return every tensor a scene may bind to: the tensor fields, then `views()`."""
        named = {f.name: getattr(self, f.name) for f in fields(self) if isinstance(getattr(self, f.name), torch.Tensor)}
        return {**named, **self.views()}

    def views(self) -> dict[str, torch.Tensor]:
        """Return extra named slices (e.g. one 2-D map per head for a heatmap); none by default."""
        return {}

    def strings(self) -> dict[str, str]:
        """Return texts captured from torch at build time (error messages, reprs); none by default."""
        return {}

    def training(self) -> dict[str, Any] | None:
        """Return how the lecture's weights were trained (tensors.trained's record), or None if they are not."""
        return None


def resolve_device(name: str) -> torch.device:
    """Return the torch device for a name; 'auto' picks cuda, then mps, then cpu."""
    if name not in DEVICES:
        raise DeviceError(f"unknown device {name!r}: choose one of {', '.join(DEVICES)}")
    cuda = torch.cuda.is_available()
    mps = bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    if name == "auto":
        return torch.device("cuda" if cuda else "mps" if mps else "cpu")
    if name == "cuda" and not cuda:
        raise DeviceError("device 'cuda' is not available here (torch sees no CUDA GPU); use --device cpu or auto")
    if name == "mps" and not mps:
        raise DeviceError("device 'mps' is not available here (it needs Apple silicon with macOS); use --device cpu or auto")
    return torch.device(name)


def generator(seed: int) -> torch.Generator:
    """Return a CPU generator so that the same seed gives the same inputs on every device."""
    return torch.Generator(device="cpu").manual_seed(seed)


def randn(shape: tuple[int, ...], g: torch.Generator, device: torch.device) -> torch.Tensor:
    """Draw standard-normal values on the CPU from g, then move them to the device."""
    return torch.randn(shape, generator=g).to(device)


def linear_init(out_features: int, in_features: int, g: torch.Generator, device: torch.device) -> torch.Tensor:
    """Draw a weight like nn.Linear's default: uniform in +-1/sqrt(in), stored (out, in)."""
    bound = 1.0 / math.sqrt(in_features)
    w = torch.rand((out_features, in_features), generator=g) * 2 * bound - bound
    return w.to(device)
