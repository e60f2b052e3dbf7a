"""Clothes from a prompt: prompt matching, class-conditional DCGAN nets, training and generate --prompt."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from ganapps.cli import app
from ganapps.nets.dcgan import (
    ConditionalBatchNorm2d,
    DCGANDiscriminator,
    DCGANDiscriminatorConfig,
    DCGANGenerator,
    DCGANGeneratorConfig,
)
from ganapps.pipelines.generate import GeneratePipeline
from ganapps.prompts import FASHION_WORDS, UnknownPrompt, match_prompt

runner = CliRunner()
NAMES = list(FASHION_WORDS)


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize(
    "prompt, name",
    [("trousers", "Trouser"), ("JEANS", "Trouser"), ("a white tee", "T-shirt/top"), ("t-shirt", "T-shirt/top"),
     ("Shirt", "Shirt"), ("dress shirt", "Shirt"), ("dress", "Dress"), ("sneaker", "Sneaker"), ("trainers", "Sneaker"),
     ("handbag", "Bag"), ("bag", "Bag"), ("Ankle Boot", "Ankle boot"), ("boots", "Ankle boot"), ("hoodie", "Pullover")],
)
def test_prompts_match_class_names_and_their_synonyms_in_any_case(prompt: str, name: str) -> None:
    assert NAMES[match_prompt(prompt, NAMES)] == name


def test_unknown_or_ambiguous_prompts_are_refused_with_what_is_understood() -> None:
    with pytest.raises(UnknownPrompt, match="no class in 'unicorn'; understood: T-shirt/top: .*trainers"):
        match_prompt("unicorn", NAMES)
    with pytest.raises(UnknownPrompt, match="several classes"):
        match_prompt("a shoe and a bag", NAMES)
    with pytest.raises(UnknownPrompt):
        match_prompt("stop", NAMES)  # "top" only as a whole word


def test_conditional_generator_uses_its_label_and_needs_one() -> None:
    torch.manual_seed(0)
    g = DCGANGenerator(DCGANGeneratorConfig(nz=8, ngf=4, num_classes=10)).eval()
    z = torch.randn(2, 8)
    a, b = g(z, torch.tensor([1, 1])), g(z, torch.tensor([7, 7]))
    assert a.shape == (2, 1, 28, 28) and not torch.allclose(a, b)
    with torch.no_grad():  # every class given class 0's scale and shift: labels make no difference, they are what is used
        for norm in (m for m in g.modules() if isinstance(m, ConditionalBatchNorm2d)):
            norm.scale.weight.copy_(norm.scale.weight[:1].expand_as(norm.scale.weight))
            norm.shift.weight.copy_(norm.shift.weight[:1].expand_as(norm.shift.weight))
    assert torch.equal(g(z, torch.tensor([1, 1])), g(z, torch.tensor([7, 7])))
    with pytest.raises(ValueError, match="one label per sample"):
        g(z)
    with pytest.raises(ValueError, match="unconditional"):
        DCGANGenerator(DCGANGeneratorConfig(nz=8, ngf=4))(z, torch.tensor([1, 1]))


def test_projection_discriminator_scores_depend_on_the_label() -> None:
    torch.manual_seed(0)
    d = DCGANDiscriminator(DCGANDiscriminatorConfig(ndf=4, num_classes=10)).eval()
    x = torch.randn(3, 1, 28, 28)
    assert d(x, torch.tensor([0, 0, 0])).shape == (3,)
    assert not torch.allclose(d(x, torch.tensor([0, 0, 0])), d(x, torch.tensor([5, 5, 5])))
    # spectrally normalised, not batch-normalised: each conv's largest singular value is 1
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in d.modules())
    assert torch.linalg.matrix_norm(d.net[2].weight.detach().flatten(1), ord=2).item() == pytest.approx(1.0, abs=0.05)


def test_train_conditional_dcgan_and_generate_from_a_prompt(tmp_path: Path, idx_data: Path) -> None:
    run = tmp_path / "run"
    r = runner.invoke(app, ["train", "dcgan", "--data", str(idx_data), "--out", str(run), "--conditional", "--iters", "3",
                            "--batch-size", "32", "--device", "cpu", "--precision", "fp32"])
    assert r.exit_code == 0, r.output
    weights = run / "generator.safetensors"
    pipe = GeneratePipeline(weights)
    assert pipe.classes == NAMES and pipe.label("trousers") == 1
    assert pipe(4, seed=0, label=3).shape == (4, 28, 28, 1)
    r = runner.invoke(app, ["generate", "--model", str(weights), "--prompt", "Trousers", "-n", "8", "-o", str(tmp_path / "g.png")])
    assert r.exit_code == 0 and "'Trouser'" in r.output, r.output
    r = runner.invoke(app, ["generate", "--model", str(weights), "--prompt", "unicorn", "-n", "8", "-o", str(tmp_path / "h.png")])
    assert r.exit_code == 2 and "understood" in r.output and not (tmp_path / "h.png").exists()


def test_eval_generate_says_how_often_a_conditional_model_draws_the_asked_class(tmp_path: Path, idx_data: Path) -> None:
    from ganapps.core.checkpoint import save_weights
    from ganapps.eval.classifier import SmallClassifier
    from ganapps.nets import spec_of

    run = tmp_path / "run"
    r = runner.invoke(app, ["train", "dcgan", "--data", str(idx_data), "--out", str(run), "--conditional", "--iters", "2",
                            "--batch-size", "32", "--device", "cpu", "--precision", "fp32"])
    assert r.exit_code == 0, r.output
    clf = SmallClassifier().eval()
    for names, path in ((NAMES, tmp_path / "clf.safetensors"), ([f"c{i}" for i in range(10)], tmp_path / "other.safetensors")):
        save_weights(path, clf, spec_of(clf) | {"task": "classify", "classes": names})
    r = runner.invoke(app, ["eval", "generate", "--model", str(run / "generator.safetensors"), "--data", str(idx_data),
                            "--classifier", str(tmp_path / "clf.safetensors"), "-n", "40"])  # fmt: skip
    assert r.exit_code == 0 and "asked for a class" in r.output and "overall" in r.output and "Ankle boot" in r.output, r.output
    r = runner.invoke(app, ["eval", "generate", "--model", str(run / "generator.safetensors"), "--data", str(idx_data),
                            "--classifier", str(tmp_path / "other.safetensors"), "-n", "40"])  # fmt: skip
    assert r.exit_code == 1 and "are not the classifier's" in r.output and len(r.output.strip().splitlines()) == 1, r.output


def test_prompt_on_an_unconditional_model_is_a_usage_error(tmp_path: Path, dcgan_weights: Path) -> None:
    r = runner.invoke(app, ["generate", "--model", str(dcgan_weights), "--prompt", "bag", "-o", str(tmp_path / "g.png")])
    assert r.exit_code == 2 and "not class-conditional" in r.output


def test_generate_refuses_no_images_and_a_grid_too_large_to_be_one_file(tmp_path: Path, dcgan_weights: Path) -> None:
    r = runner.invoke(app, ["generate", "--model", str(dcgan_weights), "-n", "0", "-o", str(tmp_path / "g.png")])
    assert r.exit_code == 2 and "-n must be at least 1" in r.output
    r = runner.invoke(app, ["generate", "--model", str(dcgan_weights), "-n", "2000000", "-o", str(tmp_path / "g.png")])
    assert r.exit_code == 2 and "--out-dir" in r.output and not (tmp_path / "g.png").exists()


def test_dcgan_holds_out_fashion_images_and_scores_each_epoch_against_them(tmp_path: Path, idx_data: Path) -> None:
    from ganapps.tasks.dcgan import DCGANConfig, DCGANInputs, build

    task, dataset = build(DCGANConfig(nz=8, ngf=4, ndf=4), DCGANInputs(data=idx_data, conditional=True), 0, 32)
    again, _ = build(DCGANConfig(nz=8, ngf=4, ndf=4), DCGANInputs(data=idx_data, conditional=True), 0, 32)
    assert task.val is not None and len(task.val) == 25 and len(dataset) == 256 - 25 and torch.equal(task.val, again.val)
    train = {bytes(dataset.images[i].numpy()) for i in range(len(dataset))}
    assert not any(bytes(((v + 1) * 127.5).round().to(torch.uint8).numpy()) in train for v in task.val)

    class Replay(torch.nn.Module):  # "draws" the held-out images themselves: FID ~0
        def __init__(self) -> None:
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))
            self.i = 0

        def forward(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
            out = task.val[self.i : self.i + len(z)]
            self.i += len(z)
            return out

    figures = task.validate({"G": Replay()})
    assert abs(figures["fid"]) < 1e-3 and 0 <= figures["class_hit_min"] <= figures["class_hit"] <= 1
    noise = task.validate({"G": task.generators["G"].eval()})
    assert noise["fid"] > 1.0
    off, full = build(DCGANConfig(nz=8), DCGANInputs(data=idx_data, val=0), 0, 32)
    assert off.val is None and len(full) == 256

    run = tmp_path / "run"
    r = runner.invoke(app, ["train", "dcgan", "--data", str(idx_data), "--out", str(run), "--conditional", "--epochs", "1",
                            "--batch-size", "64", "--device", "cpu", "--precision", "fp32"])  # fmt: skip
    assert r.exit_code == 0, r.output
    logged = json.loads((run / "val.jsonl").read_text().splitlines()[-1])
    assert {"fid", "class_hit", "class_hit_min"} <= logged.keys() and list((run / "snapshots").iterdir())
