"""Weight sharing across a batch: one W_Q, W_K, W_V serve every sample, and one gradient step updates them.

Convention: the lecture shows the paper's right-multiplication Q = X W_Q with W_Q of shape (d, d).
PyTorch's nn.Linear stores its weight as (out, in), so W_Q = weight.T and X @ W_Q == layer(X).
The evidence that the weight is shared is read from torch itself: a forward pre-hook records the
weight object (and its data pointer) that each per-sample call actually used. The weights are
random (nn.Linear's initial draw): this lecture is about shapes and equalities, not what was learned.
Then one real SGD step on that same layer, from the loss of every sample against random targets,
shows the one shared weight updated in place from all samples' gradients.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from tensors.common import LectureConfig, LectureResult, generator, linear_init, opt, randn

ROLES = ("q", "k", "v")  # the three projections, in the order of every (3, ...) tensor below
LR = 0.5  # learning rate of the one SGD step shown


@dataclass(frozen=True)
class SharingConfig(LectureConfig):
    """Sizes of the drawn batch and of the real-scale parameter count."""

    batch: int = opt(4, "batch size N (every sample is drawn)", 2, 4)
    seq_len: int = opt(3, "tokens per sample T", 2, 4)
    d_model: int = opt(3, "embedding size d (W_Q, W_K, W_V are d x d)", 2, 4)
    big_d_model: int = opt(512, "embedding size of the real-scale parameter count", 8, 8192,
                           "the counts are shown as whole numbers on one line")
    big_batch: int = opt(32, "batch size of the real-scale parameter count", 2, 1024,
                         "the counts are shown as whole numbers on one line")


@dataclass(frozen=True)
class SharingResult(LectureResult):
    """Every tensor the sharing lecture shows, by name, and the texts torch reported."""

    config: SharingConfig
    X: torch.Tensor  # (N, T, d) the batch of inputs
    weight_q: torch.Tensor  # (d, d) nn.Linear.weight of W_Q, as PyTorch stores it (out, in)
    weight_k: torch.Tensor  # (d, d) the same for W_K
    weight_v: torch.Tensor  # (d, d) the same for W_V
    W_Q: torch.Tensor  # (d, d) the paper's W_Q = weight_q.T
    W_K: torch.Tensor  # (d, d) the paper's W_K = weight_k.T
    W_V: torch.Tensor  # (d, d) the paper's W_V = weight_v.T
    Q: torch.Tensor  # (N, T, d) the whole batch in one call: X @ W_Q
    Q_alone: torch.Tensor  # (N, T, d) sample n alone: X[n] @ W_Q, one call per sample
    diff: torch.Tensor  # (3, N) max |alone - batched| per projection (q, k, v) and sample
    max_diff: torch.Tensor  # () the largest of them
    ptr: torch.Tensor  # (N, 3) int64 weight.data_ptr() seen inside each per-sample call, columns q, k, v
    ptr_batch: torch.Tensor  # (1, 3) int64 weight.data_ptr() seen inside the batched call
    numel: torch.Tensor  # (3,) int64 parameters of W_Q, W_K, W_V
    n_shared: torch.Tensor  # () parameters of the shared projections
    n_per_sample: torch.Tensor  # () parameters if each of the N samples had its own projections
    big_d: torch.Tensor  # () embedding size of the real-scale count
    big_batch: torch.Tensor  # () batch size of the real-scale count
    big_shared: torch.Tensor  # () shared parameters at real scale
    big_per_sample: torch.Tensor  # () per-sample parameters at real scale
    # one SGD step on the same layer W_Q, from every sample's loss against random targets Y
    Y: torch.Tensor  # (N, T, d) random targets
    loss_each: torch.Tensor  # (N,) sample n's loss mean((x_n W_Q - y_n)^2)
    loss: torch.Tensor  # () the batch loss, their mean: F.mse_loss(layer(X), Y)
    grad_each: torch.Tensor  # (N, d, d) sample n's share of the gradient: d(loss_n / N) / dW_Q
    grad: torch.Tensor  # (d, d) autograd's gradient of the batch loss with respect to W_Q
    grad_gap: torch.Tensor  # () max |sum_n grad_each[n] - grad|
    lr: torch.Tensor  # () the learning rate
    W_Q_new: torch.Tensor  # (d, d) W_Q after optimizer.step(): W_Q - lr * grad
    ptr_step: torch.Tensor  # (2,) int64 weight.data_ptr() before and after the step
    loss_each_new: torch.Tensor  # (N,) each sample's loss after the step
    loss_new: torch.Tensor  # () the batch loss after the step
    layers: tuple[nn.Linear, ...] = field(default=(), repr=False, compare=False)  # the live layers (for their storage)
    same_object: dict[str, str] = field(default_factory=dict)  # role -> str(every call saw the same weight)


    def strings(self) -> dict[str, str]:
        """Return the texts captured from torch: 'same_q' -> 'True' when every call used one weight object;
        'addr_batch', 'addr_1'.. 'addr_N', 'addr_before', 'addr_after': the end of W_Q's address in each call."""
        out = {f"same_{role}": text for role, text in self.same_object.items()}
        out["addr_batch"] = short_address(int(self.ptr_batch[0, 0]))
        out.update({f"addr_{n + 1}": short_address(int(p)) for n, p in enumerate(self.ptr[:, 0])})
        out["addr_before"], out["addr_after"] = (short_address(int(p)) for p in self.ptr_step)
        return out


def short_address(ptr: int) -> str:
    """Return the last six hexadecimal digits of a data pointer, as 0x...a1b2c3: enough to tell weights apart."""
    return f"0x…{ptr & 0xFFFFFF:06x}"


