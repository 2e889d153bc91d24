"""Build the demo bank from the npm package @lobehub/fluent-emoji-3d (MIT): copy the pictures
without people or skin tones, and write index.json with a caption and three product hypotheses
for each, from its Unicode name and emojilib keywords. Run by a maintainer, not by `make run`:

    mkdir /tmp/emoji && cd /tmp/emoji
    npm pack @lobehub/fluent-emoji-3d@1.1.0 unicode-emoji-json@0.9.0 emojilib@4.0.3
    for f in *.tgz; do mkdir "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}"; done
    python catalog/demo_bank/build.py /tmp/emoji

    .venv/bin/python catalog/demo_bank/build.py --embed   # embeddings.npy for the texts above

The embeddings ship so that `make run` and the tests index the demo bank without running the
model; `manage.py index_bank --reindex` recomputes them (and a VLM re-captions when configured).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
GROUPS = {
    "Objects": "an everyday object",
    "Travel & Places": "travel, transport, buildings and places",
    "Food & Drink": "food and drink",
    "Animals & Nature": "animals, plants and nature",
    "Activities": "sports, games, events and hobbies",
    "Symbols": "a sign or symbol",
    "Smileys & Emotion": "a face or an emotion",
}
# Not for banners without a designer's look: they start as "pending" in the curation queue.
PENDING = {
    "cigarette",
    "bomb",
    "dagger",
    "crossed swords",
    "coffin",
    "headstone",
    "funeral urn",
    "water pistol",
    "military helmet",
    "drop of blood",
    "pile of poo",
    "skull",
    "skull and crossbones",
    "syringe",
    "love hotel",
    "slot machine",
    "bottle with popping cork",
    "beer mug",
    "clinking beer mugs",
    "sake",
    "wine glass",
    "cocktail glass",
    "tumbler glass",
    "pouring liquid",
    "ogre",
    "goblin",
    "alien monster",
}
# Word in the name or keywords → what such a picture could advertise (most specific first).
BUSINESSES: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
    (("taxi",), ("a taxi or ride-hailing service", "a city cab app with fixed prices", "airport transfers")),
    (
        ("automobile", "car", "vehicle", "sport utility"),
        ("a car rental or car sharing service", "a car dealership", "car insurance"),
    ),
    (
        ("bus", "tram", "train", "metro", "railway", "monorail", "station"),
        ("public transport tickets", "a train or bus travel booking app", "a commuter travel pass"),
    ),
    (
        ("truck", "lorry", "delivery"),
        ("a parcel and freight delivery service", "a logistics company", "moving and removal services"),
    ),
    (
        ("package", "mailbox", "postbox", "envelope", "e-mail", "post office", "inbox", "outbox"),
        (
            "a parcel delivery service with tracking",
            "an online shop with fast shipping",
            "a postal and courier company",
        ),
    ),
    (
        ("airplane", "luggage", "passport", "suitcase"),
        ("cheap flights and package holidays", "a travel agency", "travel insurance"),
    ),
    (
        ("beach", "island", "umbrella", "palm", "sunrise", "sunset", "mountain", "camping", "tent", "hot springs"),
        ("holiday packages to the seaside or mountains", "a travel agency", "a hotel or resort"),
    ),
    (
        ("globe", "world", "map", "compass"),
        ("international travel", "a language school", "international money transfers"),
    ),
    (("hotel", "bellhop", "bed"), ("a hotel booking service", "a holiday rental", "a mattress or furniture store")),
    (
        ("house", "houses", "building", "office", "door", "key", "window", "brick", "construction"),
        ("a mortgage for home buyers", "a real estate agency", "home insurance or renovation services"),
    ),
    (
        (
            "bank",
            "coin",
            "money",
            "banknote",
            "dollar",
            "euro",
            "yen",
            "pound",
            "credit card",
            "receipt",
            "treasure",
            "chart increasing",
            "gem",
        ),
        ("a bank card with cashback", "a savings account or investment app", "a loan or mortgage from a bank"),
    ),
    (
        (
            "chart",
            "briefcase",
            "file",
            "clipboard",
            "calendar",
            "notepad",
            "pushpin",
            "paperclip",
            "memo",
            "ledger",
            "card index",
        ),
        ("business software for teams", "accounting and invoicing services", "a productivity and planning app"),
    ),
    (
        ("laptop", "computer", "keyboard", "mouse", "printer", "disk", "dvd", "floppy", "satellite", "gear", "cloud"),
        ("cloud hosting and servers", "an online IT course", "a computer and electronics store"),
    ),
    (
        ("mobile phone", "telephone", "pager", "fax", "antenna", "battery", "plug"),
        ("a mobile operator with unlimited internet", "a smartphone store", "a phone repair service"),
    ),
    (
        ("television", "camera", "video", "movie", "film", "clapper"),
        ("a streaming service for films and series", "a camera and photo store", "a cinema or film festival"),
    ),
    (
        (
            "headphone",
            "radio",
            "microphone",
            "guitar",
            "violin",
            "piano",
            "musical",
            "drum",
            "saxophone",
            "trumpet",
            "speaker",
            "loudspeaker",
            "banjo",
            "accordion",
            "flute",
            "harp",
        ),
        ("a music streaming app", "music lessons or a music school", "an electronics store with headphones"),
    ),
    (
        ("megaphone", "bell", "postal horn"),
        ("a big seasonal sale", "an announcement of a new product", "a marketing agency"),
    ),
    (
        (
            "book",
            "books",
            "notebook",
            "pencil",
            "pen",
            "crayon",
            "graduation",
            "school",
            "abacus",
            "ruler",
            "scroll",
            "newspaper",
            "bookmark",
        ),
        ("an online school or language course", "a bookstore", "school supplies and stationery"),
    ),
    (
        ("microscope", "test tube", "dna", "petri", "alembic", "telescope"),
        ("a science education course", "a medical laboratory test", "a research company"),
    ),
    (
        ("hospital", "pill", "stethoscope", "adhesive", "thermometer", "x-ray", "crutch"),
        ("a clinic or telemedicine service", "a pharmacy with home delivery", "health insurance"),
    ),
    (("pizza",), ("a pizza delivery restaurant", "an Italian restaurant", "a food delivery app")),
    (
        ("hamburger", "hot dog", "french fries", "sandwich", "taco", "burrito", "meat", "poultry", "bacon"),
        ("a fast food restaurant", "a food delivery app", "a burger or street food cafe"),
    ),
    (
        ("sushi", "rice", "bento", "dumpling", "noodle", "spaghetti", "curry", "steaming bowl", "oden", "takeout"),
        ("an Asian restaurant with delivery", "a food delivery app", "a meal kit subscription"),
    ),
    (
        ("coffee", "hot beverage", "teacup", "teapot", "mate", "bubble tea"),
        ("a coffee shop", "a tea and coffee store", "a cafe loyalty card"),
    ),
    (
        (
            "croissant",
            "bread",
            "baguette",
            "bagel",
            "pretzel",
            "pancakes",
            "waffle",
            "cake",
            "cookie",
            "doughnut",
            "cupcake",
            "pie",
            "chocolate",
            "candy",
            "lollipop",
            "ice cream",
            "custard",
            "honey",
        ),
        ("a bakery or pastry shop", "a dessert and sweets shop", "a cafe with fresh pastries"),
    ),
    (
        (
            "apple",
            "pear",
            "peach",
            "banana",
            "grapes",
            "melon",
            "lemon",
            "orange",
            "tangerine",
            "cherries",
            "strawberry",
            "mango",
            "pineapple",
            "kiwi",
            "coconut",
            "avocado",
            "blueberries",
            "tomato",
            "lime",
        ),
        ("grocery delivery with fresh fruit", "a healthy eating or diet app", "a farmers market"),
    ),
    (
        (
            "broccoli",
            "carrot",
            "cucumber",
            "leafy",
            "eggplant",
            "potato",
            "corn",
            "pepper",
            "garlic",
            "onion",
            "salad",
            "mushroom",
            "beans",
            "pea pod",
            "root vegetable",
            "olive",
        ),
        ("fresh grocery delivery from local farms", "a vegetarian restaurant", "a healthy meal subscription"),
    ),
    (
        ("cheese", "egg", "milk", "butter", "canned food", "shopping cart", "basket", "convenience store"),
        ("a supermarket or grocery delivery", "an online grocery store", "a discount store"),
    ),
    (
        (
            "shopping bags",
            "department store",
            "purse",
            "handbag",
            "clutch",
            "wrapped gift",
            "ribbon",
            "ticket",
            "admission",
        ),
        ("an online fashion store sale", "gift cards and presents", "a shopping mall"),
    ),
    (
        (
            "shirt",
            "t-shirt",
            "jeans",
            "dress",
            "coat",
            "scarf",
            "gloves",
            "socks",
            "kimono",
            "sari",
            "shorts",
            "bikini",
            "swimsuit",
            "clothes",
            "necktie",
            "hat",
            "cap",
            "crown",
        ),
        ("a clothing store", "a fashion brand", "an online clothes shop with free returns"),
    ),
    (
        ("shoe", "boot", "sandal", "running shoe", "hiking boot"),
        ("a shoe store", "running and sports gear", "a fashion footwear brand"),
    ),
    (
        ("lipstick", "ring", "lotion", "soap", "toothbrush", "razor", "sponge", "mirror", "sunglasses", "glasses"),
        ("a beauty and cosmetics store", "a personal care brand", "an optician or jewellery store"),
    ),
    (
        (
            "soccer",
            "basketball",
            "baseball",
            "tennis",
            "volleyball",
            "football",
            "rugby",
            "hockey",
            "boxing",
            "martial arts",
            "skis",
            "ice skate",
            "running shirt",
            "medal",
            "trophy",
            "badminton",
            "ping pong",
            "goal net",
            "flexed biceps",
            "sports",
        ),
        ("a fitness club or gym membership", "a fitness app with home workouts", "a sports goods store"),
    ),
    (
        ("bicycle", "kick scooter", "skateboard", "roller skate", "motor scooter", "motorcycle"),
        ("bike or scooter rental", "a sports and outdoor store", "a delivery courier job"),
    ),
    (
        (
            "video game",
            "joystick",
            "game die",
            "puzzle",
            "chess",
            "teddy bear",
            "yo-yo",
            "kite",
            "balloon",
            "party popper",
            "confetti",
            "fireworks",
            "birthday",
        ),
        ("a toy store or game shop", "a party and events agency", "a video game or app"),
    ),
    (
        ("hammer", "wrench", "screwdriver", "toolbox", "saw", "ladder", "nut and bolt", "axe", "pick", "clamp"),
        ("a hardware store", "home repair and renovation services", "a handyman booking app"),
    ),
    (
        ("couch", "chair", "lamp", "bathtub", "shower", "toilet", "broom", "bucket", "roll of paper"),
        ("a furniture and home store", "a cleaning service", "plumbing and home repair"),
    ),
    (
        ("dog", "cat", "poodle", "paw", "hamster", "rabbit", "parrot", "fish"),
        ("a pet shop", "a veterinary clinic", "pet food delivery"),
    ),
    (
        (
            "flower",
            "rose",
            "tulip",
            "sunflower",
            "bouquet",
            "blossom",
            "hibiscus",
            "potted plant",
            "seedling",
            "tree",
            "cactus",
            "herb",
            "leaf",
            "clover",
        ),
        ("a flower delivery shop", "a garden centre", "an eco-friendly brand"),
    ),
    (
        ("sun", "rainbow", "snowflake", "snowman", "cloud", "fire", "droplet", "wave", "star", "moon", "comet"),
        ("a weather app", "seasonal sale", "an energy or utility company"),
    ),
    (
        ("locked", "unlocked", "shield", "key"),
        ("cyber security software", "a password manager", "home security and alarm systems"),
    ),
    (
        ("light bulb", "electric", "high voltage", "battery"),
        ("an electricity provider", "smart home devices", "an ideas and innovation consultancy"),
    ),
    (
        ("fuel pump", "oil drum", "wheel"),
        ("a petrol station loyalty card", "car service and tyre fitting", "electric car charging"),
    ),
    (
        ("rocket", "flying saucer", "satellite"),
        ("a startup launch", "a fast internet provider", "a space or science museum"),
    ),
    (
        ("alarm clock", "watch", "stopwatch", "hourglass", "timer", "clock", "o’clock", "thirty"),
        ("a limited-time offer", "a watch store", "a time management app"),
    ),
]
GROUP_FALLBACK = {
    "Objects": ("a household goods store", "an online marketplace", "a gift shop"),
    "Travel & Places": ("a travel agency", "a city guide app", "a hotel booking service"),
    "Food & Drink": ("a restaurant with delivery", "a food delivery app", "a grocery store"),
    "Animals & Nature": ("a nature park or zoo", "an eco-friendly brand", "a pet shop"),
    "Activities": ("an events and tickets platform", "a hobby store", "a sports club"),
    "Symbols": ("a brand campaign with a simple symbol", "an app notification", "a loyalty programme"),
    "Smileys & Emotion": ("customer satisfaction and reviews", "a messaging app", "a feel-good brand campaign"),
}


def _code(emoji: str) -> str:
    return "-".join(f"{ord(c):x}" for c in emoji)


def _article(name: str) -> str:
    if name.endswith("s") and not name.endswith("ss"):
        return name
    return ("an " if name[:1].lower() in "aeiou" else "a ") + name


def _mentions(text: str, term: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(term)}s?(?![\w-])", text) is not None


def hypotheses_for(name: str, keywords: list[str], group: str) -> list[str]:
    """Businesses matched on the name first, then on the keywords, then the group's defaults."""
    found: list[str] = []
    for text in (name.lower(), " ".join(k.replace("_", " ") for k in keywords).lower()):
        for terms, businesses in BUSINESSES:
            if len(found) >= 3:
                break
            if any(_mentions(text, term) for term in terms):
                found.extend(b for b in businesses if b not in found)
    found.extend(b for b in GROUP_FALLBACK[group] if b not in found)
    return [f"{business[0].upper()}{business[1:]}, shown with {_article(name)}." for business in found[:3]]


