"""The learned half of the safety gate, trained on public labelled sources (mlcore/data/safety/corpus,
SOURCES.md): a logistic regression over a multilingual sentence embedding and hashed character n-grams,
averaged with a small MLP over the embedding alone, and that average with a nearest-neighbour vote (is
the text nearer to the training attacks or to the training ordinary texts?).

- Features: the Universal Sentence Encoder multilingual v3 of the search issue (512-d, the first
  `EMBED_CHARS` characters: a jailbreak shows itself early, and the encoder's cost grows with length)
  and character 2–5-grams of the normalized text, hashed into 2^18 buckets (the whole text).
  multilingual-e5-small scored the same held out (0.840 against 0.838, linear model) at 5-10 times the
  time per text, so the gate uses USE.
- The neighbour vote: the mean cosine to the `KNN_K` nearest training attacks less that to the
  `KNN_K` nearest ordinary texts, squashed by a sigmoid of gain `KNN_GAIN`. The training texts are kept
  as their embedding projected on its first `KNN_DIMS` principal components (float16: about 1.6 MB).
  Leave-one-source-out (EN/RU twins held out together), it is what carries to unseen sources: in the
  experiment that chose it (3 % of validation benign refused), the mean held-out blocked rate went
  0.885 → 0.919 and held-out ad copy refused 5.8 % → 2.7 %. (Tried on the same folds before the vote,
  and not kept: e5 beside USE, a mean of three MLPs, other weights between the parts. Each moved along
  the same curve: more blocked only with more ad copy refused.)
- Training weighs every source alike (a source's rows share one unit of weight per class side), so
  18 000 Russian swear words do not drown 15 hand-written injections.
- The model is fitted on 80 % of the training rows; the thresholds come from the other 20 % (a
  validation split of every source), never from the rows evaluated:
  `threshold` refuses with at most `TARGET_FALSE_POSITIVES` of the validation's benign rows refused;
  between `low` and `high` a score is uncertain, and an LLM, when configured, gives a second opinion.
- The model is one .npz (weights, the projected training embeddings, metadata; about 2.6 MB), loaded
  once per process.

No Django here: `manage.py train_safety` and `eval_safety` call these functions.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
DATA_DIR = Path(__file__).parent / "data" / "safety"
CORPUS_DIR = DATA_DIR / "corpus"
LEXICON_DIR = DATA_DIR / "lexicons"
MODEL_PATH = DATA_DIR / "model.npz"
EMBEDDER = "use-multilingual-v3"
EMBED_CHARS = 400
NGRAM_FEATURES = 2**18
NGRAM_RANGE = (2, 5)
EMBED_SCALE = 2.0  # the embedding block's weight against the n-grams (it carries meaning across languages)
LEXICON_SAMPLE = 300  # words of each word list that become training / test rows
TARGET_FALSE_POSITIVES = 0.03
LOW_FALSE_POSITIVES = 0.10  # below this score nothing is asked of the LLM
HIGH_FALSE_POSITIVES = 0.005  # above it the LLM is not asked either
VALIDATION_SHARE = 0.2
C = 4.0  # inverse regularization strength of the logistic regression
MLP_HIDDEN = 256
MLP_ALPHA = 1e-3
SEED = 7
KNN_DIMS = 128
KNN_K = 5
KNN_GAIN = 20.0


@dataclass(frozen=True)
class Row:
    text: str
    label: int  # 1 = must refuse
    source: str
    lang: str = "en"
    kind: str = ""


def load_corpus(
    corpus_dir: Path = CORPUS_DIR, lexicon_dir: Path = LEXICON_DIR, seed: int = SEED
) -> dict[str, list[Row]]:
    """Source name → rows: the corpus files, plus a sample of each word list as one-word rows."""
    sources: dict[str, list[Row]] = {}
    for path in sorted(corpus_dir.glob("*.jsonl")):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]
        sources[path.stem] = [
            Row(r["text"], int(r["label"]), path.stem, r.get("lang", "en"), r.get("kind", "")) for r in rows
        ]
    rng = random.Random(seed)
    for name, words in load_lexicons(lexicon_dir).items():
        words = sorted(words)
        sample = rng.sample(words, min(LEXICON_SAMPLE, len(words)))
        lang = "ru" if name.endswith("-ru") else "en"
        sources[name] = [Row(word, 1, name, lang, "lexicon") for word in sample]
    return sources


def load_lexicons(lexicon_dir: Path = LEXICON_DIR) -> dict[str, set[str]]:
    return {
        path.stem: {w.strip().lower() for w in path.read_text(encoding="utf-8").splitlines() if w.strip()}
        for path in sorted(lexicon_dir.glob("*.txt"))
    }


def _embed(texts: list[str], embedder_name: str) -> np.ndarray:
    from mlcore.embed import embedder

    return embedder(embedder_name).encode([t[:EMBED_CHARS] for t in texts], query=True)


@lru_cache(maxsize=1)
def _hasher():
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        analyzer="char_wb", ngram_range=NGRAM_RANGE, n_features=NGRAM_FEATURES, alternate_sign=False, norm="l2"
    )


def ngrams(texts: list[str]):
    from mlcore.safety import normalize

    return _hasher().transform([normalize(t) for t in texts])


@dataclass
class SafetyModel:
    embed_weights: np.ndarray
    ngram_weights: np.ndarray
    bias: float
    threshold: float
    low: float
    high: float
    embedder: str = EMBEDDER
    meta: dict = field(default_factory=dict)
    mlp: tuple[np.ndarray, np.ndarray, np.ndarray, float] | None = None  # hidden W, b; output w, b
    neighbours: Neighbours | None = None

    def scores(self, texts: list[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """Probability of "must refuse": the linear model's, averaged with the MLP's when there is one, and
        that averaged with the neighbour vote when there is one."""
        if not texts:
            return np.zeros(0)
        if embeddings is None:
            embeddings = _embed(texts, self.embedder)
        logits = embeddings @ self.embed_weights + ngrams(texts) @ self.ngram_weights + self.bias
        learned = _sigmoid(logits)
        if self.mlp is not None:
            hidden_w, hidden_b, out_w, out_b = self.mlp
            hidden = np.maximum(embeddings @ hidden_w + hidden_b, 0.0)
            learned = (learned + _sigmoid(hidden @ out_w + out_b)) / 2
        if self.neighbours is None:
            return learned
        return (learned + self.neighbours.vote(embeddings)) / 2

    def score(self, text: str) -> float:
        return float(self.scores([text])[0])

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {}
        if self.mlp is not None:
            hidden_w, hidden_b, out_w, out_b = (np.asarray(part, dtype=np.float32) for part in self.mlp)
            arrays |= {"mlp_hidden_w": hidden_w, "mlp_hidden_b": hidden_b, "mlp_out_w": out_w, "mlp_out_b": [out_b]}
        if self.neighbours is not None:
            arrays |= {
                "knn_mean": self.neighbours.mean.astype(np.float32),
                "knn_projection": self.neighbours.projection.astype(np.float32),
                "knn_vectors": self.neighbours.vectors.astype(np.float16),
                "knn_labels": self.neighbours.labels.astype(np.uint8),
            }
        with path.open("wb") as handle:
            np.savez_compressed(
                handle,
                embed_weights=self.embed_weights.astype(np.float16),
                ngram_weights=self.ngram_weights.astype(np.float16),
                numbers=np.array([self.bias, self.threshold, self.low, self.high]),
                meta=np.array(json.dumps({**self.meta, "embedder": self.embedder}, ensure_ascii=False)),
                **arrays,
            )

    @classmethod
    def load(cls, path: Path) -> SafetyModel:
        with np.load(path) as data:
            meta = json.loads(str(data["meta"]))
            bias, threshold, low, high = (float(x) for x in data["numbers"])
            mlp = None
            if "mlp_hidden_w" in data:
                mlp = (data["mlp_hidden_w"], data["mlp_hidden_b"], data["mlp_out_w"], float(data["mlp_out_b"][0]))
            neighbours = None
            if "knn_vectors" in data:
                neighbours = Neighbours(
                    data["knn_mean"], data["knn_projection"], data["knn_vectors"].astype(np.float32), data["knn_labels"]
                )
            return cls(
                data["embed_weights"].astype(np.float32),
                data["ngram_weights"].astype(np.float32),
                bias,
                threshold,
                low,
                high,
                meta.get("embedder", EMBEDDER),
                meta,
                mlp,
                neighbours,
            )


@dataclass
class Neighbours:
    """The training texts' embeddings, projected on their first principal components, with their labels."""

    mean: np.ndarray
    projection: np.ndarray  # embedding dims × KNN_DIMS
    vectors: np.ndarray  # rows × KNN_DIMS, unit length
    labels: np.ndarray  # 1 = must refuse

    @classmethod
    def fit(cls, embeddings: np.ndarray, labels: np.ndarray, dims: int = KNN_DIMS) -> Neighbours:
        mean = embeddings.mean(axis=0)
        _, _, components = np.linalg.svd(embeddings - mean, full_matrices=False)
        projection = components[:dims].T.astype(np.float32)
        # Rounded to float16 now, as the file keeps them: the thresholds are chosen on the vectors that ship.
        vectors = _unit((embeddings - mean) @ projection).astype(np.float16).astype(np.float32)
        return cls(mean.astype(np.float32), projection, vectors, np.asarray(labels, dtype=np.uint8))

    def vote(self, embeddings: np.ndarray, k: int = KNN_K, gain: float = KNN_GAIN) -> np.ndarray:
        """sigmoid(gain × (mean cosine to the k nearest attacks − to the k nearest ordinary texts))."""
        similarity = _unit((embeddings - self.mean) @ self.projection) @ self.vectors.T
        attacks, ordinary = similarity[:, self.labels == 1], similarity[:, self.labels == 0]
        k = max(1, min(k, attacks.shape[1], ordinary.shape[1]))
        nearest = lambda s: np.partition(s, s.shape[1] - k, axis=1)[:, -k:].mean(axis=1)  # noqa: E731
        return _sigmoid(gain * (nearest(attacks) - nearest(ordinary)))


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def _sigmoid(logits) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64)))


