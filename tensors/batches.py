"""Batches and updates: N samples in batches of B give N / B updates of one and the same weight.

A tiny model, nn.Linear(d_in, d_out, bias=False), learns y = x W^T from N seeded samples with SGD.
A DataLoader with a seeded generator shuffles a TensorDataset into batches; every batch is one
optimizer step that updates the model's single Parameter in place, so its Python id and its
storage (data_ptr) never change. The step counts are counted from the loader, not divided.

Gradient accumulation: with the mean loss of each batch k (size B_k),
    grad of the full-batch mean loss = sum_k (B_k / N) * grad of batch k's mean loss,
so backward() on loss_k * B_k / N for every batch, without zero_grad, leaves the full-batch
gradient in weight.grad (up to float32 rounding).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from tensors.common import ConfigError, LectureConfig, LectureResult, generator, linear_init, opt, randn

LR = 0.05  # SGD learning rate
NOISE = 0.1  # std of the noise added to the targets
TAIL = 10 ** 6  # the table prints an address's and an id's last six digits (the rest is the same in every row)
MAX_TABLE_ROWS = 10  # updates per epoch the step table can draw legibly (the large batches make fewer rows)
# The FAQ's question, quoted: "40 images and batch size of 4. Will there be 8 different weights" (its answer, too,
# speaks of "8 batches, each containing 4 images"; a loader deals 40 samples into 10 batches of 4).
FAQ_SAMPLES, FAQ_BATCH, FAQ_GUESS = 40, 4, 8


@dataclass(frozen=True)
class BatchesConfig(LectureConfig):
    """Sizes of the dataset, the two batch sizes, the training length and the weight."""

    n_samples: int = opt(40, "training samples N", 8, 64)
    small_batch: int = opt(4, "batch size of the first run (one table row per update)", 1, 32)
    large_batch: int = opt(8, "batch size of the second run and of the gradient accumulation", 2, 64)
    epochs: int = opt(6, "epochs of training (one plotted point each)", 2, 10,
                      "one plotted point and one axis tick per epoch")
    d_in: int = opt(3, "input features: columns of the weight", 1, 3,
                    "every weight entry is a column of the step table")
    d_out: int = opt(2, "outputs: rows of the weight", 1, 2,
                     "every weight entry is a column of the step table")

    def validate(self) -> None:
        """Raise ConfigError when a size cannot be drawn or the batches do not tile the dataset."""
        super().validate()
        N, b, c = self.n_samples, self.small_batch, self.large_batch
        if b >= c:
            raise ConfigError(f"--small-batch {b} must be smaller than --large-batch {c}")
        for flag, size in (("--small-batch", b), ("--large-batch", c)):
            if N % size:
                raise ConfigError(f"--n-samples {N} is not divisible by {flag} {size}")
        if N // b > MAX_TABLE_ROWS:
            raise ConfigError(f"--n-samples {N} with --small-batch {b} gives {N // b} updates per epoch:"
                              f" the step table draws at most {MAX_TABLE_ROWS}")
        if N // c < 2:
            raise ConfigError(f"--large-batch {c} puts all {N} samples in one batch: accumulation needs at least 2")


@dataclass(frozen=True)
class BatchesResult(LectureResult):
    """Every tensor the batches lecture shows, by name, and the texts torch reported."""

    config: BatchesConfig
    X: torch.Tensor  # (N, d_in) inputs
    Y: torch.Tensor  # (N, d_out) targets
    X_cols: torch.Tensor  # (d_in, N) X.T: one heatmap column per sample
    X_absmax: torch.Tensor  # () colour scale of the heatmap
    sample_no: torch.Tensor  # (N,) 1..N: each sample's number on screen (counted from 1; order_* count from 0)
    W_true: torch.Tensor  # (d_out, d_in) the map that made the targets: where training should head
    W0: torch.Tensor  # (d_out, d_in) the weight before training, shared by both runs
    lr: torch.Tensor  # () the SGD learning rate
    order_small: torch.Tensor  # (E, S, B) int64 sample indices of every batch the loader yielded
    order_large: torch.Tensor  # (E, K, C) int64 the same for the large batch size
    steps_small: torch.Tensor  # () int64 optimizer steps counted in the first epoch, batch B
    steps_large: torch.Tensor  # () int64 the same, batch C
    W_small: torch.Tensor  # (S+1, d_out*d_in) the weight, row-major, before and after each step of epoch 1
    W_large: torch.Tensor  # (K+1, d_out*d_in) the same for the large batch size
    loss_small: torch.Tensor  # (S, 1) each batch's mean loss at its step (before the update)
    loss_large: torch.Tensor  # (K, 1) the same for the large batch size
    ptr_small: torch.Tensor  # (S+1, 1) int64 weight.data_ptr() before training and after each step
    ptr_large: torch.Tensor  # (K+1, 1) int64 the same for the large batch size
    id_small: torch.Tensor  # (S+1, 1) int64 Python id(weight) before training and after each step
    id_large: torch.Tensor  # (K+1, 1) int64 the same for the large batch size
    ptr_tail_small: torch.Tensor  # (S+1, 1) int64 the last TAIL digits of ptr_small: what the table prints
    ptr_tail_large: torch.Tensor  # (K+1, 1) int64 the same for the large batch size
    id_tail_small: torch.Tensor  # (S+1, 1) int64 the last TAIL digits of id_small
    id_tail_large: torch.Tensor  # (K+1, 1) int64 the same for the large batch size
    step_grad: torch.Tensor  # (d_out, d_in) gradient of the first batch's mean loss at W0: what step 1 subtracts
    step_W1: torch.Tensor  # (d_out, d_in) the weight after step 1, W0 - lr * step_grad (row 1 of W_small)
    epoch: torch.Tensor  # (E+1,) epoch numbers 0..E, the x axis of the loss plot
    zero: torch.Tensor  # () 0, the bottom tick of the loss axis
    path_small: torch.Tensor  # (E*S+1, d_out*d_in) the weight before training and after every step of every epoch
    update: torch.Tensor  # (E*S+1,) 0..E*S: the update count, the x axis when the weight has a single entry
    epoch_loss_small: torch.Tensor  # (E+1,) full-dataset mean loss before training and after each epoch
    epoch_loss_large: torch.Tensor  # (E+1,) the same for the large batch size
    weight_small: nn.Parameter  # (d_out, d_in) the small-batch model's weight itself, after the last epoch
    weight_large: nn.Parameter  # (d_out, d_in) the large-batch model's weight itself, after the last epoch
    order_accum: torch.Tensor  # (K, C) int64 sample indices of the batches accumulated
    grad_batches: torch.Tensor  # (K, d_out*d_in) gradient of each batch's mean loss at W0, row-major
    accum_scale: torch.Tensor  # () C / N, the weight of each batch's gradient in the sum
    grad_accum: torch.Tensor  # (1, d_out*d_in) weight.grad after backward() on loss_k * C / N for every k
    grad_full: torch.Tensor  # (1, d_out*d_in) gradient of the mean loss over all N samples at W0
    grad_diff: torch.Tensor  # () max |grad_accum - grad_full|
    members_small: torch.Tensor  # (S, B) sample numbers (from 1) of each batch of the first epoch, batch B
    members_large: torch.Tensor  # (K, C) the same for the large batch size
    faq_samples: torch.Tensor  # () the FAQ question's dataset size, quoted
    faq_batch: torch.Tensor  # () the FAQ question's batch size, quoted
    faq_guess: torch.Tensor  # () the number of weights (and batches) the FAQ's question and answer name, quoted
    faq_steps: torch.Tensor  # () batches a real DataLoader deals the FAQ's dataset into
    same_object: dict[str, str] = field(default_factory=dict)  # run -> str(every step kept one weight object)


    def strings(self) -> dict[str, str]:
        """Return the texts captured from torch: 'same_small' -> 'True' when every step kept one weight."""
        return {f"same_{run}": text for run, text in self.same_object.items()}


class Step(NamedTuple):
    """What one optimizer step leaves behind."""

    batch: torch.Tensor  # (B,) sample indices
    loss: torch.Tensor  # () the batch's mean loss
    weight: torch.Tensor  # (d_out, d_in) a copy of the weight after the update
    ptr: int  # weight.data_ptr() after the update
    ident: int  # id(weight) after the update


class Run(NamedTuple):
    """One training run: the steps of every epoch and the dataset loss after each."""

    epochs: list[list[Step]]
    epoch_loss: torch.Tensor  # (E+1,)
    start: Step  # the weight before training (loss unused)
    same: bool  # every step updated the one Parameter the model started with
    weight: nn.Parameter  # that Parameter, trained


def make_data(n: int, d_in: int, d_out: int, g: torch.Generator,
              device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Draw N inputs and noisy targets of a random linear map; return X, Y and that map."""
    X = randn((n, d_in), g, device)
    W_true = randn((d_out, d_in), g, device)
    Y = X @ W_true.T + NOISE * randn((n, d_out), g, device)
    return X, Y, W_true


