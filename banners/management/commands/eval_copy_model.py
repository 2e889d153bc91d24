"""The copy model with and without its LoRA on the held-out copy records (split=eval)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mlcore.llm import LocalTransformersClient
from mlcore.train_copy import copy_model_evaluate
from mlcore.training import TrainingError, read_records


class Command(BaseCommand):
    help = (
        "Compare the base copy model with its LoRA on held-out records: --base DIR [--lora DIR] --data FILE.jsonl "
        "(fields within limits, facts kept, edit distance to the approved texts)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--base", required=True)
        parser.add_argument("--lora", default="")
        parser.add_argument("--data", required=True)
        parser.add_argument("--split", default="eval", help="which records to use: eval (default), train or all")
        parser.add_argument("--limit", type=int, default=0, help="at most this many records (0: all)")
        parser.add_argument("--json", default="", help="also write the figures to this file")

    def handle(self, *args, base, lora, data, split, limit, **options):
        try:
            records = [r for r in read_records(Path(data)) if split == "all" or r.get("split", "train") == split]
        except TrainingError as error:
            raise CommandError(str(error)) from error
        records = [r for r in records if r.get("kind", "copy") == "copy" and r.get("slots")]
        if limit:
            records = records[:limit]
        if not records:
            raise CommandError(f"{data}: no copy records with split={split}; export with --kind copy")
        if not (Path(base) / "config.json").exists():
            raise CommandError(f"--base {base}: no config.json there; give the folder of a local causal LM")
        if lora and not (Path(lora) / "adapter_config.json").exists():
            raise CommandError(f"--lora {lora}: no adapter_config.json there; give a folder train_copy_lora wrote")
        figures = {"base": copy_model_evaluate(LocalTransformersClient(base), records)}
        if lora:
            figures["lora"] = copy_model_evaluate(LocalTransformersClient(base, lora), records)
        keys = ["records", "fields_written", "within_limits", "facts_kept", "edit_distance", "seconds_per_record"]
        self.stdout.write(f"{'model':8}" + "".join(f"{k:>20}" for k in keys))
        for name, row in figures.items():
            self.stdout.write(f"{name:8}" + "".join(f"{row[k]:>20}" for k in keys))
        if options["json"]:
            Path(options["json"]).write_text(json.dumps(figures, indent=1))
