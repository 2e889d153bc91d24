"""The copy LoRA trainer with a tiny random Llama built here: the loss falls, the adapter serves
through the local backend and changes its answers, --resume repeats an uninterrupted run's losses,
and the commands train and evaluate from a JSONL file."""

import json

import pytest
import torch
from django.core.management import CommandError, call_command

from mlcore.copy import CopyBrief, copy_messages
from mlcore.layout import TextSlot
from mlcore.llm import LocalTransformersClient
from mlcore.train_copy import CopyTrainConfig, train_copy_lora
from mlcore.training import TrainingError, lr_factor, sample_indices
from tests.mlcore.tiny_lm import tiny_lm_build

pytestmark = pytest.mark.slow

OFFERS = [
    ("Taxi", "20% off your first ride", {"headline": "Your first ride, 20% off", "cta": "Book a ride"}),
    ("Pizza", "Second pizza free on Tuesdays", {"headline": "Tuesday: pizza for two", "cta": "Order now"}),
    ("Кофейня", "Второй капучино в подарок", {"headline": "Второй капучино — в подарок", "cta": "Зайти"}),
    ("Gym", "First month free", {"headline": "Your first month is on us", "cta": "Join"}),
    ("Книги", "Скидка 15% на детские книги", {"headline": "Детские книги −15%", "cta": "Выбрать"}),
    ("Hosting", "Servers from $5 a month", {"headline": "Servers from $5", "cta": "Launch"}),
]
SLOTS = [
    TextSlot(key="headline", purpose="headline", max_chars=32, box=(0, 0, 1, 1), size=10, min_size=10),
    TextSlot(key="cta", purpose="call to action", max_chars=18, box=(0, 0, 1, 1), size=10, min_size=10),
]


def _records() -> list[dict]:
    records = []
    for index, (product, offer, texts) in enumerate(OFFERS):
        brief = CopyBrief(product=product, description=f"{product}.", offer=offer, tone="casual", platform="display")
        records.append(
            {
                "kind": "copy",
                "id": f"banner-{index}",
                "split": "eval" if index >= 4 else "train",
                "input": {"product": product, "offer": offer, "format": "display-300x250"},
                "slots": [{"key": s.key, "purpose": s.purpose, "max_chars": s.max_chars} for s in SLOTS],
                "output": texts,
                "messages": copy_messages(brief, SLOTS),
                "response": json.dumps(texts, ensure_ascii=False),
            }
        )
    return records


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory):
    records = _records()
    texts = [m["content"] for r in records for m in r["messages"]] + [r["response"] for r in records]
    return tiny_lm_build(tmp_path_factory.mktemp("tiny-copy-lm"), [*texts, "SYSTEM: USER: ASSISTANT:"])


CONFIG = CopyTrainConfig(steps=24, batch_size=2, grad_accum=2, lr=3e-2, rank=8, alpha=16, checkpoint_every=8)


def test_loss_falls_and_the_adapter_changes_what_the_local_backend_answers(tiny_base, tmp_path):
    records = _records()[:4]
    result = train_copy_lora(base=tiny_base, records=records, out=tmp_path / "lora", config=CONFIG)
    first, last = sum(result.losses[:4]) / 4, sum(result.losses[-4:]) / 4
    assert last < first - 0.3, result.losses
    assert result.optimizer.startswith("plain AdamW: 8-bit AdamW needs CUDA")
    report = json.loads((tmp_path / "lora" / "training.json").read_text())
    assert report["losses"] == result.losses and report["records"] == 4 and len(report["data_sha256"]) == 64
    messages = records[0]["messages"]
    base = LocalTransformersClient(str(tiny_base)).chat(messages, max_tokens=16, temperature=0)
    tuned_client = LocalTransformersClient(str(tiny_base), str(tmp_path / "lora"))
    tuned = tuned_client.chat(messages, max_tokens=16, temperature=0)
    assert type(tuned_client.model).__name__.startswith("PeftModel")
    assert tuned.text != base.text


def test_resume_continues_with_the_losses_of_an_uninterrupted_run(tiny_base, tmp_path):
    records = _records()[:4]
    whole = train_copy_lora(base=tiny_base, records=records, out=tmp_path / "whole", config=CONFIG).losses

    class Killed(Exception):
        pass

    def kill_at_step_13(progress):
        if progress.step == 13:
            raise Killed

    with pytest.raises(Killed):
        train_copy_lora(base=tiny_base, records=records, out=tmp_path / "part", config=CONFIG, progress=kill_at_step_13)
    resumed = train_copy_lora(base=tiny_base, records=records, out=tmp_path / "part", config=CONFIG, resume=True)
    assert resumed.resumed_from == 8  # the last checkpoint before the kill
    assert resumed.losses == pytest.approx(whole, rel=1e-5, abs=1e-6)
    saved = json.loads((tmp_path / "part" / "adapter_config.json").read_text())
    assert saved["r"] == CONFIG.rank


def test_commands_train_on_the_train_split_and_compare_base_and_adapter(tiny_base, tmp_path, capsys):
    data = tmp_path / "copy.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _records()), encoding="utf-8")
    out = tmp_path / "adapter"
    call_command("train_copy_lora", base=str(tiny_base), data=str(data), out=str(out), steps=6, batch=2, grad_accum=1)
    printed = capsys.readouterr().out
    assert "4 training records" in printed and "step 6/6 loss" in printed and "plain AdamW" in printed
    figures = tmp_path / "eval.json"
    call_command("eval_copy_model", base=str(tiny_base), lora=str(out), data=str(data), json=str(figures))
    result = json.loads(figures.read_text())
    assert set(result) == {"base", "lora"} and result["base"]["records"] == result["lora"]["records"] == 2
    for row in result.values():
        assert 0 <= row["within_limits"] <= row["fields_written"] <= 1 and 0 <= row["edit_distance"] <= 1
    with pytest.raises(CommandError, match=r"no config\.json"):
        call_command("train_copy_lora", base=str(tmp_path), data=str(data), out=str(out))
    data.write_text("{not json\n")
    with pytest.raises(CommandError, match=r"copy.jsonl:1: not JSON"):
        call_command("train_copy_lora", base=str(tiny_base), data=str(data), out=str(out))


def test_schedule_and_sample_order_are_reproducible(tiny_base):
    assert [lr_factor(s, warmup=1, total=5) for s in range(5)] == [1.0, 1.0, 0.75, 0.5, 0.25]
    order = sample_indices(4, seed=3, start=0, count=12)
    assert sorted(order[:4]) == sorted(order[4:8]) == [0, 1, 2, 3]  # each epoch a permutation
    assert sample_indices(4, seed=3, start=6, count=6) == order[6:]
    with pytest.raises(TrainingError, match="no training records"):
        train_copy_lora(base=tiny_base, records=[], out="/tmp/unused", config=CONFIG)
    assert torch.get_default_dtype() == torch.float32
