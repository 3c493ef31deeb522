"""Device distance and motion families: ``downscale``, ``defocus``, ``motion_blur``, ``jpeg``.

Blur kernels are the NumPy families' (built per image on the host, a few hundred floats) and
applied in one batched ``kornia`` convolution; JPEG is kornia's differentiable codec (8×8 DCT,
4:2:0 chroma, the standard quantisation tables at each image's quality), not libjpeg.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from kornia.enhance import jpeg_codec_differentiable
from kornia.filters import filter2d

from crowdsign.augment.device.ops import finish, lerp, pixels, register, stack_kernels, uniform
from crowdsign.augment.family import REFERENCE_SIZE, disk_kernel, line_kernel


@register("downscale")
def downscale(x: torch.Tensor, severity: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Area-downsample to a fraction of the side, bilinear back up (grouped by target size)."""
    factor = lerp(severity, (1.0, 0.75, 0.55, 0.4, 0.3, 0.22))
    h, w = x.shape[-2:]
    sides = torch.stack([(w * factor).round().clamp(min=2), (h * factor).round().clamp(min=2)], 1)
    out = x.clone()
    for sw, sh in sides.unique(dim=0).tolist():
        if (sw, sh) == (w, h):
            continue
        pick = ((sides[:, 0] == sw) & (sides[:, 1] == sh)).nonzero()[:, 0]
        low = F.interpolate(x[pick], size=(int(sh), int(sw)), mode="area")
        out[pick] = F.interpolate(low, size=(h, w), mode="bilinear")
    return finish(out)


@register("defocus")
def defocus(x: torch.Tensor, severity: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Convolution with each image's anti-aliased disk (the lens point-spread function)."""
    radius = pixels(x, lerp(severity, (0.0, 1.1, 1.6, 2.2, 2.9, 3.6)))
    kernels = stack_kernels([disk_kernel(round(r * 20) / 20) for r in radius.tolist()], x)
    return finish(filter2d(x, kernels, border_type="reflect"))


@register("motion_blur")
def motion_blur(x: torch.Tensor, severity: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """A line blur within ±25° of horizontal; images with a blur under 1 px stay as they are."""
    length = pixels(x, lerp(severity, (0.0, 3.0, 5.0, 7.0, 10.0, 13.0)))
    angle = uniform(g, x.shape[0], -25.0, 25.0, x)
    pairs = zip(length.clamp(min=1.0).tolist(), angle.tolist(), strict=True)
    kernels = stack_kernels([line_kernel(n, a, normalise=True) for n, a in pairs], x)
    blurred = filter2d(x, kernels, border_type="reflect")
    return finish(torch.where((length >= 1.0).view(-1, 1, 1, 1), blurred, x))


@register("jpeg")
def jpeg(x: torch.Tensor, severity: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """JPEG artefacts at a falling quality; images under 64 px are coded at 64 px, as the
    NumPy family does (a crop is compressed in the camera's larger frame)."""
    quality = lerp(severity, (100.0, 55.0, 35.0, 22.0, 13.0, 7.0)).round()
    h, w = x.shape[-2:]
    zoom = max(1.0, REFERENCE_SIZE / min(h, w))
    big = x if zoom == 1.0 else F.interpolate(x, scale_factor=zoom, mode="bilinear")
    coded = jpeg_codec_differentiable(big / 255.0, quality.clamp(max=99.0)) * 255.0
    if zoom > 1.0:
        coded = F.interpolate(coded, size=(h, w), mode="area")
    return finish(torch.where((quality < 100).view(-1, 1, 1, 1), coded, x))
