"""Converting reference checkpoints (issue 8): each layout gives the reference's outputs.

For every layout a state dict is built with the key names and shapes the reference code's
``state_dict()`` produces (documented at each builder), saved with ``torch.save``, converted by the
CLI and by :func:`convert_checkpoint`, and our net's output is compared with a plain
``torch.nn.functional`` re-implementation of the reference forward that reads the reference's keys.
Random weights are scaled by 1/sqrt(fan-in) so activations stay O(1) and an absolute tolerance of
1e-5 means something. Sizes are small (few blocks, few channels) to keep the file fast on 2 cores.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import Tensor
from typer.testing import CliRunner

from ganapps.cli import app
from ganapps.convert import ConvertError, convert_checkpoint
from ganapps.core.checkpoint import read_metadata
from ganapps.pipelines.base import load_net

runner = CliRunner()
TOL = 1e-5
Sd = dict[str, Tensor]


# ----------------------------------------------------------------- reference-layout builders
class Builder:
    """Adds reference-named tensors with the shapes ``nn.Conv2d``/``nn.ConvTranspose2d``/norms have."""

    def __init__(self, seed: int = 0):
        self.sd: Sd = {}
        self.g = torch.Generator().manual_seed(seed)

    def _randn(self, *shape: int) -> Tensor:
        return torch.randn(*shape, generator=self.g)

    def conv(self, name: str, cin: int, cout: int, k: int, bias: bool = True, transposed: bool = False) -> None:
        shape = (cin, cout, k, k) if transposed else (cout, cin, k, k)  # ConvTranspose2d stores in × out
        self.sd[f"{name}.weight"] = self._randn(*shape) / math.sqrt(cin * k * k)
        if bias:
            self.sd[f"{name}.bias"] = 0.1 * self._randn(cout)

    def norm(self, name: str, c: int, kind: str) -> None:
        """``batch``: BatchNorm2d(affine, running stats); ``instance``: the reference's InstanceNorm2d
        (no tensors); ``instance_stale``: an InstanceNorm saved before PyTorch 0.4 (running stats only)."""
        if kind == "batch":
            self.sd[f"{name}.weight"] = 1 + 0.1 * self._randn(c)
            self.sd[f"{name}.bias"] = 0.1 * self._randn(c)
            self.sd[f"{name}.running_mean"] = 0.1 * self._randn(c)
            self.sd[f"{name}.running_var"] = 0.1 + 0.2 * torch.rand(c, generator=self.g)
            self.sd[f"{name}.num_batches_tracked"] = torch.tensor(1000)
        elif kind == "instance_stale":
            self.sd[f"{name}.running_mean"] = torch.zeros(c)
            self.sd[f"{name}.running_var"] = torch.ones(c)


def resnet_state(n_blocks: int, ngf: int = 8, norm: str = "instance", dropout: bool = False, seed: int = 0) -> Sd:
    """pytorch-CycleGAN-and-pix2pix ``ResnetGenerator(3, 3, ngf, norm_layer, use_dropout, n_blocks)``:
    ``model`` is one Sequential: 0 ReflectionPad(3), 1 Conv 7×7, 2 norm, 3 ReLU, 4/7 Conv 3×3 s2,
    5/8 norm, 6/9 ReLU, 10..10+n-1 ResnetBlock (``conv_block``: 0 pad, 1 conv, 2 norm, 3 ReLU,
    [4 Dropout], pad, conv, norm), then twice ConvTranspose 3×3 s2 + norm + ReLU, pad, Conv 7×7
    (bias always), Tanh. Convs have a bias only with InstanceNorm (``use_bias``)."""
    b, bias = Builder(seed), norm != "batch"
    b.conv("model.1", 3, ngf, 7, bias)
    b.norm("model.2", ngf, norm)
    for i, c in ((4, ngf), (7, 2 * ngf)):
        b.conv(f"model.{i}", c, 2 * c, 3, bias)
        b.norm(f"model.{i + 1}", 2 * c, norm)
    second = 6 if dropout else 5
    for i in range(10, 10 + n_blocks):
        b.conv(f"model.{i}.conv_block.1", 4 * ngf, 4 * ngf, 3, bias)
        b.norm(f"model.{i}.conv_block.2", 4 * ngf, norm)
        b.conv(f"model.{i}.conv_block.{second}", 4 * ngf, 4 * ngf, 3, bias)
        b.norm(f"model.{i}.conv_block.{second + 1}", 4 * ngf, norm)
    for i, c in ((10 + n_blocks, 4 * ngf), (13 + n_blocks, 2 * ngf)):
        b.conv(f"model.{i}", c, c // 2, 3, bias, transposed=True)
        b.norm(f"model.{i + 1}", c // 2, norm)
    b.conv(f"model.{17 + n_blocks}", ngf, 3, 7)
    return b.sd


def unet_state(num_downs: int, ngf: int = 4, norm: str = "batch", seed: int = 0) -> Sd:
    """pytorch-CycleGAN-and-pix2pix ``UnetGenerator(3, 3, num_downs, ngf, norm_layer)``: nested
    ``UnetSkipConnectionBlock``s, each with one Sequential ``model``. Outermost (``model.model``):
    0 down Conv 4×4 s2, 1 submodule, 2 ReLU, 3 ConvTranspose (bias always), 4 Tanh. Middle blocks:
    0 LeakyReLU, 1 down Conv, 2 norm, 3 submodule, 4 ReLU, 5 ConvTranspose, 6 norm, [7 Dropout].
    Innermost: 0 LeakyReLU, 1 down Conv, 2 ReLU, 3 ConvTranspose, 4 norm. Widths from the outside:
    ngf, 2ngf, 4ngf, then 8ngf for the remaining levels."""
    b, bias = Builder(seed), norm != "batch"
    widths = [ngf, 2 * ngf, 4 * ngf] + [8 * ngf] * (num_downs - 3)
    b.conv("model.model.0", 3, ngf, 4, bias)
    b.conv("model.model.3", 2 * ngf, 3, 4, transposed=True)
    prefix = "model.model.1.model"
    for level in range(1, num_downs):
        outer, inner = widths[level - 1], widths[level]
        b.conv(f"{prefix}.1", outer, inner, 4, bias)
        if level == num_downs - 1:  # innermost
            b.conv(f"{prefix}.3", inner, outer, 4, bias, transposed=True)
            b.norm(f"{prefix}.4", outer, norm)
        else:
            b.norm(f"{prefix}.2", inner, norm)
            b.conv(f"{prefix}.5", 2 * inner, outer, 4, bias, transposed=True)
            b.norm(f"{prefix}.6", outer, norm)
        prefix += ".3.model"
    return b.sd


def msrresnet_state(scale: int, nf: int = 8, nb: int = 2, seed: int = 0) -> Sd:
    """BasicSR ``MSRResNet(3, 3, nf, nb, upscale)``: conv_first, body.N.conv1/conv2 (ResidualBlockNoBN),
    upconv1 (nf·4 out; nf·9 for ×3) [upconv2 for ×4], conv_hr, conv_last; all 3×3 with bias."""
    b = Builder(seed)
    b.conv("conv_first", 3, nf, 3)
    for i in range(nb):
        b.conv(f"body.{i}.conv1", nf, nf, 3)
        b.conv(f"body.{i}.conv2", nf, nf, 3)
    b.conv("upconv1", nf, nf * 4, 3)
    if scale == 4:
        b.conv("upconv2", nf, nf * 4, 3)
    b.conv("conv_hr", nf, nf, 3)
    b.conv("conv_last", nf, 3, 3)
    return b.sd


ESRGAN_NAMES = {"conv_body": "trunk_conv", "conv_up1": "upconv1", "conv_up2": "upconv2", "conv_hr": "HRconv"}


def esrgan_name(key: str) -> str:
    """A BasicSR RRDBNet key as xinntao/ESRGAN's RRDBNet_arch.py names the same tensor."""
    module, _, param = key.rpartition(".")
    module = re.sub(r"^body\.(\d+)\.rdb(\d)", r"RRDB_trunk.\1.RDB\2", ESRGAN_NAMES.get(module, module))
    return f"{module}.{param}"


