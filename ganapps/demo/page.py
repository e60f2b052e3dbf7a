"""The demo page: Gradio components wired to :mod:`ganapps.demo.handlers`, one tab per task.

Each tab's button is also a named API endpoint (``/translate``, ``/sketch``, ``/inpaint``,
``/upscale``, ``/generate``) that ``gradio_client`` can call. Nothing reaches the network unless
``share`` is asked for: analytics are off (set before Gradio is imported, which reads it then) and
the theme uses the system's fonts instead of Google Fonts. Every model call shares one queue slot
(``concurrency_id``), so several tabs or clients at once wait their turn instead of each holding a
model's working memory; a full queue turns requests away rather than piling them up.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

import gradio as gr  # noqa: E402 - after the environment it reads at import

from ganapps.demo import handlers as h  # noqa: E402
from ganapps.pipelines.translate import TASKS  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "demo"  # in a source checkout
QUEUE_SIZE = 64  # requests waiting at most; more are refused with a "queue full" message
MODEL_SLOT = dict(concurrency_id="models", concurrency_limit=1)
THEME = gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])


def _path(payload: Optional[dict]) -> Optional[str]:
    """The uploaded file of an image input whose event skips Gradio's preprocessing: the file is
    decoded by ganapps' own reader (pixel limit, formats), and a non-image upload reaches the
    handler as a message instead of failing inside Gradio."""
    return payload.get("path") if isinstance(payload, dict) else None


def _ex(name: str) -> str:
    return str(EXAMPLES / name)


def _examples(rows: list[list[Any]], inputs: list[gr.components.Component]) -> None:
    """Example inputs under a tab, where the example files are (a source checkout)."""
    if EXAMPLES.is_dir():
        gr.Examples(rows, inputs=inputs)


def _status() -> gr.Textbox:
    return gr.Textbox(label="status", interactive=False, max_lines=1)


def _translate_tab(models: h.Models) -> None:
    with gr.Row():
        photo = gr.Image(type="filepath", image_mode=None, label="photo (or facade label map)", sources=["upload", "clipboard"])
        result = gr.Image(label="result", format="png", interactive=False)
    task = gr.Radio([(TASKS[t].what, t) for t in h.PHOTO_TASKS], value=h.PHOTO_TASKS[0], label="model")
    button, status = gr.Button("Translate", variant="primary"), _status()
    _examples([[_ex("zebra.png"), "zebra2horse"], [_ex("horse.png"), "horse2zebra"], [_ex("facade-labels.png"), "facades"]], [photo, task])
    run = h.guarded(lambda payload, t: h.translate(models, _path(payload), t), 1)
    button.click(run, [photo, task], [result, status], api_name="translate", preprocess=False, **MODEL_SLOT)


def _sketch_tab(models: h.Models) -> None:
    with gr.Row():
        pad = gr.Sketchpad(
            type="numpy", image_mode="RGB", label="draw a face (or upload a drawing)", sources=["upload"],
            canvas_size=(512, 512), brush=gr.Brush(default_size=3, colors=["#000000"], color_mode="fixed"),
        )
        face = gr.Image(label="face", format="png", interactive=False)
    button, status = gr.Button("Draw the face", variant="primary"), _status()
    _examples([[_ex("drawing.png")]], [pad])
    run = h.guarded(lambda canvas: h.sketch(models, canvas), 1)
    button.click(run, [pad], [face, status], api_name="sketch", **MODEL_SLOT)
    pad.input(run, [pad], [face, status], api_visibility="private", trigger_mode="always_last", show_progress="minimal", **MODEL_SLOT)


def _inpaint_tab(models: h.Models) -> None:
    with gr.Row():
        editor = gr.ImageMask(
            type="numpy", image_mode="RGBA", label="photo: paint the hole on it", sources=["upload", "clipboard"],
            brush=gr.Brush(colors=["#ff00ff"], color_mode="fixed"),
        )
        with gr.Column():
            filled = gr.Image(label="filled", format="png", interactive=False)
            mask = gr.Image(label="mask used (white = filled)", format="png", interactive=False)
    button, status = gr.Button("Fill the hole", variant="primary"), _status()
    _examples([[{"background": _ex("face.png"), "layers": [_ex("face-hole.png")], "composite": _ex("face.png")}]], [editor])
    run = h.guarded(lambda value: h.inpaint(models, value), 2)
    button.click(run, [editor], [filled, mask, status], api_name="inpaint", **MODEL_SLOT)


def _upscale_tab(models: h.Models) -> None:
    choices = h.upscale_choices()
    with gr.Row():
        photo = gr.Image(type="filepath", image_mode=None, label=f"photo (up to {h.UPSCALE_MAX_PIXELS / 1e6:.0f} MP)",
                         sources=["upload", "clipboard"])  # fmt: skip
        result = gr.Image(label="upscaled", format="png", interactive=False)
    with gr.Row():
        factor = gr.Radio([f"x{s}" for s in choices], value=f"x{max(choices)}", label="factor")
        model = gr.Radio(list(h.SR_MODELS), value=h.SR_MODELS[0], label="model (srgan: sharper; srresnet: higher PSNR)")
    button, status = gr.Button("Upscale", variant="primary"), _status()
    _examples([[_ex("face.png"), f"x{max(choices)}", "srgan"]], [photo, factor, model])

    def run(payload: Optional[dict], f: str, m: str, progress: gr.Progress = gr.Progress()) -> tuple:
        scale = int(f[1:]) if isinstance(f, str) and f[1:].isdigit() else 0
        return h.upscale(models, _path(payload), scale, m, lambda done, desc: progress(done, desc=desc))

    button.click(h.guarded(run, 1), [photo, factor, model], [result, status], api_name="upscale", preprocess=False, **MODEL_SLOT)


def _generate_tab(models: h.Models) -> None:
    names = h.generate_models()
    with gr.Row():
        with gr.Column():
            model = gr.Dropdown(names, value=names[0], label="model")
            seed = gr.Number(0, precision=0, minimum=0, label="seed (the same seed, the same images)")
            count = gr.Slider(1, h.MAX_COUNT, value=64, step=1, label="count")
            button = gr.Button("Generate", variant="primary")
        grid = gr.Image(label="samples", format="png", interactive=False)
    status = _status()
    run = h.guarded(lambda m, s, n: h.generate(models, m, s, n), 1)
    button.click(run, [model, seed, count], [grid, status], api_name="generate", **MODEL_SLOT)


def _lesson_tab() -> None:
    """The lecture's toy GAN (``ganapps lesson``) trained live: the curve redrawn as D's accuracy
    falls towards 50%, and G's 2×2 faces next to real ones and noise. Pure numpy, a few seconds."""
    with gr.Row():
        with gr.Column():
            epochs = gr.Slider(10, 300, value=100, step=10, label="epochs (100 steps each)")
            seed = gr.Number(0, precision=0, minimum=0, label="seed")
            button = gr.Button("Train", variant="primary")
            faces = gr.Image(label="real faces (top), G's faces (middle), noise (bottom)", format="png", interactive=False)
        curve = gr.Image(label="discriminator accuracy", format="png", interactive=False)
    status = _status()
    button.click(h.lesson, [epochs, seed], [curve, faces, status], api_name="lesson", concurrency_id="lesson", concurrency_limit=2)