class FeatureCache:
    """Embeddings of every corpus text, computed once per process (leave-one-source-out trains 20+ times)."""

    def __init__(self, embedder_name: str = EMBEDDER, progress: Callable[[str], None] | None = None):
        self.embedder_name = embedder_name
        self.progress = progress
        self.vectors: dict[str, np.ndarray] = {}

    def embeddings(self, texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self.vectors))
        for start in range(0, len(missing), 256):
            batch = missing[start : start + 256]
            self.vectors.update(zip(batch, _embed(batch, self.embedder_name), strict=True))
            if self.progress:
                self.progress(f"embedded {min(start + 256, len(missing))} of {len(missing)} texts")
        return np.stack([self.vectors[t] for t in texts]) if texts else np.zeros((0, 512), np.float32)


def _source_weights(rows: list[Row]) -> np.ndarray:
    """Each (source, label) group weighs the same in all; within a group rows share it equally."""
    groups: dict[tuple[str, int], int] = {}
    for row in rows:
        groups[(row.source, row.label)] = groups.get((row.source, row.label), 0) + 1
    per_label = {label: sum(1 for (_, lab) in groups if lab == label) for label in (0, 1)}
    weights = np.array([1.0 / groups[(r.source, r.label)] / max(per_label[r.label], 1) for r in rows])
    return weights * len(rows) / weights.sum()


