"""The local transformers backend with a tiny random causal LM and a PEFT LoRA, built here."""

import pytest
import torch

from mlcore.copy import CopyBrief, write_copy
from mlcore.layout import parse_layout
from mlcore.llm import LocalTransformersClient
from tests.factories import preset

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory):
    """A 2-layer Llama with a word-level tokenizer, saved like a real local model folder."""
    from peft import LoraConfig, get_peft_model
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-lm")
    words = [
        "<unk>",
        "<pad>",
        "<s>",
        "</s>",
        "{",
        "}",
        '"',
        ":",
        ",",
        "headline",
        "cta",
        "rides",
        "off",
        "20%",
        "book",
        "now",
        "SYSTEM",
        "USER",
        "ASSISTANT",
        "taxi",
        "weekend",
    ]
    vocab = {word: index for index, word in enumerate(words)}
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, unk_token="<unk>", pad_token="<pad>", bos_token="<s>", eos_token="</s>"
    )
    tokenizer.save_pretrained(folder / "model")
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(words),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        pad_token_id=1,
        bos_token_id=2,
        eos_token_id=3,
    )
    model = LlamaForCausalLM(config)
    model.save_pretrained(folder / "model")
    lora = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]))
    with torch.no_grad():
        for name, parameter in lora.named_parameters():
            if "lora_B" in name:
                parameter.normal_(0, 1.0)  # a trained adapter: B is not zero
    lora.save_pretrained(folder / "lora")
    return folder


def test_local_model_answers_and_limits_hold(tiny_lm):
    client = LocalTransformersClient(str(tiny_lm / "model"))
    slots = parse_layout(preset("display-300x250")).text_slots
    brief = CopyBrief(product="Taxi", description="A taxi.", offer="Rides 20% off", tone="casual", platform="display")
    result = write_copy(client, brief=brief, slots=slots, max_retries=1)
    assert result.stats["calls"] == 2 and result.stats["tokens"] > 0
    for slot in slots:
        assert 0 < len(result.texts[slot.key]) <= slot.max_chars
    # A random tiny model writes noise: each field it spoilt comes from the deterministic writer, with why.
    writers = result.stats["field_writers"]
    assert set(writers) == {s.key for s in slots}
    assert all(key in result.stats["field_notes"] for key, writer in writers.items() if writer == "template")
    assert result.writer == ("local-transformers" if "llm" in writers.values() else "template")


def test_lora_adapter_is_loaded_and_changes_the_output(tiny_lm):
    messages = [{"role": "user", "content": "rides off taxi weekend"}]
    base = LocalTransformersClient(str(tiny_lm / "model")).chat(messages, max_tokens=12, temperature=0)
    tuned_client = LocalTransformersClient(str(tiny_lm / "model"), str(tiny_lm / "lora"))
    tuned = tuned_client.chat(messages, max_tokens=12, temperature=0)
    assert type(tuned_client.model).__name__.startswith("PeftModel")
    assert tuned.text != base.text