def caption_for(name: str, keywords: list[str], group: str) -> str:
    extra = [k.replace("_", " ") for k in keywords if k.replace("_", " ") not in name][:4]
    sentences = [
        f"A glossy 3D render of {_article(name)} on a plain background.",
        f"The picture shows {GROUPS[group]}.",
    ]
    if extra:
        sentences.append(f"It suggests {', '.join(extra)}.")
    return " ".join(sentences)


def has_text(name: str, group: str) -> bool:
    return (group == "Symbols" and any(w in name for w in ("button", "keycap", "input", "ABC", "ID", "VS"))) or (
        name in {"calendar", "tear-off calendar", "spiral calendar", "newspaper", "rolled-up newspaper"}
    )


def texts_of(item: dict) -> list[str]:
    """The four texts of a picture, in the order of embeddings.npy: caption, then hypotheses."""
    return [item["caption"], *item["hypotheses"]]


def embed() -> None:
    """Embeddings of the demo texts for each bundled embedder (so `make run` and the tests never run
    the model for the demo bank): embeddings.npy (MiniLM) and embeddings-<name>.npy."""
    import numpy as np

    sys.path.insert(0, str(HERE.parent.parent))
    from mlcore.embed import E5, MINILM, embedder, texts_digest

    items = json.loads((HERE / "index.json").read_text())
    texts = [t for item in items for t in texts_of(item)]
    files = {MINILM: "embeddings.npy", E5: f"embeddings-{E5}.npy"}
    for name, filename in files.items():
        vectors = embedder(name).encode(texts)
        np.save(HERE / filename, vectors.reshape(len(items), 4, -1).astype(np.float16))
    meta = {"texts_sha256": texts_digest([texts_of(i) for i in items]), "shape": [len(items), 4, 384], "files": files}
    (HERE / "embeddings.json").write_text(json.dumps(meta, indent=1) + "\n")
    print(f"embeddings of {len(items)} pictures written for {', '.join(files)}")


