"""What the LoRA trainers share: a reproducible sample order, the linear schedule with warm-up, the
optimizer choice, checkpoints that resume with the same losses, and progress reports.

No Django here: a trainer takes records and a config and reports through a callback, so it runs the
same from a management command, an RQ job or a notebook.

Reproducibility: the samples of optimizer step `s` and every random draw inside it (dropout, noise,
timesteps) depend on (seed, s) only, so a run resumed from the checkpoint of step k computes the same
losses from step k on as a run that was never stopped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

log = logging.getLogger(__name__)

CHECKPOINTS = "checkpoints"
STATE_FILE = "state.pt"
LORA_FILE = "lora.safetensors"


@dataclass(frozen=True)
class Progress:
    step: int
    steps: int
    loss: float
    lr: float
    it_per_s: float
    eta_s: float

    def line(self) -> str:
        eta = time.strftime("%H:%M:%S", time.gmtime(self.eta_s)) if math.isfinite(self.eta_s) else "?"
        return f"step {self.step}/{self.steps} loss {self.loss:.4f} lr {self.lr:.2e} {self.it_per_s:.2f} it/s ETA {eta}"


ProgressCallback = Callable[[Progress], None]


class TrainingError(ValueError):
    """A training run cannot start: the message names the input and the fix."""


def records_hash(records: Sequence[dict]) -> str:
    """sha256 of the records as canonical JSON: the same data set, the same hash."""
    digest = hashlib.sha256()
    for record in records:
        digest.update(json.dumps(record, sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()


def sample_indices(n: int, *, seed: int, start: int, count: int) -> list[int]:
    """Samples start … start+count-1 of an endless stream of epochs, each a permutation of range(n)
    drawn from (seed, epoch)."""
    out = []
    for position in range(start, start + count):
        epoch, offset = divmod(position, n)
        out.append(int(np.random.default_rng([seed, epoch]).permutation(n)[offset]))
    return out


def step_seed(seed: int, step: int) -> int:
    return (seed * 1_000_003 + step) % (2**63)


def lr_factor(step: int, *, warmup: int, total: int) -> float:
    """Linear warm-up over `warmup` optimizer steps, then linear decay to zero at `total`."""
    if step < warmup:
        return (step + 1) / warmup
    return max(0.0, (total - step) / max(1, total - warmup))


def scheduler_for(optimizer: torch.optim.Optimizer, *, warmup: int, total: int):
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_factor(step, warmup=warmup, total=total))


def adamw(
    parameters, *, lr: float, weight_decay: float, eight_bit: bool, device: str
) -> tuple[torch.optim.Optimizer, str]:
    """8-bit AdamW (bitsandbytes) on CUDA when asked and installed; plain AdamW otherwise. Returns the
    optimizer and a sentence for the log saying which and why."""
    parameters = [p for p in parameters if p.requires_grad]
    if eight_bit and device == "cuda":
        try:
            import bitsandbytes
        except ImportError:
            reason = "plain AdamW: bitsandbytes is not installed, so 8-bit AdamW is not available"
        else:
            return bitsandbytes.optim.AdamW8bit(
                parameters, lr=lr, weight_decay=weight_decay
            ), "8-bit AdamW (bitsandbytes)"
    elif eight_bit:
        reason = "plain AdamW: 8-bit AdamW needs CUDA, and this run is on the CPU"
    else:
        reason = "plain AdamW"
    return torch.optim.AdamW(parameters, lr=lr, weight_decay=weight_decay), reason


def device_and_dtype(device: str | None = None) -> tuple[str, torch.dtype]:
    """CUDA in bf16 when there is a GPU, the CPU in fp32 otherwise."""
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    return device, (torch.bfloat16 if device == "cuda" else torch.float32)


# -- checkpoints -----------------------------------------------------------------------------------


def checkpoint_save(
    out: Path, *, step: int, lora: dict[str, torch.Tensor], optimizer, scheduler, losses: list[float], keep: int = 2
) -> Path:
    """out/checkpoints/step-000040/{lora.safetensors,state.pt}; older ones beyond `keep` are removed."""
    from safetensors.torch import save_file

    folder = out / CHECKPOINTS / f"step-{step:06d}"
    folder.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().to("cpu").contiguous() for k, v in lora.items()}, folder / LORA_FILE)
    torch.save(
        {"step": step, "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "losses": losses},
        folder / STATE_FILE,
    )
    for old in sorted((out / CHECKPOINTS).glob("step-*"))[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return folder


def checkpoint_latest(out: Path) -> Path | None:
    found = sorted(p for p in (out / CHECKPOINTS).glob("step-*") if (p / STATE_FILE).exists())
    return found[-1] if found else None


def checkpoint_load(folder: Path, *, optimizer, scheduler) -> tuple[int, dict[str, torch.Tensor], list[float]]:
    """(step, LoRA tensors, losses so far); the optimizer and the scheduler get their state back."""
    from safetensors.torch import load_file

    state = torch.load(folder / STATE_FILE, map_location="cpu", weights_only=False)
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    return int(state["step"]), load_file(folder / LORA_FILE), list(state["losses"])


class Meter:
    """Steps per second and the time left, over the steps of this process (a resumed run starts anew)."""

    def __init__(self, start: int, steps: int):
        self.start, self.steps, self.started = start, steps, time.perf_counter()

    def progress(self, step: int, loss: float, lr: float) -> Progress:
        done = step - self.start
        rate = done / max(time.perf_counter() - self.started, 1e-9)
        eta = (self.steps - step) / rate if rate > 0 else float("inf")
        return Progress(step=step, steps=self.steps, loss=loss, lr=lr, it_per_s=rate, eta_s=eta)


def optimizer_apply(model, optimizer, scheduler, max_grad_norm: float) -> float:
    """Clip the trainable weights' gradients, take the optimizer and schedule steps, clear the
    gradients; returns the learning rate the step used."""
    torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], max_grad_norm)
    lr = scheduler.get_last_lr()[0]
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return lr


def step_finish(
    *,
    label: str,
    out: Path,
    step: int,
    steps: int,
    loss: float,
    lr: float,
    losses: list[float],
    meter: Meter,
    progress: ProgressCallback | None,
    checkpoint_every: int,
    lora,
    optimizer,
    scheduler,
) -> None:
    """After optimizer step `step` (1-based): record its loss, log and report progress, and save a
    checkpoint every `checkpoint_every` steps and at the last; `lora()` gives the adapter's tensors."""
    losses.append(loss)
    report = meter.progress(step, loss, lr)
    log.info("%s: %s", label, report.line())
    if progress:
        progress(report)
    if step % checkpoint_every == 0 or step == steps:
        checkpoint_save(out, step=step, lora=lora(), optimizer=optimizer, scheduler=scheduler, losses=losses)


def report_write(out: Path, **report) -> Path:
    """out/training.json: what was trained from what, how, and the loss curve."""
    path = out / "training.json"
    path.write_text(json.dumps(report, indent=1, ensure_ascii=False, default=_plain))
    return path


def _plain(value):
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def read_records(path: Path) -> list[dict]:
    """A JSONL file of records; a line that is not a JSON object is an error naming the line."""
    if not path.exists():
        raise TrainingError(f"{path}: no such file")
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise TrainingError(f"{path}:{number}: not JSON ({error.msg})") from error
        if not isinstance(record, dict):
            raise TrainingError(f"{path}:{number}: each line must be a JSON object")
        records.append(record)
    return records
