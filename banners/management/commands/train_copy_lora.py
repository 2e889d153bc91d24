"""Train a LoRA for the local copy model on exported copy records (seed 004's configuration)."""

import logging
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mlcore.train_copy import CopyTrainConfig, train_copy_lora
from mlcore.training import TrainingError, read_records


class Command(BaseCommand):
    help = (
        "Train a copy-model LoRA: --base DIR (a local causal LM) --data FILE.jsonl (export_training_data "
        "--kind copy) --out DIR. The adapter then serves through ADGENESIS_LLM_LORA_PATH."
    )

    def add_arguments(self, parser):
        defaults = CopyTrainConfig()
        parser.add_argument("--base", required=True)
        parser.add_argument("--data", required=True)
        parser.add_argument("--out", required=True)
        parser.add_argument("--steps", type=int, default=defaults.steps)
        parser.add_argument("--batch", type=int, default=defaults.batch_size, help="per device")
        parser.add_argument("--grad-accum", type=int, default=defaults.grad_accum)
        parser.add_argument("--lr", type=float, default=defaults.lr)
        parser.add_argument("--rank", type=int, default=defaults.rank)
        parser.add_argument("--alpha", type=int, default=defaults.alpha)
        parser.add_argument("--checkpoint-every", type=int, default=defaults.checkpoint_every)
        parser.add_argument("--seed", type=int, default=defaults.seed)
        parser.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in --out")

    def handle(
        self,
        *args,
        base,
        data,
        out,
        steps,
        batch,
        grad_accum,
        lr,
        rank,
        alpha,
        checkpoint_every,
        seed,
        resume,
        **options,
    ):
        logging.getLogger("mlcore").setLevel(logging.INFO)
        if steps < 1 or batch < 1 or grad_accum < 1 or rank < 1 or checkpoint_every < 1 or lr <= 0:
            raise CommandError(
                "--steps, --batch, --grad-accum, --rank and --checkpoint-every must be at least 1, --lr above 0"
            )
        try:
            records = [r for r in read_records(Path(data)) if r.get("split", "train") == "train"]
            config = CopyTrainConfig(
                steps=steps,
                batch_size=batch,
                grad_accum=grad_accum,
                lr=lr,
                rank=rank,
                alpha=alpha,
                checkpoint_every=checkpoint_every,
                seed=seed,
            )
            self.stdout.write(f"{len(records)} training records from {data} (records marked split=eval are held out)")
            result = train_copy_lora(
                base=base,
                records=records,
                out=out,
                config=config,
                resume=resume,
                progress=lambda p: self.stdout.write(p.line()),
            )
        except TrainingError as error:
            raise CommandError(str(error)) from error
        first, last = (
            result.losses[0] if result.losses else float("nan"),
            result.losses[-1] if result.losses else float("nan"),
        )
        self.stdout.write(
            f"{result.optimizer}; loss {first:.4f} → {last:.4f} over {result.steps} steps"
            + (f" (resumed at step {result.resumed_from})" if result.resumed_from else "")
            + f"; adapter in {result.out}, {result.seconds:.0f} s"
        )