def projections(d: int, device: torch.device | str) -> list[nn.Linear]:
    """Make the three bias-free d -> d projections W_Q, W_K, W_V."""
    return [nn.Linear(d, d, bias=False, device=device) for _ in ROLES]


def count_parameters(modules: Iterable[nn.Module]) -> torch.Tensor:
    """Count the parameters of some modules."""
    return torch.tensor(sum(p.numel() for m in modules for p in m.parameters()), dtype=torch.int64)


def per_sample_copies(d: int, n: int) -> list[nn.Linear]:
    """Make n separate sets of projections on the meta device: sizes only, no memory."""
    return [layer for _ in range(n) for layer in projections(d, "meta")]


def watched_call(layer: nn.Linear, x: torch.Tensor) -> tuple[torch.Tensor, nn.Parameter]:
    """Call the layer on x and return its output and the weight object the call used."""
    seen: list[nn.Parameter] = []
    hook = layer.register_forward_pre_hook(lambda mod, args: seen.append(mod.weight))
    try:
        out = layer(x)
    finally:
        hook.remove()
    return out, seen[0]


def one_sample_at_a_time(layer: nn.Linear, X: torch.Tensor) -> tuple[torch.Tensor, list[nn.Parameter]]:
    """Apply the layer to every sample separately; return the outputs and the weight each call used."""
    calls = [watched_call(layer, x) for x in X]  # x: (T, d)
    return torch.stack([out for out, _ in calls]), [w for _, w in calls]  # (N, T, d)


def sample_losses(layer: nn.Linear, X: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
    """Return each sample's mean squared error, one call of the layer per sample."""
    return torch.stack([F.mse_loss(layer(x), y) for x, y in zip(X, Y)])  # (N,)


def sgd_step(layer: nn.Linear, X: torch.Tensor, Y: torch.Tensor, lr: float) -> None:
    """One step: the whole batch's loss, backward, update the one weight."""
    opt = torch.optim.SGD(layer.parameters(), lr=lr)
    opt.zero_grad()
    F.mse_loss(layer(X), Y).backward()
    opt.step()


def gradient_step(layer: nn.Linear, X: torch.Tensor, Y: torch.Tensor) -> dict[str, torch.Tensor]:
    """Take one SGD step on the layer from the whole batch's loss; return what the lecture shows of it."""
    N = X.shape[0]
    w = layer.weight
    each = sample_losses(layer, X, Y)
    shares = torch.stack([torch.autograd.grad(each[n] / N, w, retain_graph=True)[0].T
                          for n in range(N)])  # (N, d, d), in W_Q's layout
    before = w.data_ptr()
    sgd_step(layer, X, Y, LR)  # the real step, on the very same parameter
    assert w.grad is not None  # backward() filled it
    grad = w.grad.detach().T.clone()  # (d, d) dLoss/dW_Q
    with torch.no_grad():
        after = sample_losses(layer, X, Y)
    return {
        "loss_each": each.detach(), "loss": each.detach().mean(), "grad_each": shares, "grad": grad,
        "grad_gap": (shares.sum(0) - grad).abs().max(), "lr": torch.tensor(LR, device=X.device),
        "W_Q_new": w.detach().T.clone(),
        "ptr_step": torch.tensor([before, w.data_ptr()], dtype=torch.int64, device=X.device),
        "loss_each_new": after, "loss_new": after.mean(),
    }


def build(config: SharingConfig, device: torch.device) -> SharingResult:
    """Compute every tensor of the sharing lecture on the device."""
    config.validate()
    g = generator(config.seed)
    N, T, d = config.batch, config.seq_len, config.d_model
    X = randn((N, T, d), g, device)
    layers = projections(d, device)
    with torch.no_grad():
        for layer in layers:
            layer.weight.copy_(linear_init(d, d, g, device))
        batched = [watched_call(layer, X) for layer in layers]  # whole batch: (N, T, d) each
        alone = [one_sample_at_a_time(layer, X) for layer in layers]
    diff = torch.stack([(a - b).abs().amax(dim=(1, 2)) for (a, _), (b, _) in zip(alone, batched)])  # (3, N)
    ptr = torch.tensor([[w.data_ptr() for w in seen] for _, seen in alone], dtype=torch.int64, device=device)  # (3, N)
    ptr_batch = torch.tensor([[w.data_ptr() for _, w in batched]], dtype=torch.int64, device=device)  # (1, 3)
    same = {role: str(all(w is layer.weight for w in seen)) for role, layer, (_, seen) in zip(ROLES, layers, alone)}
    wq, wk, wv = (layer.weight.detach().clone() for layer in layers)  # before the step below changes W_Q
    Y = randn((N, T, d), g, device)
    step = gradient_step(layers[0], X, Y)
    return SharingResult(
        config=config,
        X=X,
        weight_q=wq,
        weight_k=wk,
        weight_v=wv,
        W_Q=wq.T.contiguous(),
        W_K=wk.T.contiguous(),
        W_V=wv.T.contiguous(),
        Y=Y,
        **step,
        layers=tuple(layers),
        Q=batched[0][0],
        Q_alone=alone[0][0],
        diff=diff,
        max_diff=diff.max(),
        ptr=ptr.T.contiguous(),  # (N, 3)
        ptr_batch=ptr_batch,
        numel=torch.tensor([layer.weight.numel() for layer in layers], dtype=torch.int64, device=device),
        n_shared=count_parameters(layers).to(device),
        n_per_sample=count_parameters(per_sample_copies(d, N)).to(device),
        big_d=torch.tensor(config.big_d_model, device=device),
        big_batch=torch.tensor(config.big_batch, device=device),
        big_shared=count_parameters(projections(config.big_d_model, "meta")).to(device),
        big_per_sample=count_parameters(per_sample_copies(config.big_d_model, config.big_batch)).to(device),
        same_object=same,
    )