def build(models: h.Models) -> gr.Blocks:
    """The whole page, queued (see the module docstring); ``launch`` it to serve."""
    with gr.Blocks(title="ganapps demo", analytics_enabled=False) as page:
        gr.Markdown(f"# ganapps: GANs on your images\nRunning on **{models.runtime()}**. Models load on first use.")
        with gr.Tab("Translate"):
            _translate_tab(models)
        with gr.Tab("Drawing → face"):
            _sketch_tab(models)
        with gr.Tab("Inpaint"):
            _inpaint_tab(models)
        with gr.Tab("Upscale"):
            _upscale_tab(models)
        with gr.Tab("Generate"):
            _generate_tab(models)
        with gr.Tab("Lesson"):
            _lesson_tab()
    return page.queue(max_size=QUEUE_SIZE, default_concurrency_limit=1)


def serve(device: str = "auto", host: str = "127.0.0.1", port: int = 7860, share: bool = False, block: bool = True) -> gr.Blocks:
    """Build and launch the page; ``block=False`` returns at once with the server running (tests)."""
    page = build(h.Models(device))
    page.launch(
        server_name=host, server_port=port, share=share, prevent_thread_lock=not block, theme=THEME, ssr_mode=False,
        show_error=False, quiet=not block,
    )
    return page
