"""Weights metadata: one dataclass per task, checked on load with one line naming the field."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from safetensors.torch import save_file

from ganapps.core.checkpoint import META_KEY, CheckpointError, read_metadata, save_weights
from ganapps.core.metadata import TranslateMeta, UpscaleMeta, parse_meta
from ganapps.nets import spec_of
from ganapps.nets.srresnet import SRResNet, SRResNetConfig
from ganapps.pipelines.base import load_net

WEIGHTS = Path(__file__).resolve().parents[1] / "weights"


def dataclass_default(meta: object, name: str) -> object:
    return next(f.default for f in dataclasses.fields(meta) if f.name == name)


@pytest.mark.parametrize("path", sorted(WEIGHTS.glob("*.safetensors")), ids=lambda p: p.stem)
def test_every_shipped_file_parses_into_its_tasks_dataclass(path: Path) -> None:
    meta = parse_meta(read_metadata(path), str(path))
    assert meta.task == read_metadata(path)["task"] and meta.arch and meta.config
    stored, again = read_metadata(path), meta.to_dict()
    assert stored.items() <= again.items()  # nothing lost; at most a default made explicit
    assert all(dataclass_default(meta, k) == v for k, v in again.items() if k not in stored)


def test_fields_are_typed_and_unknown_ones_kept() -> None:
    meta = parse_meta({"arch": "srresnet", "config": {}, "task": "upscale", "scale": 4, "from_the_future": 1}, "f")
    assert isinstance(meta, UpscaleMeta) and meta.scale == 4 and meta.degradation == "clean"
    assert meta.extra == {"from_the_future": 1} and meta.to_dict()["from_the_future"] == 1
    t = parse_meta({"arch": "unet_generator", "config": {}, "task": "translate", "model": "pix2pix", "image_size": 128}, "f")
    assert isinstance(t, TranslateMeta) and (t.input, t.direction) == ("photo", "AtoB")


@pytest.mark.parametrize(
    "meta, message",
    [
        ({"task": "upscale"}, "f: its metadata lacks 'scale', which an upscale model needs"),
        ({"task": "upscale", "scale": "4"}, "f: metadata field 'scale' is '4', not a valid int"),
        ({"task": "translate", "model": "unit", "image_size": 64}, "f: metadata model must be one of cyclegan, cut, pix2pix, not 'unit'"),
        ({"task": "paint"}, "f: unknown task 'paint' in its metadata"),
    ],
)
def test_bad_metadata_is_one_line_naming_the_field(meta: dict, message: str) -> None:
    with pytest.raises(CheckpointError) as e:
        parse_meta({"arch": "srresnet", "config": {}} | meta, "f")
    assert str(e.value).startswith(message) and "\n" not in str(e.value)


def test_a_file_with_bad_metadata_is_refused_on_load_and_never_written(tmp_path: Path) -> None:
    net = SRResNet(SRResNetConfig(scale=2, num_feat=8, num_block=1))
    with pytest.raises(CheckpointError, match="lacks 'scale'"):
        save_weights(tmp_path / "w.safetensors", net, spec_of(net) | {"task": "upscale"})
    assert not (tmp_path / "w.safetensors").exists()
    spec = spec_of(net) | {"task": "upscale", "scale": "two"}  # as another tool might write it
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(tmp_path / "bad.safetensors"),
              metadata={META_KEY: json.dumps(spec)})  # fmt: skip
    with pytest.raises(CheckpointError, match="'scale' is 'two', not a valid int"):
        load_net(tmp_path / "bad.safetensors")