def split_validation(rows: list[Row], share: float = VALIDATION_SHARE, seed: int = SEED) -> tuple[list[Row], list[Row]]:
    """A validation split taken from every source, the same share of each."""
    rng = random.Random(seed)
    by_source: dict[str, list[Row]] = {}
    for row in rows:
        by_source.setdefault(row.source, []).append(row)
    train, validation = [], []
    for source_rows in by_source.values():
        shuffled = source_rows[:]
        rng.shuffle(shuffled)
        cut = max(1, round(len(shuffled) * share)) if len(shuffled) > 2 else 0
        validation += shuffled[:cut]
        train += shuffled[cut:]
    return train, validation


def _fit(rows: list[Row], cache: FeatureCache, c: float) -> tuple[np.ndarray, np.ndarray, float]:
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression

    texts = [r.text for r in rows]
    features = hstack([csr_matrix(cache.embeddings(texts) * EMBED_SCALE), ngrams(texts)]).tocsr()
    labels = np.array([r.label for r in rows])
    model = LogisticRegression(C=c, max_iter=2000, solver="liblinear")
    model.fit(features, labels, sample_weight=_source_weights(rows))
    coef = model.coef_[0]
    dims = features.shape[1] - NGRAM_FEATURES
    return (coef[:dims] * EMBED_SCALE).astype(np.float32), coef[dims:].astype(np.float32), float(model.intercept_[0])


