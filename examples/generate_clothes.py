"""Draw Fashion-MNIST clothes with the shipped DCGAN, from Python.

    python examples/generate_clothes.py            # writes clothes.png and clothes/*.png
"""
from pathlib import Path

import ganapps
from ganapps.core.logging import write_png

pipe = ganapps.load("dcgan-fashion")  # a shipped model name, or a path to any exported .safetensors
write_png("clothes.png", pipe.grid(n=32, seed=7))  # the same seed always gives the same clothes
for i, image in enumerate(pipe(n=4, seed=7)):  # or the images themselves: 28×28×1 uint8 arrays
    write_png(Path("clothes") / f"{i}.png", image)
print("wrote clothes.png and clothes/0..3.png")