def make_loader(X: torch.Tensor, Y: torch.Tensor, batch: int, seed: int) -> DataLoader:
    """Shuffle the samples into batches with a seeded generator; each batch also yields its sample indices."""
    data = TensorDataset(X, Y, torch.arange(len(X), device=X.device))
    return DataLoader(data, batch_size=batch, shuffle=True, generator=torch.Generator().manual_seed(seed))


def make_model(W0: torch.Tensor) -> nn.Linear:
    """Make the one-weight model, starting from W0."""
    model = nn.Linear(W0.shape[1], W0.shape[0], bias=False, device=W0.device)
    with torch.no_grad():
        model.weight.copy_(W0)
    return model


# train_epoch and record are shown on screen as they are: short, without annotations or docstrings.
def train_epoch(model, loader, opt):
    steps = []
    for x, y, idx in loader:
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        steps.append(record(idx, loss, model.weight))
    return steps


def record(idx, loss, w):
    return Step(idx, loss.detach(), w.detach().clone(),
                w.data_ptr(), id(w))


def dataset_loss(model: nn.Linear, X: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
    """Return the mean loss over the whole dataset, without gradients."""
    with torch.no_grad():
        return F.mse_loss(model(X), Y)


def train(W0: torch.Tensor, X: torch.Tensor, Y: torch.Tensor, batch: int, epochs: int, seed: int) -> Run:
    """Train a fresh model from W0 with SGD for some epochs; record every step."""
    model = make_model(W0)
    w = model.weight
    assert isinstance(w, nn.Parameter)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    loader = make_loader(X, Y, batch, seed)
    start = Step(torch.empty(0), torch.tensor(0.0), w.detach().clone(), w.data_ptr(), id(w))
    losses, done = [dataset_loss(model, X, Y)], []
    for _ in range(epochs):
        done.append(train_epoch(model, loader, opt))
        losses.append(dataset_loss(model, X, Y))
    same = model.weight is w and all(p is w for p in opt.param_groups[0]["params"])
    same = same and all(s.ident == id(w) and s.ptr == w.data_ptr() for steps in done for s in steps)
    return Run(done, torch.stack(losses), start, same, w)


def accumulate(W0: torch.Tensor, loader: DataLoader, n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Backward every batch's mean loss times B_k / N into one weight.grad; return (per-batch grads, .grad, order)."""
    model = make_model(W0)
    per_batch, order = [], []
    for x, y, idx in loader:
        loss = F.mse_loss(model(x), y)  # mean over this batch
        per_batch.append(torch.autograd.grad(loss, model.weight, retain_graph=True)[0])
        (loss * len(x) / n).backward()  # no zero_grad: .grad accumulates sum_k g_k * B_k / N
        order.append(idx)
    assert model.weight.grad is not None
    return torch.stack(per_batch), model.weight.grad.detach().clone(), torch.stack(order)  # (K, d_out, d_in)


def full_batch_gradient(W0: torch.Tensor, X: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
    """Return the gradient of the mean loss over all samples at W0."""
    model = make_model(W0)
    F.mse_loss(model(X), Y).backward()
    assert model.weight.grad is not None
    return model.weight.grad.detach().clone()


def weight_history(run: Run) -> torch.Tensor:
    """Stack the weight before training and after each step of the first epoch, flattened row-major."""
    ws = [run.start.weight] + [s.weight for s in run.epochs[0]]
    return torch.stack(ws).flatten(1)  # (S+1, d_out*d_in)


def identities(run: Run, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (data_ptr, id) of the weight before training and after each step of the first epoch."""
    steps = [run.start] + run.epochs[0]
    ptr = torch.tensor([[s.ptr] for s in steps], dtype=torch.int64, device=device)  # (S+1, 1)
    ident = torch.tensor([[s.ident] for s in steps], dtype=torch.int64, device=device)  # (S+1, 1)
    return ptr, ident


def orders(run: Run) -> torch.Tensor:
    """Stack the sample indices of every batch of every epoch."""
    return torch.stack([torch.stack([s.batch for s in steps]) for steps in run.epochs])  # (E, S, B)


def build(config: BatchesConfig, device: torch.device) -> BatchesResult:
    """Train both runs, accumulate the gradients, and collect every tensor of the lecture."""
    config.validate()
    g = generator(config.seed)
    N, E = config.n_samples, config.epochs
    X, Y, W_true = make_data(N, config.d_in, config.d_out, g, device)
    W0 = linear_init(config.d_out, config.d_in, g, device)
    small = train(W0, X, Y, config.small_batch, E, config.seed)
    large = train(W0, X, Y, config.large_batch, E, config.seed)
    per_batch, grad_accum, order_accum = accumulate(W0, make_loader(X, Y, config.large_batch, config.seed), N)
    grad_full = full_batch_gradient(W0, X, Y)
    ptr_small, id_small = identities(small, device)
    ptr_large, id_large = identities(large, device)
    first = orders(small)[0, 0]  # the samples of step 1
    step_grad = full_batch_gradient(W0, X[first], Y[first])  # the first batch's mean-loss gradient at W0
    return BatchesResult(
        config=config,
        X=X,
        Y=Y,
        X_cols=X.T.contiguous(),
        X_absmax=X.abs().max(),
        sample_no=torch.arange(1, N + 1, dtype=torch.float32, device=device),
        W_true=W_true,
        W0=W0,
        lr=torch.tensor(LR, device=device),
        order_small=orders(small),
        order_large=orders(large),
        steps_small=torch.tensor(len(small.epochs[0]), device=device),
        steps_large=torch.tensor(len(large.epochs[0]), device=device),
        W_small=weight_history(small),
        W_large=weight_history(large),
        loss_small=torch.stack([s.loss for s in small.epochs[0]])[:, None],  # (S, 1)
        loss_large=torch.stack([s.loss for s in large.epochs[0]])[:, None],  # (K, 1)
        ptr_small=ptr_small,
        ptr_large=ptr_large,
        id_small=id_small,
        id_large=id_large,
        ptr_tail_small=ptr_small % TAIL,
        ptr_tail_large=ptr_large % TAIL,
        id_tail_small=id_small % TAIL,
        id_tail_large=id_large % TAIL,
        step_grad=step_grad,
        step_W1=weight_history(small)[1].view_as(W0),
        epoch=torch.arange(E + 1, dtype=torch.float32, device=device),
        zero=torch.tensor(0.0, device=device),
        path_small=torch.stack([small.start.weight] + [s.weight for steps in small.epochs for s in steps]).flatten(1),
        update=torch.arange(E * len(small.epochs[0]) + 1, dtype=torch.float32, device=device),
        epoch_loss_small=small.epoch_loss,
        epoch_loss_large=large.epoch_loss,
        weight_small=small.weight,
        weight_large=large.weight,
        order_accum=order_accum,
        grad_batches=per_batch.flatten(1),  # (K, d_out*d_in)
        accum_scale=torch.tensor(config.large_batch / N, device=device),
        grad_accum=grad_accum.flatten()[None],  # (1, d_out*d_in)
        grad_full=grad_full.flatten()[None],  # (1, d_out*d_in)
        grad_diff=(grad_accum - grad_full).abs().max(),
        members_small=(orders(small)[0] + 1).float(),
        members_large=(orders(large)[0] + 1).float(),
        faq_samples=torch.tensor(float(FAQ_SAMPLES), device=device),
        faq_batch=torch.tensor(float(FAQ_BATCH), device=device),
        faq_guess=torch.tensor(float(FAQ_GUESS), device=device),
        faq_steps=torch.tensor(float(len(DataLoader(TensorDataset(torch.arange(FAQ_SAMPLES)), batch_size=FAQ_BATCH))), device=device),
        same_object={"small": str(small.same), "large": str(large.same)},
    )
