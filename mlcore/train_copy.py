"""A LoRA for the copy model (seeds 000 and 004), trained on approved banners' final texts.

Records are what `export_training_data --kind copy` writes: the `messages` the app sends the LLM and
the `response` it should have answered (the designer-approved texts as JSON). The prompt is built with
the same `chat_prompt` the local backend serves with, and the loss counts the response tokens only.

Seed 004's configuration is the default: batch 4 per device, gradient accumulation 4, LR 2e-4, one
warm-up step then linear decay, weight decay 0.01, 8-bit AdamW when bitsandbytes and CUDA are there,
bf16 on GPU, a log line every step.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from mlcore import training
from mlcore.copy import parse_fields
from mlcore.facts import key_facts, lost_facts
from mlcore.layout import TextSlot
from mlcore.llm import chat_prompt

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CopyTrainConfig:
    steps: int = 60
    batch_size: int = 4
    grad_accum: int = 4
    lr: float = 2e-4
    warmup_steps: int = 1
    weight_decay: float = 0.01
    rank: int = 16
    alpha: int = 16
    dropout: float = 0.05
    target_modules: str | tuple[str, ...] = "all-linear"
    max_length: int = 1024
    max_grad_norm: float = 1.0
    eight_bit: bool = True
    checkpoint_every: int = 20
    seed: int = 0


@dataclass(frozen=True)
class CopyTrainResult:
    out: Path
    steps: int
    losses: list[float]
    optimizer: str
    resumed_from: int
    seconds: float


def examples_encode(tokenizer, records: Sequence[dict], max_length: int) -> list[tuple[list[int], list[int]]]:
    """(input ids, labels) per record: the prompt masked out (-100), the response and EOS learnt. A
    prompt too long for max_length loses its beginning, never the response."""
    examples = []
    for index, record in enumerate(records):
        if not record.get("messages") or not isinstance(record.get("response"), str):
            raise training.TrainingError(
                f"record {index}: needs 'messages' and 'response' (export_training_data writes them)"
            )
        prompt = tokenizer(chat_prompt(tokenizer, record["messages"]))["input_ids"]
        answer = tokenizer(record["response"], add_special_tokens=False)["input_ids"]
        if tokenizer.eos_token_id is not None:
            answer = [*answer, tokenizer.eos_token_id]
        answer = answer[:max_length]
        prompt = prompt[-(max_length - len(answer)) :] if max_length > len(answer) else []
        examples.append((prompt + answer, [-100] * len(prompt) + answer))
    return examples


def _batch(examples, indices, pad_id: int, device: str) -> dict[str, torch.Tensor]:
    longest = max(len(examples[i][0]) for i in indices)
    ids, labels, mask = [], [], []
    for i in indices:
        tokens, targets = examples[i]
        pad = longest - len(tokens)
        ids.append(tokens + [pad_id] * pad)
        labels.append(targets + [-100] * pad)
        mask.append([1] * len(tokens) + [0] * pad)
    as_tensor = lambda rows: torch.tensor(rows, dtype=torch.long, device=device)  # noqa: E731
    return {"input_ids": as_tensor(ids), "labels": as_tensor(labels), "attention_mask": as_tensor(mask)}


def train_copy_lora(
    *,
    base: str | Path,
    records: Sequence[dict],
    out: str | Path,
    config: CopyTrainConfig = CopyTrainConfig(),
    resume: bool = False,
    progress: training.ProgressCallback | None = None,
    device: str | None = None,
) -> CopyTrainResult:
    """Train a LoRA on `records` over the causal LM in `base`; the adapter (PEFT layout, loadable by
    the local backend) and training.json go to `out`, checkpoints to out/checkpoints."""
    from peft import LoraConfig, get_peft_model, get_peft_model_state_dict, set_peft_model_state_dict
    from transformers import AutoModelForCausalLM, AutoTokenizer

    # 1. Check inputs
    base, out = Path(base), Path(out)
    if not (base / "config.json").exists():
        raise training.TrainingError(f"--base {base}: no config.json there; give the folder of a local causal LM")
    if not records:
        raise training.TrainingError("no training records: approve some banners, then export_training_data --kind copy")
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    device, dtype = training.device_and_dtype(device)

    # 2. Model, tokenizer, adapter
    tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(base, local_files_only=True, dtype=dtype)
    targets = config.target_modules if isinstance(config.target_modules, str) else list(config.target_modules)
    lora = LoraConfig(
        r=config.rank,
        lora_alpha=config.alpha,
        lora_dropout=config.dropout,
        target_modules=targets,
        task_type="CAUSAL_LM",
    )
    torch.manual_seed(config.seed)
    model = get_peft_model(model, lora).to(device)
    if device == "cuda":
        model.gradient_checkpointing_enable()
        model.enable_input_require_grads()
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else (tokenizer.eos_token_id or 0)
    examples = examples_encode(tokenizer, records, config.max_length)

    # 3. Optimizer, schedule, and the checkpoint to resume from
    optimizer, optimizer_note = training.adamw(
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay, eight_bit=config.eight_bit, device=device
    )
    log.info("copy LoRA: %s", optimizer_note)
    scheduler = training.scheduler_for(optimizer, warmup=config.warmup_steps, total=config.steps)
    start, losses = 0, []
    checkpoint = training.checkpoint_latest(out) if resume else None
    if checkpoint:
        start, state, losses = training.checkpoint_load(checkpoint, optimizer=optimizer, scheduler=scheduler)
        set_peft_model_state_dict(model, state)
        log.info("copy LoRA: resumed from %s (step %d)", checkpoint, start)
    elif resume:
        log.info("copy LoRA: no checkpoint in %s, starting from step 0", out)

    # 4. Training loop: one optimizer step = grad_accum micro-batches of batch_size records
    meter = training.Meter(start, config.steps)
    per_step = config.batch_size * config.grad_accum
    model.train()
    for step in range(start, config.steps):
        torch.manual_seed(training.step_seed(config.seed, step))
        indices = training.sample_indices(len(examples), seed=config.seed, start=step * per_step, count=per_step)
        step_loss = 0.0
        for k in range(config.grad_accum):
            batch = _batch(examples, indices[k * config.batch_size : (k + 1) * config.batch_size], pad_id, device)
            with torch.autocast(device_type="cuda", dtype=dtype, enabled=device == "cuda"):
                loss = model(**batch).loss / config.grad_accum
            loss.backward()
            step_loss += float(loss.detach())
        lr = training.optimizer_apply(model, optimizer, scheduler, config.max_grad_norm)
        training.step_finish(
            label="copy LoRA",
            out=out,
            step=step + 1,
            steps=config.steps,
            loss=step_loss,
            lr=lr,
            losses=losses,
            meter=meter,
            progress=progress,
            checkpoint_every=config.checkpoint_every,
            lora=lambda: get_peft_model_state_dict(model),
            optimizer=optimizer,
            scheduler=scheduler,
        )

    # 5. The adapter and its report
    model.save_pretrained(out)
    seconds = time.perf_counter() - started
    training.report_write(
        out,
        kind="copy",
        base=str(base),
        config=asdict(config),
        records=len(records),
        data_sha256=training.records_hash(records),
        optimizer=optimizer_note,
        device=device,
        resumed_from=start,
        losses=losses,
        seconds=round(seconds, 2),
    )
    return CopyTrainResult(
        out=out, steps=config.steps, losses=losses, optimizer=optimizer_note, resumed_from=start, seconds=seconds
    )


# -- evaluation ------------------------------------------------------------------------------------


def slots_of(record: dict) -> list[TextSlot]:
    """The record's text fields as slots (key, purpose, limit); their boxes do not matter here."""
    return [
        TextSlot(
            key=s["key"],
            purpose=s.get("purpose", s["key"]),
            max_chars=int(s["max_chars"]),
            box=(0, 0, 1, 1),
            size=10,
            min_size=10,
        )
        for s in record["slots"]
    ]