def _fit_mlp(rows: list[Row], cache: FeatureCache, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """A small MLP on the sentence embedding alone: it carries meaning across languages and phrasings
    where the n-grams cannot (leave-one-source-out: Russian attacks 0.68 → 0.83 held out)."""
    from sklearn.neural_network import MLPClassifier

    texts = [r.text for r in rows]
    labels = np.array([r.label for r in rows])
    model = MLPClassifier(hidden_layer_sizes=(MLP_HIDDEN,), alpha=MLP_ALPHA, max_iter=200, random_state=seed)
    model.fit(cache.embeddings(texts), labels, sample_weight=_source_weights(rows))
    return (
        model.coefs_[0].astype(np.float32),
        model.intercepts_[0].astype(np.float32),
        model.coefs_[1][:, 0].astype(np.float32),
        float(model.intercepts_[1][0]),
    )


def _threshold_at(benign_scores: np.ndarray, rate: float) -> float:
    """The lowest score that refuses at most `rate` of these benign rows."""
    if len(benign_scores) == 0:
        return 0.5
    ranked = np.sort(benign_scores)[::-1]
    allowed = int(np.floor(rate * len(ranked)))
    return float(min(max(ranked[allowed] + 1e-6, 0.05), 0.95)) if allowed < len(ranked) else 0.05


def train(rows: list[Row], cache: FeatureCache | None = None, c: float = C, seed: int = SEED) -> SafetyModel:
    """Fit on most of `rows` and choose the thresholds on the held-back validation share. The model is
    not refitted on all rows afterwards: the thresholds are those of the model that ships (a refit
    scored held-out ad copy higher than its borrowed threshold allowed: 3.3 % → 4.2 % refused)."""
    cache = cache or FeatureCache()
    fit_rows, validation = split_validation(rows, seed=seed)
    embed_w, ngram_w, bias = _fit(fit_rows, cache, c)
    mlp = _fit_mlp(fit_rows, cache, seed)
    neighbours = Neighbours.fit(cache.embeddings([r.text for r in fit_rows]), np.array([r.label for r in fit_rows]))
    model = SafetyModel(embed_w, ngram_w, bias, 0.5, 0.5, 0.5, cache.embedder_name, mlp=mlp, neighbours=neighbours)
    benign = [r.text for r in validation if r.label == 0]
    benign_scores = model.scores(benign, cache.embeddings(benign))
    model.threshold = _threshold_at(benign_scores, TARGET_FALSE_POSITIVES)
    model.low = min(_threshold_at(benign_scores, LOW_FALSE_POSITIVES), model.threshold)
    model.high = max(_threshold_at(benign_scores, HIGH_FALSE_POSITIVES), model.threshold)
    sources = sorted({r.source for r in rows})
    digest = hashlib.sha256("\n".join(f"{r.source}\t{r.label}\t{r.text}" for r in rows).encode()).hexdigest()[:16]
    model.meta = {"sources": sources, "rows": len(rows), "data": digest, "c": c, "validation_rows": len(validation)}
    return model


@lru_cache(maxsize=4)
def load_model(path: str = str(MODEL_PATH)) -> SafetyModel | None:
    """The trained model, once per process; None when the file is missing (the rules still run)."""
    file = Path(path)
    if not file.is_file():
        log.warning("safety classifier %s is missing (manage.py train_safety): the gate runs its rules only", file)
        return None
    return SafetyModel.load(file)


def rows_of(sources: dict[str, list[Row]], names: Iterable[str]) -> list[Row]:
    return [row for name in names for row in sources[name]]