def rrdbnet_state(scale: int, nf: int = 8, nb: int = 2, gc: int = 4, old_names: bool = False, seed: int = 0) -> Sd:
    """BasicSR ``RRDBNet(3, 3, scale, nf, nb, gc)``: conv_first (3·4 inputs for ×2, 3·16 for ×1),
    body.N.rdbK.conv1..conv5 (conv i takes nf + (i-1)·gc, conv1-4 give gc, conv5 gives nf),
    conv_body, conv_up1, conv_up2, conv_hr, conv_last; all 3×3 with bias. ``old_names``: the same
    net as xinntao/ESRGAN's RRDBNet_arch.py names it (RRDB_trunk.N.RDBk, trunk_conv, upconv1/2, HRconv)."""
    b = Builder(seed)
    b.conv("conv_first", 3 * {4: 1, 2: 4, 1: 16}[scale], nf, 3)
    for i in range(nb):
        for k in (1, 2, 3):
            for j in range(1, 5):
                b.conv(f"body.{i}.rdb{k}.conv{j}", nf + (j - 1) * gc, gc, 3)
            b.conv(f"body.{i}.rdb{k}.conv5", nf + 4 * gc, nf, 3)
    for name in ("conv_body", "conv_up1", "conv_up2", "conv_hr"):
        b.conv(name, nf, nf, 3)
    b.conv("conv_last", nf, 3, 3)
    return {esrgan_name(k): v for k, v in b.sd.items()} if old_names else b.sd