def main(source: Path) -> None:
    emoji_data = json.loads((source / "unicode-emoji-json-0.9.0/package/data-by-emoji.json").read_text())
    keywords = json.loads((source / "emojilib-4.0.3/package/dist/emoji-en-US.json").read_text())
    assets = source / "lobehub-fluent-emoji-3d-1.1.0/package/assets"
    target = HERE / "images"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir()
    items = []
    for emoji, info in emoji_data.items():
        if info["group"] not in GROUPS:
            continue  # People & Body (people, skin tones) and Flags are left out
        code = _code(emoji)
        found = next((c for c in (code, code.replace("-fe0f", "")) if (assets / f"{c}.webp").exists()), None)
        if found is None:
            continue
        name, group = info["name"], info["group"]
        words = keywords.get(emoji, [])[1:]
        shutil.copy(assets / f"{found}.webp", target / f"{found}.webp")
        items.append(
            {
                "file": f"images/{found}.webp",
                "name": name,
                "group": group,
                "caption": caption_for(name, words, group),
                "hypotheses": hypotheses_for(name, words, group),
                "has_text": has_text(name, group),
                "status": "pending" if name in PENDING else "approved",
            }
        )
    (HERE / "index.json").write_text(json.dumps(items, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(items)} pictures written to {target}")


if __name__ == "__main__":
    embed() if sys.argv[1:] == ["--embed"] else main(Path(sys.argv[1]))
