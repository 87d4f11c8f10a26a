"""One kernel for a batch of images: slide it by hand, compare with F.conv2d, then max-pool.

A batch of small grayscale pictures (a vertical bar, a horizontal bar, a diagonal, a cross) made
with torch plus a little seeded noise in quarter steps, and one 3x3 vertical-line kernel. Quarter
steps keep every product and sum exact in float32, so the sliding sums and F.conv2d agree exactly
whatever order each one adds in. Every output pixel is the
dot product of a 3x3 window with the kernel; the whole map equals F.conv2d. The same kernel tensor
(one data pointer) is used for every image of the batch; pooling applies one max to every region.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from tensors.common import ConfigError, LectureConfig, LectureResult, generator, linear_init, opt, randn

KERNEL = 3  # the kernel is 3 x 3
NOISE = 0.1  # standard deviation of the seeded noise added to every pixel
STEP = 0.25  # grey levels are multiples of a quarter: every product and sum is exact in float32
PATTERNS = ("vertical bar", "horizontal bar", "diagonal", "cross")  # image i shows PATTERNS[i]


@dataclass(frozen=True)
class CnnConfig(LectureConfig):
    """Sizes of the batch, the images and the pooling window."""

    batch: int = opt(4, "images in the batch (all use the one kernel)", 2, 4,
                     "there are four patterns: vertical bar, horizontal bar, diagonal, cross")
    size: int = opt(6, "image side in pixels (the feature map side is size - 2)", 5, 8)
    pool: int = opt(2, "side of the max-pooling window (must divide size - 2)", 2, 3)

    def validate(self) -> None:
        """Raise ConfigError when a size cannot be drawn or the pooling does not tile the map."""
        super().validate()
        side = self.size - KERNEL + 1
        if side % self.pool:
            raise ConfigError(
                f"--size {self.size} gives a {side}x{side} feature map that --pool {self.pool} does not tile"
                f" ({side} is not divisible by {self.pool})"
            )


@dataclass(frozen=True)
class CnnResult(LectureResult):
    """Every tensor the cnn lecture shows, by name."""

    config: CnnConfig
    images: torch.Tensor  # (B, 1, n, n) the batch, one channel
    kernel: torch.Tensor  # (1, 1, k, k) conv weight (out, in, kh, kw): no batch dimension
    windows: torch.Tensor  # (B, m, m, k, k) the k x k window under every output pixel, m = n - k + 1
    products: torch.Tensor  # (B, m, m, k, k) window * kernel, entry by entry
    fmap_sliding: torch.Tensor  # (B, m, m) sum of products: the map computed by sliding
    fmap_conv: torch.Tensor  # (B, m, m) F.conv2d(images, kernel)
    conv_max_diff: torch.Tensor  # () max |fmap_sliding - fmap_conv|
    kernel_ptrs: torch.Tensor  # (B,) data pointer of the weight the layer used for image i
    distinct_kernels: torch.Tensor  # () how many different weight tensors the batch used
    regions: torch.Tensor  # (B, m/p, m/p, p, p) the pooling regions of every feature map
    pooled_regions: torch.Tensor  # (B, m/p, m/p) max of every region, by hand
    pooled: torch.Tensor  # (B, m/p, m/p) F.max_pool2d of the feature maps
    pooled_at: torch.Tensor  # (B, m/p, m/p, 2) row and column of the feature-map pixel each max came from
    pool_max_diff: torch.Tensor  # () max |pooled_regions - pooled|
    locations: torch.Tensor  # () windows per image, m * m
    windows_total: torch.Tensor  # () windows over the whole batch, B * m * m
    kernel_params: torch.Tensor  # () weights in the kernel, k * k
    image_pixels: torch.Tensor  # () n * n inputs of a dense layer
    dense_params: torch.Tensor  # () weights of a dense layer from n x n pixels to an m x m map
    dense_weight: torch.Tensor  # (m*m, n*n) such a dense layer, random (nn.Linear's init): only its size matters
    dense_ptrs: torch.Tensor  # (B,) data pointer of the dense weight used for image i
    dense_distinct: torch.Tensor  # () how many different dense weight tensors the batch used
    grey_step: torch.Tensor  # () every pixel is a multiple of this: every product and sum is exact in float32
    shift: torch.Tensor  # () columns the vertical bar image is moved right
    shifted: torch.Tensor  # (n, n) image 1 moved right by `shift` columns, zeros coming in on the left
    shifted_fmap: torch.Tensor  # (m, m) the one kernel on the shifted image
    shift_diff: torch.Tensor  # () max |shifted_fmap[:, s:] - fmap[0][:, :m-s]|: the response moved, unchanged
    peak_cols: torch.Tensor  # (2,) 1-based column of the strongest response, before and after the shift
    dense_absmax: torch.Tensor  # () colour scale of the dense weight heatmap
    dense_x: torch.Tensor  # (B, n*n) each image flattened row by row: what the dense layer reads
    dense_prod: torch.Tensor  # (n*n,) row 1 of the dense weight times image 1's pixels, entry by entry
    dense_out: torch.Tensor  # (B, m*m) nn.Linear with the dense weight on every image: x @ W^T
    dense_out_ref: torch.Tensor  # (B, m*m) the products summed by hand, row by row
    dense_out_diff: torch.Tensor  # () max |dense_out - dense_out_ref|
    prod_absmax: torch.Tensor  # () colour scale of the product strip
    out_absmax: torch.Tensor  # () colour scale of the dense outputs
    loss: torch.Tensor  # () the toy loss: the sum of every response of the batch (so d loss / d response = 1)
    kernel_grad: torch.Tensor  # (k, k) autograd's gradient of the loss for the one kernel
    grad_sum: torch.Tensor  # (k, k) the windows of every location of every image, summed by hand
    grad_diff: torch.Tensor  # () max |kernel_grad - grad_sum|
    lr: torch.Tensor  # () the learning rate of the one SGD step
    kernel_new: torch.Tensor  # (k, k) the kernel after one torch.optim.SGD step
    dense_ramp: torch.Tensor  # (1, 64) -dense_absmax..dense_absmax: its colour legend
    ramp: torch.Tensor  # (1, 64) -fmap_absmax..fmap_absmax: the colour legend of the maps
    image_ramp: torch.Tensor  # (1, 64) -image_absmax..image_absmax: the colour legend of the images
    image_absmax: torch.Tensor  # () colour scale of the image heatmaps
    fmap_absmax: torch.Tensor  # () colour scale of the feature-map heatmaps

    def views(self) -> dict[str, torch.Tensor]:
        """Return one 2-D slice per image, feature map and pooled map, for the heatmaps."""
        named = {}
        for i in range(self.config.batch):
            named[f"image_{i}"] = self.images[i, 0]  # (n, n)
            named[f"fmap_{i}"] = self.fmap_conv[i]  # (m, m)
            named[f"pooled_{i}"] = self.pooled[i]  # (m/p, m/p)
            m = self.fmap_conv.shape[-1]
            named[f"dense_map_{i}"] = self.dense_out[i].view(m, m)  # (m, m) the dense outputs as a map
        n = self.images.shape[-1]
        for r in range(n):
            named[f"image_row_{r}"] = self.images[0, 0, r:r + 1]  # (1, n) row r of image 1
        named["dense_x_0"] = self.dense_x[0:1]  # (1, n*n) image 1 flattened
        named["dense_prod_0"] = self.dense_prod[None]  # (1, n*n)
        named["dense_row_0"] = self.dense_weight[0:1]  # (1, n*n) row 1 of the dense weight
        return named

    def strings(self) -> dict[str, str]:
        """Return the name of the pattern each image shows."""
        return {f"pattern_{i}": PATTERNS[i] for i in range(self.config.batch)}


def patterns(n: int, batch: int, device: torch.device) -> torch.Tensor:
    """Draw the clean patterns: ones on the strokes, zeros elsewhere."""
    r = torch.arange(n, device=device)[:, None]  # (n, 1) row index
    c = torch.arange(n, device=device)[None, :]  # (1, n) column index
    strokes = [
        (c == n // 4).expand(n, n),  # a vertical bar, left of centre
        (r == n - 1 - n // 4).expand(n, n),  # a horizontal bar, below centre
        r == c,  # the main diagonal
        (r == n // 2) | (c == n // 2),  # a cross
    ]
    return torch.stack(strokes[:batch]).float()[:, None]  # (B, 1, n, n)


def grey_noise(shape: tuple[int, ...], g: torch.Generator, device: torch.device) -> torch.Tensor:
    """Draw seeded noise and round it to the grey levels (multiples of STEP)."""
    return torch.round(NOISE * randn(shape, g, device) / STEP) * STEP


def vertical_line_kernel(device: torch.device) -> torch.Tensor:
    """Return a 3x3 kernel that answers vertical strokes: each row is (-1, 2, -1)."""
    row = torch.tensor([-1.0, 2.0, -1.0], device=device)
    return row.expand(KERNEL, KERNEL).reshape(1, 1, KERNEL, KERNEL).contiguous()  # (1, 1, k, k)


def sliding_windows(images: torch.Tensor, k: int) -> torch.Tensor:
    """Cut every k x k window out of every image, one per output pixel."""
    B, _, n, _ = images.shape
    m = n - k + 1
    cols = F.unfold(images, kernel_size=k)  # (B, k*k, m*m)
    return cols.transpose(1, 2).reshape(B, m, m, k, k)  # (B, m, m, k, k)


def slide(windows: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Take the dot product of every window with the one kernel."""
    return (windows * kernel[0, 0]).sum(dim=(-2, -1))  # (B, m, m)


