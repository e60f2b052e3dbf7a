"""Export a generator from a weights file to ONNX (dynamic batch, height, width) or TorchScript.

Every exportable net provides ``example_input()``: a latent batch for synthesis nets, an image for
image-to-image nets. Image dimensions are exported as dynamic, so one ONNX file serves any size
(within the net's stride requirement). The weights file's metadata travels along as JSON (ONNX
``metadata_props["ganapps"]``, TorchScript extra file ``ganapps.json``): whoever runs the export
without ganapps still learns what the model is and the sizes it expects (``image_size``,
``processing_size``, ``scale``).
"""
from __future__ import annotations

import importlib.util
import json
import os
import tempfile
import warnings
from pathlib import Path

import torch

from ganapps.pipelines.base import load_net

FORMATS = ("onnx", "torchscript")


def export_model(weights: str | os.PathLike, fmt: str, output: str | os.PathLike) -> Path:
    """Write ``weights``' network to ``output`` in ``fmt``; atomic (temp file, then rename)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose {' or '.join(FORMATS)}")
    if fmt == "onnx" and importlib.util.find_spec("onnx") is None:
        raise ValueError("ONNX export needs the onnx package, an optional extra: pip install \"ganapps[onnx]\"")
    net, spec = load_net(weights, "cpu")
    meta = json.dumps(spec.to_dict())
    if not hasattr(net, "example_input"):
        raise ValueError(f"{weights}: {type(net).__name__} cannot be exported (not a generator)")
    example = net.example_input()
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
    os.close(fd)
    try:
        with warnings.catch_warnings():
            # Both exporters warn that they are "legacy"; they are the ones that work offline on CPU.
            warnings.simplefilter("ignore", DeprecationWarning)
            if fmt == "onnx":
                dims = {0: "batch"} if example.dim() == 2 else {0: "batch", 2: "height", 3: "width"}
                torch.onnx.export(
                    net, (example,), tmp, dynamo=False, opset_version=17, input_names=["input"],
                    output_names=["output"], dynamic_axes={"input": dims, "output": {0: "batch", 2: "height", 3: "width"}},
                )
                _add_onnx_metadata(tmp, meta)
            else:
                torch.jit.trace(net, example).save(tmp, _extra_files={"ganapps.json": meta})
        os.replace(tmp, output)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return output


def _add_onnx_metadata(path: str, meta: str) -> None:
    import onnx

    model = onnx.load(path)
    onnx.helper.set_model_props(model, {"ganapps": meta})
    onnx.save(model, path)