# --------------------------------------------------- the reference forwards, in plain functional
def _norm(sd: Sd, name: str, x: Tensor, kind: str, running: bool) -> Tensor:
    """The reference's norm layer at ``name``: InstanceNorm2d(affine=False); BatchNorm2d in eval mode
    (``running``), or in train mode on each image alone (its plain test.py runs at batch size 1)."""
    if kind == "instance":
        return F.instance_norm(x, eps=1e-5)
    w, b = sd[f"{name}.weight"], sd[f"{name}.bias"]
    if running:
        return F.batch_norm(x, sd[f"{name}.running_mean"], sd[f"{name}.running_var"], w, b, False, 0.1, 1e-5)
    return torch.cat([F.batch_norm(xi[None], None, None, w, b, True, 0.1, 1e-5) for xi in x])


def _conv(sd: Sd, name: str, x: Tensor, **kw) -> Tensor:
    return F.conv2d(x, sd[f"{name}.weight"], sd.get(f"{name}.bias"), **kw)


def _up(sd: Sd, name: str, x: Tensor, **kw) -> Tensor:
    return F.conv_transpose2d(x, sd[f"{name}.weight"], sd.get(f"{name}.bias"), stride=2, padding=1, **kw)


def resnet_reference(sd: Sd, x: Tensor, n: int, kind: str, running: bool = False, dropout: bool = False) -> Tensor:
    """ResnetGenerator.forward in eval mode (dropout off)."""
    norm = lambda name, h: _norm(sd, name, h, kind, running)  # noqa: E731
    pad = lambda h, p: F.pad(h, (p, p, p, p), mode="reflect")  # noqa: E731
    x = F.relu(norm("model.2", _conv(sd, "model.1", pad(x, 3))))
    x = F.relu(norm("model.5", _conv(sd, "model.4", x, stride=2, padding=1)))
    x = F.relu(norm("model.8", _conv(sd, "model.7", x, stride=2, padding=1)))
    second = 6 if dropout else 5
    for i in range(10, 10 + n):
        blk = f"model.{i}.conv_block"
        h = F.relu(norm(f"{blk}.2", _conv(sd, f"{blk}.1", pad(x, 1))))
        x = x + norm(f"{blk}.{second + 1}", _conv(sd, f"{blk}.{second}", pad(h, 1)))
    for i in (10 + n, 13 + n):
        x = F.relu(norm(f"model.{i + 1}", _up(sd, f"model.{i}", x, output_padding=1)))
    return torch.tanh(_conv(sd, f"model.{17 + n}", pad(x, 3)))