def weight_pointers(images: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Run a conv layer on each image alone and record the address of the weight it used."""
    layer = torch.nn.Conv2d(1, 1, kernel.shape[-1], bias=False).to(images.device)
    with torch.no_grad():
        layer.weight.copy_(kernel)
    used: list[int] = []
    layer.register_forward_pre_hook(lambda mod, args: used.append(mod.weight.data_ptr()))
    with torch.no_grad():
        for image in images:
            layer(image[None])  # (1, 1, n, n): one image at a time
    return torch.tensor(used, dtype=torch.int64, device=images.device)  # (B,)


def dense_pointers(images: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Run a dense layer on each flattened image alone and record the address of the weight it used."""
    layer = torch.nn.Linear(weight.shape[1], weight.shape[0], bias=False).to(images.device)
    with torch.no_grad():
        layer.weight.copy_(weight)
    used: list[int] = []
    layer.register_forward_pre_hook(lambda mod, args: used.append(mod.weight.data_ptr()))
    with torch.no_grad():
        for image in images:
            layer(image.flatten())  # (n*n,) -> (m*m,)
    return torch.tensor(used, dtype=torch.int64, device=images.device)  # (B,)


def shift_right(image: torch.Tensor, s: int) -> torch.Tensor:
    """Move an image s columns to the right; zeros come in on the left."""
    out = torch.zeros_like(image)
    out[:, s:] = image[:, :-s]
    return out


def pooling_regions(fmap: torch.Tensor, p: int) -> torch.Tensor:
    """Cut every feature map into non-overlapping p x p regions."""
    B, m, _ = fmap.shape
    r = fmap.view(B, m // p, p, m // p, p)  # (B, m/p, p, m/p, p)
    return r.transpose(2, 3)  # (B, m/p, m/p, p, p)


LR = 0.04  # the learning rate of the one step: 0.04 times a multiple of 0.25 is a whole hundredth


def one_sgd_step(images: torch.Tensor, kernel: torch.Tensor, lr: float) -> tuple[torch.Tensor, ...]:
    """Take one SGD step on the toy loss 'sum of every response': the loss, the kernel's gradient, the new kernel."""
    weight = kernel.clone().requires_grad_(True)  # (1, 1, k, k) the one shared kernel
    opt = torch.optim.SGD([weight], lr=lr)
    loss = F.conv2d(images, weight).sum()  # every location of every image uses the same weight
    loss.backward()
    assert weight.grad is not None
    grad = weight.grad[0, 0].clone()  # (k, k)
    opt.step()
    return loss.detach(), grad, weight.detach()[0, 0].clone()


def count(value: int, device: torch.device) -> torch.Tensor:
    """Return a whole number as a 0-d tensor, so that scenes can show it through the binding."""
    return torch.tensor(value, device=device)


def build(config: CnnConfig, device: torch.device) -> CnnResult:
    """Compute every tensor of the cnn lecture on the device."""
    config.validate()
    g = generator(config.seed)
    B, n, p = config.batch, config.size, config.pool
    m = n - KERNEL + 1
    images = patterns(n, B, device) + grey_noise((B, 1, n, n), g, device)  # (B, 1, n, n)
    kernel = vertical_line_kernel(device)
    windows = sliding_windows(images, KERNEL)
    products = windows * kernel[0, 0]
    fmap_sliding = slide(windows, kernel)
    fmap_conv = F.conv2d(images, kernel)[:, 0]  # (B, m, m)
    ptrs = weight_pointers(images, kernel)
    regions = pooling_regions(fmap_conv, p)
    pooled_regions = regions.amax(dim=(-2, -1))  # (B, m/p, m/p)
    pooled, where = F.max_pool2d(fmap_conv[:, None], p, return_indices=True)  # (B, 1, m/p, m/p) each
    where = where[:, 0]  # (B, m/p, m/p) flat index row * m + column into each map
    dense = linear_init(m * m, n * n, g, device)  # (m*m, n*n) nn.Linear's layout (out, in)
    dptrs = dense_pointers(images, dense)
    s = m // 2
    shifted = shift_right(images[0, 0], s)
    shifted_fmap = F.conv2d(shifted[None, None], kernel)[0, 0]  # (m, m)
    peaks = torch.stack([fmap_conv[0].mean(0).argmax(), shifted_fmap.mean(0).argmax()]) + 1
    absmax = fmap_conv.abs().max()
    x = images.flatten(1)  # (B, n*n) row by row
    linear = torch.nn.Linear(n * n, m * m, bias=False).to(device)
    with torch.no_grad():
        linear.weight.copy_(dense)
        dense_out = linear(x)  # (B, m*m)
    by_hand = (dense[None] * x[:, None]).sum(-1)  # (B, m*m): each output a row of W times the pixels, summed
    prod = dense[0] * x[0]  # (n*n,)
    loss, grad, new = one_sgd_step(images, kernel, LR)
    grad_sum = windows.sum(dim=(0, 1, 2))  # (k, k): d loss / d response = 1, so each location adds its window
    return CnnResult(
        config=config,
        images=images,
        kernel=kernel,
        windows=windows.contiguous(),
        products=products.contiguous(),
        fmap_sliding=fmap_sliding,
        fmap_conv=fmap_conv.contiguous(),
        conv_max_diff=(fmap_sliding - fmap_conv).abs().max(),
        kernel_ptrs=ptrs,
        distinct_kernels=count(torch.unique(ptrs).numel(), device),
        regions=regions.contiguous(),
        pooled_regions=pooled_regions,
        pooled=pooled[:, 0].contiguous(),
        pooled_at=torch.stack((where // m, where % m), dim=-1),  # (B, m/p, m/p, 2)
        pool_max_diff=(pooled_regions - pooled[:, 0]).abs().max(),
        locations=count(m * m, device),
        windows_total=count(B * m * m, device),
        kernel_params=count(kernel.numel(), device),
        image_pixels=count(n * n, device),
        dense_params=count(n * n * m * m, device),
        dense_weight=dense,
        dense_ptrs=dptrs,
        dense_distinct=count(torch.unique(dptrs).numel(), device),
        grey_step=torch.tensor(STEP, device=device),
        shift=count(s, device),
        shifted=shifted,
        shifted_fmap=shifted_fmap,
        shift_diff=(shifted_fmap[:, s:] - fmap_conv[0][:, :m - s]).abs().max(),
        peak_cols=peaks,
        dense_absmax=dense.abs().max(),
        dense_x=x,
        dense_prod=prod,
        dense_out=dense_out,
        dense_out_ref=by_hand,
        dense_out_diff=(dense_out - by_hand).abs().max(),
        prod_absmax=prod.abs().max(),
        out_absmax=dense_out.abs().max(),
        loss=loss,
        kernel_grad=grad,
        grad_sum=grad_sum,
        grad_diff=(grad - grad_sum).abs().max(),
        lr=torch.tensor(LR, device=device),
        kernel_new=new,
        dense_ramp=torch.linspace(-float(dense.abs().max()), float(dense.abs().max()), 64, device=device)[None],
        ramp=torch.linspace(-float(absmax), float(absmax), 64, device=device)[None],
        image_ramp=torch.linspace(-float(images.abs().max()), float(images.abs().max()), 64, device=device)[None],
        image_absmax=images.abs().max(),
        fmap_absmax=absmax,
    )
