"""DDP through torchrun with 2 gloo processes keeps the replicas identical."""
import json
import os
import subprocess
import sys
from pathlib import Path


def test_two_process_ddp_keeps_replicas_identical(tmp_path, idx_data):
    out = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
           str(Path(__file__).with_name("ddp_worker.py")), str(idx_data), str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads((out / "ddp_result.json").read_text())
    assert result == {"world": 2, "identical": True, "moved": True, "steps": 4, "checkpoint": True}
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics] == [1, 2, 3, 4], "only rank 0 writes metrics"