def unet_reference(sd: Sd, x: Tensor, num_downs: int, kind: str, running: bool = False) -> Tensor:
    """UnetGenerator.forward in eval mode. (Its in-place LeakyReLU also rewrites the skip ``x``, but
    the skip only ever feeds the parent's ReLU, which makes that invisible.)"""
    norm = lambda name, h: _norm(sd, name, h, kind, running)  # noqa: E731

    def inner(level: int, p: str, x: Tensor) -> Tensor:
        h = _conv(sd, f"{p}.1", F.leaky_relu(x, 0.2), stride=2, padding=1)
        if level == num_downs - 1:
            h = norm(f"{p}.4", _up(sd, f"{p}.3", F.relu(h)))
        else:
            h = inner(level + 1, f"{p}.3.model", norm(f"{p}.2", h))
            h = norm(f"{p}.6", _up(sd, f"{p}.5", F.relu(h)))
        return torch.cat([x, h], 1)

    h = inner(1, "model.model.1.model", _conv(sd, "model.model.0", x, stride=2, padding=1))
    return torch.tanh(_up(sd, "model.model.3", F.relu(h)))


def msrresnet_reference(sd: Sd, x: Tensor, scale: int) -> Tensor:
    """MSRResNet.forward on [0, 1] images."""
    out = F.leaky_relu(_conv(sd, "conv_first", x, padding=1), 0.1)
    for i in range(sum(k.endswith(".conv1.weight") for k in sd)):
        out = out + _conv(sd, f"body.{i}.conv2", F.relu(_conv(sd, f"body.{i}.conv1", out, padding=1)), padding=1)
    for name in ("upconv1", "upconv2") if scale == 4 else ("upconv1",):
        out = F.leaky_relu(F.pixel_shuffle(_conv(sd, name, out, padding=1), 2), 0.1)
    out = _conv(sd, "conv_last", F.leaky_relu(_conv(sd, "conv_hr", out, padding=1), 0.1), padding=1)
    return out + F.interpolate(x, scale_factor=scale, mode="bilinear", align_corners=False)


