"""The speed paths change no result: instance norm as group norm, channels-last inference, the
pipelined batch runner (order, failures, real overlap), GPU-only switches refused or inert on CPU."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from typer.testing import CliRunner

from ganapps.cli import app
from ganapps.core.checkpoint import save_weights
from ganapps.core.device import tune_backends
from ganapps.nets import spec_of
from ganapps.nets.blocks import InstanceNorm
from ganapps.nets.inpaint_net import InpaintGenerator, InpaintGeneratorConfig
from ganapps.nets.resnet_gen import ResNetGenerator, ResNetGeneratorConfig
from ganapps.nets.srresnet import SRResNet, SRResNetConfig
from ganapps.nets.unet import UNetGenerator, UNetGeneratorConfig
from ganapps.pipelines.base import forward, load_net
from ganapps.pipelines.files import Stages, run_batch


@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("layout", [torch.contiguous_format, torch.channels_last])
def test_instance_norm_is_pytorchs_in_value_and_gradient(affine, layout):
    torch.manual_seed(0)
    norm = InstanceNorm(6, affine=affine)
    if affine:
        torch.nn.init.normal_(norm.weight, 1, 0.1)
        torch.nn.init.normal_(norm.bias, 0, 0.1)
    x = (torch.randn(3, 6, 9, 7) * 3 + 1).contiguous(memory_format=layout).requires_grad_(True)
    ours = norm(x)
    theirs = F.instance_norm(x, weight=norm.weight, bias=norm.bias, eps=norm.eps)
    assert torch.allclose(ours, theirs, atol=1e-5)
    g = torch.randn_like(ours)
    assert torch.allclose(torch.autograd.grad(ours, x, g)[0], torch.autograd.grad(theirs, x, g)[0], atol=1e-5)
    assert set(norm.state_dict()) == set(torch.nn.InstanceNorm2d(6, affine=affine).state_dict())


@pytest.mark.parametrize(
    "net, shape",
    [
        (lambda: ResNetGenerator(ResNetGeneratorConfig(ngf=4, n_blocks=1)), (2, 3, 32, 24)),
        (lambda: UNetGenerator(UNetGeneratorConfig(ngf=4, num_downs=5)), (1, 3, 64, 32)),
        (lambda: SRResNet(SRResNetConfig(num_feat=8, num_block=1)), (1, 3, 10, 12)),
        (lambda: InpaintGenerator(InpaintGeneratorConfig(width=4)), (1, 4, 19, 22)),
    ],
)
def test_channels_last_inference_gives_the_same_output(tmp_path, net, shape):
    torch.manual_seed(0)
    n = net()
    path = tmp_path / "w.safetensors"
    save_weights(path, n, spec_of(n))  # a bare net: no task
    x = torch.rand(shape) * 2 - 1
    plain, _ = load_net(path)
    fast, _ = load_net(path, channels_last=True)
    with torch.inference_mode():
        assert torch.allclose(plain(x), fast(x.contiguous(memory_format=torch.channels_last)), atol=1e-5)


def _pairs(tmp_path: Path, n: int) -> list[tuple[Path, Path]]:
    return [(tmp_path / f"in{i}.png", tmp_path / "out" / f"in{i}.png") for i in range(n)]


def test_stages_keep_input_order_and_report_each_failure_against_its_input(tmp_path):
    pairs = _pairs(tmp_path, 7)

    def read(src: Path) -> int:
        if src.stem == "in1":
            raise ValueError(f"{src}: unreadable")
        return int(src.stem[2:])

    def run(items: list[int]) -> list[int]:
        if 4 in items:  # a bad input fails its whole batch; the runner retries the others alone
            raise ValueError("cannot process 4")
        return [10 * i for i in items]

    def write(dst: Path, value: int) -> None:
        if value == 60:
            raise OSError("disk full")
        dst.write_text(str(value))

    result = run_batch(pairs, Stages(read, run, write, batch_size=3), show_progress=False)
    assert result.written == [pairs[i][1] for i in (0, 2, 3, 5)]
    assert [dst.read_text() for dst in result.written] == ["0", "20", "30", "50"]
    assert result.failures == [f"{pairs[1][0]}: unreadable", f"{pairs[4][0]}: cannot process 4", f"{pairs[6][0]}: disk full"]
    assert result.model_seconds > 0


def test_stages_decode_the_next_batch_while_the_model_runs(tmp_path):
    """The model step of batch 0 waits for the read of batch 1 to have started: without overlap this
    would time out. Reads and writes run on the helper thread, the model on the caller's."""
    pairs = _pairs(tmp_path, 4)
    next_read, threads = threading.Event(), {"read": set(), "run": set(), "write": set()}

    def read(src: Path) -> Path:
        threads["read"].add(threading.current_thread().name)
        if src == pairs[2][0]:
            next_read.set()
        return src

    def run(items: list[Path]) -> list[str]:
        threads["run"].add(threading.current_thread().name)
        if pairs[0][0] in items:
            assert next_read.wait(timeout=10), "batch 1 was not read during batch 0's model step"
        return [p.stem for p in items]

    def write(dst: Path, stem: str) -> None:
        threads["write"].add(threading.current_thread().name)
        dst.write_text(stem)

    result = run_batch(pairs, Stages(read, run, write, batch_size=2), show_progress=False)
    assert len(result.written) == 4 and not result.failures
    assert threads["run"] == {threading.current_thread().name}
    assert all(name.startswith("ganapps-io") for name in threads["read"] | threads["write"])


def test_gpu_switches_on_cpu(monkeypatch):
    monkeypatch.setattr(torch.backends.cudnn, "benchmark", False)
    tune_backends(torch.device("cpu"))
    assert torch.backends.cudnn.benchmark is False
    tune_backends(torch.device("cuda", 0))  # a device object needs no GPU
    assert torch.backends.cudnn.benchmark is True
    r = CliRunner().invoke(app, ["translate", "x.png", "-o", "out", "--model", "m.safetensors", "--precision", "fp16", "--device", "cpu"])
    assert r.exit_code == 2 and "--precision fp16 needs a CUDA GPU" in r.output


class _NaNUnderAutocast(torch.nn.Module):
    """Doubles its input, but returns NaN wherever autocast is on: a stand-in for a flaky bf16 kernel."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = 2 * x
        return y * float("nan") if torch.is_autocast_enabled(x.device.type) else y


def test_reduced_precision_nan_falls_back_to_float32():
    x = torch.randn(2, 3, 8, 8)
    y = forward(_NaNUnderAutocast(), x, torch.bfloat16)
    assert torch.isfinite(y).all() and torch.equal(y, 2 * x)
    assert torch.equal(forward(_NaNUnderAutocast(), x, None), 2 * x)
