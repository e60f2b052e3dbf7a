"""Run under torchrun by test_ddp.py: train a tiny DCGAN on 2 gloo processes, then check that every
rank ends with bit-identical parameters and write rank 0's view to ``<out>/ddp_result.json``."""
import json
import sys
from pathlib import Path

import torch
import torch.distributed as dist

from ganapps.core import distributed as ddp
from ganapps.core.trainer import TrainConfig, Trainer
from ganapps.data.idx import IDXImages
from ganapps.tasks.dcgan import DCGANConfig, DCGANTask


def main(data: str, out: str) -> None:
    torch.manual_seed(0)  # same initial weights on every rank (DDP also broadcasts rank 0's)
    task = DCGANTask(DCGANConfig(nz=16, ngf=8, ndf=8, samples=4))
    cfg = TrainConfig(out=Path(out), iters=4, batch_size=32, progress=False, precision="fp32", log_every=1)
    trainer = Trainer(task, IDXImages(data), cfg)
    nets = {**task.generators, **task.discriminators}

    def flat() -> torch.Tensor:
        return torch.cat([p.detach().flatten().clone() for n in sorted(nets) for p in ddp.unwrap(nets[n]).parameters()])

    before = flat()
    trainer.fit()
    after = flat()
    copies = ddp.all_gather_tensor(after, trainer.dist)
    if trainer.dist.is_main:
        result = {
            "world": trainer.dist.world,
            "identical": all(torch.equal(copies[0], c) for c in copies[1:]),
            "moved": not torch.equal(before, after),
            "steps": trainer.step,
            "checkpoint": (Path(out) / "checkpoint.safetensors").exists(),
        }
        (Path(out) / "ddp_result.json").write_text(json.dumps(result))
    dist.barrier()
    ddp.shutdown(trainer.dist)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