def rrdbnet_reference(sd: Sd, x: Tensor, scale: int) -> Tensor:
    """RRDBNet.forward on [0, 1] images; BasicSR's pixel_unshuffle written out as view + permute."""
    lrelu = lambda h: F.leaky_relu(h, 0.2)  # noqa: E731
    if scale < 4:
        s = {2: 2, 1: 4}[scale]
        b, c, hh, ww = x.shape
        x = x.view(b, c, hh // s, s, ww // s, s).permute(0, 1, 3, 5, 2, 4).reshape(b, c * s * s, hh // s, ww // s)
    feat = _conv(sd, "conv_first", x, padding=1)
    body = feat
    for i in range(sum(k.endswith("rdb1.conv1.weight") for k in sd)):
        block_in = body
        for k in (1, 2, 3):
            p, feats = f"body.{i}.rdb{k}", [body]
            for j in range(1, 5):
                feats.append(lrelu(_conv(sd, f"{p}.conv{j}", torch.cat(feats, 1), padding=1)))
            body = _conv(sd, f"{p}.conv5", torch.cat(feats, 1), padding=1) * 0.2 + body
        body = body * 0.2 + block_in
    feat = feat + _conv(sd, "conv_body", body, padding=1)
    for name in ("conv_up1", "conv_up2"):
        feat = lrelu(_conv(sd, name, F.interpolate(feat, scale_factor=2, mode="nearest"), padding=1))
    return _conv(sd, "conv_last", lrelu(_conv(sd, "conv_hr", feat, padding=1)), padding=1)


# ----------------------------------------------------------------------------- equivalence
def _convert_both(tmp_path: Path, sd: Sd, args: list[str], wrap: str | None = None) -> Path:
    """Save ``sd`` as the reference would, convert it with the CLI and the function; check they agree."""
    src = tmp_path / "latest_net_G.pth"
    torch.save({wrap: sd} if wrap else sd, src)
    cli_out, fn_out = tmp_path / "cli.safetensors", tmp_path / "fn.safetensors"
    result = runner.invoke(app, ["convert", str(src), "-o", str(cli_out), *args])
    assert result.exit_code == 0, result.output
    arch = args[args.index("--arch") + 1] if "--arch" in args else None
    scale = int(args[args.index("--scale") + 1]) if "--scale" in args else None
    convert_checkpoint(src, fn_out, arch=arch, scale=scale, running_stats="--running-stats" in args)
    a, b = load_file(cli_out), load_file(fn_out)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    return fn_out


def _max_error(path: Path, x: Tensor, reference: Tensor, unit_range: bool = False) -> float:
    net, _ = load_net(path)
    with torch.no_grad():
        ours = net(x * 2 - 1 if unit_range else x)
    if unit_range:
        ours = (ours + 1) / 2
    assert ours.shape == reference.shape
    return (ours - reference).abs().max().item()


TRANSLATION_CASES = {
    # name: (builder, CLI args, reference forward, input side)
    "resnet9 instance (CycleGAN zoo)": (
        lambda: resnet_state(9), ["--arch", "resnet9"], lambda sd, x: resnet_reference(sd, x, 9, "instance"), 32),
    "resnet6 instance, stale stats, auto": (
        lambda: resnet_state(6, norm="instance_stale"), [], lambda sd, x: resnet_reference(sd, x, 6, "instance"), 32),
    "resnet6 batch + dropout, per image": (
        lambda: resnet_state(6, norm="batch", dropout=True), [],
        lambda sd, x: resnet_reference(sd, x, 6, "batch", dropout=True), 32),
    "unet256 batch, per image (pix2pix zoo)": (
        lambda: unet_state(8), ["--arch", "unet256"], lambda sd, x: unet_reference(sd, x, 8, "batch"), 256),
    "unet256 batch, running stats": (
        lambda: unet_state(8), ["--running-stats"], lambda sd, x: unet_reference(sd, x, 8, "batch", True), 256),
    "unet128 instance": (
        lambda: unet_state(7, norm="instance"), ["--arch", "unet128"], lambda sd, x: unet_reference(sd, x, 7, "instance"),
        256),
}  # fmt: skip


@pytest.mark.parametrize("case", TRANSLATION_CASES)
def test_translation_layouts_match_the_reference(tmp_path: Path, case: str):
    build_sd, args, reference, side = TRANSLATION_CASES[case]
    sd = build_sd()
    path = _convert_both(tmp_path, sd, args)
    x = torch.rand(2, 3, side, side, generator=torch.Generator().manual_seed(1)) * 2 - 1
    assert _max_error(path, x, reference(sd, x)) <= TOL
    meta = read_metadata(path)
    assert meta["task"] == "translate" and meta["converted"] is True
    assert meta["source"]["file"] == "latest_net_G.pth" and meta["source"]["code"].startswith("pytorch-CycleGAN")


SR_CASES = {
    # name: (builder, CLI args, wrapper key, scale, input side)
    "msrresnet x4": (lambda: msrresnet_state(4), ["--arch", "msrresnet"], "params", 4, 12),
    "msrresnet x2, auto": (lambda: msrresnet_state(2), [], None, 2, 12),
    "rrdbnet x4 (Real-ESRGAN x4plus)": (lambda: rrdbnet_state(4), ["--arch", "rrdbnet", "--scale", "4"], "params_ema", 4, 12),
    "rrdbnet x2 (x2plus), auto": (lambda: rrdbnet_state(2), [], "params_ema", 2, 12),
    "rrdbnet x1": (lambda: rrdbnet_state(1), ["--scale", "1"], "params", 1, 16),
    "rrdbnet x4, ESRGAN repo names": (lambda: rrdbnet_state(4, old_names=True), [], None, 4, 12),
}  # fmt: skip


@pytest.mark.parametrize("case", SR_CASES)
def test_sr_layouts_match_the_reference(tmp_path: Path, case: str):
    build_sd, args, wrap, scale, side = SR_CASES[case]
    sd = build_sd()
    path = _convert_both(tmp_path, sd, args, wrap)
    ref_sd = rrdbnet_state(scale) if "ESRGAN repo" in case else sd  # the reference forward reads BasicSR names
    forward = rrdbnet_reference if "rrdbnet" in case else msrresnet_reference
    x = torch.rand(2, 3, side, side, generator=torch.Generator().manual_seed(1))
    assert _max_error(path, x, forward(ref_sd, x, scale), unit_range=True) <= TOL
    meta = read_metadata(path)
    assert meta["task"] == "upscale" and meta["scale"] == scale and meta["source"]["params"] == wrap


def test_rrdbnet_x2_pads_odd_sizes_like_real_esrgan(tmp_path: Path):
    """Real-ESRGAN reflect-pads a ×2 input to even sides and crops the output; so do we."""
    sd = rrdbnet_state(2)
    path = _convert_both(tmp_path, sd, [])
    x = torch.rand(1, 3, 11, 13, generator=torch.Generator().manual_seed(2))
    padded = F.pad(x, (0, 1, 0, 1), mode="reflect")
    assert _max_error(path, x, rrdbnet_reference(sd, padded, 2)[..., :22, :26], unit_range=True) <= TOL


# ---------------------------------------------------------------------- the file and its keys
def test_params_ema_preferred_and_module_prefix_stripped(tmp_path: Path):
    ema, plain = rrdbnet_state(4, seed=1), rrdbnet_state(4, seed=2)
    src = tmp_path / "RealESRGAN_x4plus.pth"
    torch.save({"params": plain, "params_ema": {f"module.{k}": v for k, v in ema.items()}}, src)
    convert_checkpoint(src, tmp_path / "out.safetensors")
    out = load_file(tmp_path / "out.safetensors")
    assert torch.equal(out["conv_first.weight"], ema["conv_first.weight"])
    assert read_metadata(tmp_path / "out.safetensors")["source"]["params"] == "params_ema"


def _cli_error(tmp_path: Path, obj, *args: str) -> str:
    src = tmp_path / "in.pth"
    torch.save(obj, src)
    result = runner.invoke(app, ["convert", str(src), "-o", str(tmp_path / "out.safetensors"), *args])
    assert result.exit_code == 1, result.output
    assert not (tmp_path / "out.safetensors").exists()
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    return lines[0]


def test_missing_key_is_named(tmp_path: Path):
    sd = resnet_state(9)
    del sd["model.12.conv_block.5.weight"]
    assert "missing tensor 'model.12.conv_block.5.weight'" in _cli_error(tmp_path, sd, "--arch", "resnet9")


def test_missing_key_is_named_in_the_files_own_names(tmp_path: Path):
    sd = rrdbnet_state(4, old_names=True)
    del sd["RRDB_trunk.1.RDB2.conv3.bias"]
    assert "missing tensor 'RRDB_trunk.1.RDB2.conv3.bias'" in _cli_error(tmp_path, sd)


def test_shape_mismatch_is_named(tmp_path: Path):
    sd = msrresnet_state(4)
    sd["body.1.conv2.weight"] = torch.zeros(8, 8, 5, 5)
    msg = _cli_error(tmp_path, sd)
    assert "'body.1.conv2.weight' has shape (8, 8, 5, 5), expected (8, 8, 3, 3)" in msg


def test_unexpected_key_is_named(tmp_path: Path):
    sd = unet_state(7) | {"model.model.9.weight": torch.zeros(1)}
    assert "unexpected tensor 'model.model.9.weight'" in _cli_error(tmp_path, sd, "--arch", "unet128")


def test_wrong_block_count_for_pinned_arch(tmp_path: Path):
    assert "missing tensor 'model.16.conv_block.1.weight'" in _cli_error(tmp_path, resnet_state(6), "--arch", "resnet9")


def test_scale_mismatch(tmp_path: Path):
    assert "--scale 2, but the file holds a ×4 model" in _cli_error(tmp_path, {"params_ema": rrdbnet_state(4)}, "--scale", "2")


class NotATensor:
    pass


def test_pickled_objects_are_refused_not_run(tmp_path: Path):
    msg = _cli_error(tmp_path, {"conv_first.weight": torch.zeros(1), "opt": NotATensor()})
    assert "refused" in msg and "NotATensor" in msg


def test_non_tensor_entries_and_foreign_files(tmp_path: Path):
    assert "entry 'epoch' is not a tensor (int)" in _cli_error(tmp_path, {"conv_first.weight": torch.zeros(1), "epoch": 3})
    assert "no supported layout recognised" in _cli_error(tmp_path, {"fc.weight": torch.zeros(2, 2)})
    png = tmp_path / "photo.pth"
    png.write_bytes(cv2.imencode(".png", np.zeros((4, 4, 3), np.uint8))[1].tobytes())
    with pytest.raises(ConvertError, match="not a PyTorch checkpoint"):
        convert_checkpoint(png, tmp_path / "x.safetensors")


def test_cli_usage_errors(tmp_path: Path):
    src = tmp_path / "in.pth"
    torch.save(msrresnet_state(4), src)
    for args in (["-o", str(tmp_path / "x.pt")], ["-o", str(tmp_path / "x.safetensors"), "--arch", "vgg"]):
        assert runner.invoke(app, ["convert", str(src), *args]).exit_code == 2
    out = tmp_path / "x.safetensors"
    assert runner.invoke(app, ["convert", str(src), "-o", str(out)]).exit_code == 0
    assert runner.invoke(app, ["convert", str(src), "-o", str(out)]).exit_code == 2  # exists
    assert runner.invoke(app, ["convert", str(src), "-o", str(out), "--overwrite"]).exit_code == 0


# ------------------------------------------------------------ converted files in the pipelines
def test_converted_models_run_in_upscale_and_translate(tmp_path: Path):
    torch.save({"params_ema": rrdbnet_state(2)}, tmp_path / "RealESRGAN_x2plus.pth")
    sr = tmp_path / "x2.safetensors"
    assert runner.invoke(app, ["convert", str(tmp_path / "RealESRGAN_x2plus.pth"), "-o", str(sr)]).exit_code == 0
    torch.save(resnet_state(6), tmp_path / "latest_net_G.pth")
    tr = tmp_path / "g.safetensors"
    assert runner.invoke(app, ["convert", str(tmp_path / "latest_net_G.pth"), "-o", str(tr)]).exit_code == 0
    image = tmp_path / "in.png"
    cv2.imwrite(str(image), np.random.default_rng(0).integers(0, 256, (21, 27, 3), dtype=np.uint8))
    result = runner.invoke(
        app, ["upscale", "x2", str(image), "-o", str(tmp_path / "up.png"), "--model", str(sr), "--tile", "16",
              "--tile-overlap", "4", "--device", "cpu"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert cv2.imread(str(tmp_path / "up.png")).shape == (42, 54, 3)
    result = runner.invoke(app, ["translate", str(image), "-o", str(tmp_path / "tr.png"), "--model", str(tr), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert cv2.imread(str(tmp_path / "tr.png")).shape == (21, 27, 3)