def copy_model_evaluate(client, records: Sequence[dict], *, temperature: float = 0.0) -> dict:
    """One model's answers to held-out copy records against the designer-approved texts: the share of
    fields written and within their limit, of records that kept every fact of the offer, and the mean
    normalized edit distance (0 = the approved text, 1 = nothing in common) per field."""
    from rapidfuzz.distance import Levenshtein

    fields = written = within = facts_kept = 0
    distances, started = [], time.perf_counter()
    for record in records:
        slots = slots_of(record)
        reply = client.chat(
            record["messages"], temperature=temperature, max_tokens=64 + sum(s.max_chars for s in slots) * 2
        )
        texts = parse_fields(reply.text, slots)
        for slot in slots:
            fields += 1
            text = texts.get(slot.key, "")
            written += bool(text)
            within += 0 < len(text) <= slot.max_chars
            distances.append(Levenshtein.normalized_distance(text, record["output"].get(slot.key, "")))
        facts_kept += not lost_facts(key_facts(record["input"]["offer"]), texts)
    n = max(len(records), 1)
    return {
        "records": len(records),
        "fields_written": round(written / max(fields, 1), 4),
        "within_limits": round(within / max(fields, 1), 4),
        "facts_kept": round(facts_kept / n, 4),
        "edit_distance": round(sum(distances) / max(len(distances), 1), 4),
        "seconds_per_record": round((time.perf_counter() - started) / n, 3),
    }
