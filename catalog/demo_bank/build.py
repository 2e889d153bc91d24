"""Build the demo bank from the npm package @lobehub/fluent-emoji-3d (MIT): copy the pictures
without people or skin tones, and write index.json with a caption and five product hypotheses
for each, from its Unicode name and emojilib keywords, and the same in Russian: the CLDR name in
Russian with its CLDR keywords (npm emojibase-data, MIT; CLDR annotations, Unicode licence), and
businesses_ru.json and groups_ru.json (our own translations of BUSINESSES, GROUP_FALLBACK and
GROUPS). Run by a maintainer, not by `make run`:

    mkdir /tmp/emoji && cd /tmp/emoji
    npm pack @lobehub/fluent-emoji-3d@1.1.0 unicode-emoji-json@0.9.0 emojilib@4.0.3 emojibase-data@17.0.0
    for f in *.tgz; do mkdir "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}"; done
    python catalog/demo_bank/build.py /tmp/emoji
    .venv/bin/python catalog/demo_bank/build.py --texts /tmp/emoji  # only the texts of index.json

    .venv/bin/python catalog/demo_bank/build.py --embed   # embeddings.npy for the texts above

The embeddings ship so that `make run` and the tests index the demo bank without running the
model; `manage.py index_bank --reindex` recomputes them (and a VLM re-captions when configured).
"""

from __future__ import annotations

import itertools
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
# Word in the name or keywords → what such a picture could advertise (most specific first): services
# and shops a marketer advertises, then the broader kinds of business.
BUSINESSES: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
    (
        ("gem stone", "jewelry", "crown"),
        ("a jewellery store", "a pawnshop with cash loans against gold", "jewellery repair and engraving"),
    ),
    (
        ("money bag", "money with wings", "coin"),
        ("quick microloans until payday", "a pawnshop with cash loans", "debt refinancing"),
    ),
    (
        ("currency exchange", "euro banknote", "pound banknote", "yen banknote"),
        ("a currency exchange office", "international money transfers", "a travel money card"),
    ),
    (("chart increasing", "bar chart"), ("an investment app", "a brokerage account", "a high interest deposit")),
    (("receipt", "ledger", "abacus"), ("bookkeeping and tax services", "an online cash register", "payroll services")),
    (("balance scale",), ("a divorce lawyer", "legal help for business", "a bankruptcy lawyer")),
    (
        ("scroll", "page facing up", "page with curl", "fountain pen", "black nib"),
        ("notary services", "a translation agency", "help with contracts and documents"),
    ),
    (
        ("shield", "ring buoy", "umbrella with rain drops", "closed umbrella"),
        ("life and health insurance", "an insurance company", "property and car insurance"),
    ),
    (
        ("pill", "adhesive bandage"),
        ("vitamins and dietary supplements", "a veterinary pharmacy for pets", "an online pharmacy with low prices"),
    ),
    (("thermometer", "medical mask", "stethoscope"), ("a doctor's home visit", "vaccination", "a medical check-up")),
    (("test tube", "petri dish", "microbe", "dna"), ("laboratory tests", "a DNA test", "a medical laboratory")),
    (("toothbrush",), ("a dental clinic", "teeth whitening", "oral care products")),
    (("eyesight", "sunglasses"), ("an optician with free eye tests", "contact lenses", "a sunglasses store")),
    (
        ("manual wheelchair", "motorized wheelchair", "crutch", "white cane", "wheelchair symbol"),
        ("a medical equipment store", "home care for the elderly", "a rehabilitation centre"),
    ),
    (
        ("baby bottle", "baby symbol", "children crossing"),
        (
            "baby goods: strollers, car seats and nappies",
            "a nanny and babysitting service",
            "a kindergarten or daycare centre",
        ),
    ),
    (("teddy bear", "kite", "yo-yo", "nesting dolls", "piñata"), ("a toy store", "a children's party", "a kids' club")),
    (
        ("dog", "cat", "poodle", "paw prints"),
        ("a dog and cat grooming salon", "a pet hotel and pet sitting", "a veterinary pharmacy"),
    ),
    (
        ("fish", "tropical fish", "shrimp", "lobster", "crab", "oyster", "squid", "fried shrimp"),
        ("a fresh fish and seafood shop", "a seafood restaurant", "an aquarium shop"),
    ),
    (
        ("cut of meat", "meat on bone", "poultry leg", "bacon"),
        ("a butcher's shop", "a steakhouse", "a barbecue and grill restaurant"),
    ),
    (
        ("egg", "nest with eggs", "chicken", "cow", "glass of milk", "cheese wedge", "butter"),
        ("farm products: eggs, milk and cottage cheese", "a dairy farm shop", "organic food delivery"),
    ),
    (("honey pot", "honeybee"), ("an apiary with fresh honey", "a farm shop", "healthy sweets")),
    (
        ("stuffed flatbread", "falafel", "burrito", "hot dog", "french fries"),
        ("shawarma and street food", "a food truck", "takeaway food"),
    ),
    (
        ("bowl with spoon", "pot of food", "shallow pan of food", "green salad"),
        ("business lunches", "a canteen or cafe", "home-style food delivery"),
    ),
    (("wrapped gift", "ribbon"), ("holiday gift sets", "corporate gifts", "a greeting card and gift shop")),
    (
        ("automobile", "sport utility vehicle", "racing car"),
        ("car repair and engine diagnostics", "a car wash", "an auto parts store"),
    ),
    (
        ("delivery truck", "minibus", "pickup truck", "articulated lorry"),
        ("van and minibus rental", "movers with a van", "a freight taxi"),
    ),
    (("bus",), ("bus tours and excursions", "intercity bus tickets", "a charter bus for events")),
    (("helicopter", "parachute", "small airplane"), ("helicopter tours", "skydiving", "a flying club")),
    (
        ("skis", "sled", "snow-capped mountain", "mountain cableway", "aerial tramway"),
        ("a ski resort with lift passes", "ski and snowboard rental", "winter holidays in the mountains"),
    ),
    (("ice skate",), ("an ice rink", "figure skating lessons", "skate rental and sharpening")),
    (
        ("one-piece swimsuit", "goggles", "diving mask"),
        ("swimming lessons for children and adults", "a swimming pool or aqua park", "a swimwear store"),
    ),
    (("hot springs",), ("a health resort or sanatorium", "a spa with thermal pools", "a bathhouse or sauna")),
    (("tent", "camping", "national park"), ("a camping and hiking store", "hiking tours", "a glamping site")),
    (("bow and arrow", "boomerang"), ("an archery club", "a hunting and fishing shop", "hunting trips")),
    (("fishing pole",), ("a fishing shop", "fishing trips", "an outdoor store")),
    (("ballet shoes", "mirror ball"), ("a dance school", "ballet classes for children", "a night club")),
    (
        ("performing arts", "admission tickets", "ticket", "circus tent"),
        ("theatre tickets", "concert tickets", "a circus show"),
    ),
    (("microphone",), ("a karaoke bar", "vocal lessons", "a recording studio")),
    (
        ("pool 8 ball", "bowling", "video game", "joystick"),
        ("a billiards and bowling club", "a computer gaming club", "a family entertainment centre"),
    ),
    (
        ("old key", "puzzle piece", "game die", "chess pawn"),
        ("an escape room quest", "a board game club", "a family game night"),
    ),
    (("camera",), ("a photo studio", "a wedding and family photographer", "photo printing")),
    (
        ("printer",),
        ("a print shop for business cards and flyers", "printer and office equipment repair", "a copy centre"),
    ),
    (("watch", "mantelpiece clock"), ("a watch repair workshop", "a watch and clock store", "a gift for him")),
    (("briefcase", "necktie", "name badge"), ("a recruitment agency", "job vacancies", "business training courses")),
    (
        ("passport control", "customs", "identification card"),
        ("visa services", "document translation", "a passport photo"),
    ),
    (
        ("package", "card file box", "file cabinet"),
        ("self storage units", "a moving and packing service", "archive storage for business"),
    ),
    (("houses", "house", "hut"), ("flat and house rental", "daily rent apartments", "a country cottage for rent")),
    (
        ("brick", "wood", "rock", "building construction"),
        ("a building materials store", "a construction company", "country house building"),
    ),
    (("window", "door"), ("plastic windows installation", "doors and locks installation", "balcony glazing")),
    (
        ("toilet", "shower", "bathtub", "plunger", "potable water"),
        ("a plumber call-out", "bathroom renovation", "water filters"),
    ),
    (
        ("electric plug", "high voltage", "light bulb"),
        ("an electrician call-out", "a lighting and lamps store", "solar panels"),
    ),
    (
        ("broom", "sponge", "bucket", "bubbles", "soap"),
        ("apartment and office cleaning", "dry cleaning and laundry", "household cleaning products"),
    ),
    (
        ("seedling", "potted plant", "herb", "cactus"),
        ("seeds and seedlings", "houseplants delivery", "landscape design and gardening"),
    ),
    (
        ("wastebasket", "recycling symbol", "litter in bin sign"),
        ("rubbish removal", "recycling and waste collection", "skip hire"),
    ),
    (
        ("abacus", "triangular ruler", "straight ruler", "books", "graduation cap"),
        ("tutoring and exam preparation", "a children's development centre", "online courses for adults"),
    ),
    (("taxi",), ("a taxi or ride-hailing service", "a city cab app with fixed prices", "airport transfers")),
    (
        ("automobile", "car", "vehicle", "sport utility"),
        ("a car rental or car sharing service", "car insurance", "a car dealership"),
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
    # Added with the Russian texts (issue 13): pictures that had only their group's defaults.
    (
        ("balance scale", "justice", "law", "judge"),
        ("a law firm or legal advice", "notary and legal documents", "consumer rights protection"),
    ),
    (
        ("wireless", "antenna bars", "satellite antenna", "signal"),
        ("a home internet provider", "a mobile operator", "free public Wi-Fi"),
    ),
    (
        ("artist palette", "paintbrush", "framed picture", "crayon", "paint"),
        ("painting and drawing classes", "an art supplies store", "an art gallery or exhibition"),
    ),
    (
        ("yarn", "thread", "sewing needle", "knot", "safety pin"),
        ("a knitting and sewing shop", "tailoring and clothing repair", "handicraft workshops"),
    ),
    (("scissors", "barber"), ("a hair salon or barbershop", "a beauty salon", "a stationery store")),
    (
        ("diving mask", "goggles", "snorkel", "swimsuit", "swim"),
        ("a swimming pool membership", "diving courses", "a beach holiday"),
    ),
    (("wedding", "ring", "bride"), ("a wedding agency", "a wedding rings store", "a banquet hall")),
    (
        ("roller coaster", "carousel horse", "playground slide", "ferris wheel", "circus tent"),
        ("an amusement park", "family weekend activities", "a children’s entertainment centre"),
    ),
    (
        ("anchor", "ferry", "canoe", "speedboat", "sailboat", "passenger ship", "motor boat"),
        ("a cruise or boat trip", "a boat rental or yacht club", "river and sea tours"),
    ),
    (("magnifying glass",), ("a job search website", "an online search service", "a marketplace with smart search")),
    (
        ("identification card", "ballot box", "placard"),
        ("public services online", "document processing services", "elections and civic campaigns"),
    ),
    (
        ("recycling", "litter", "potable water", "non-potable water"),
        ("recycling and waste collection", "drinking water delivery", "an eco-friendly brand"),
    ),
    (
        ("elevator",),
        ("new flats in a residential complex", "lift installation and maintenance", "a business centre with offices"),
    ),
    (
        ("microbe", "bug", "cockroach", "mosquito", "ant", "spider", "fly"),
        ("pest control services", "household cleaning products", "a pharmacy with home delivery"),
    ),
    (
        ("medical mask", "sneezing", "hot face", "cold face", "nauseated", "vomiting", "thermometer", "head-bandage"),
        ("a clinic or telemedicine service", "a pharmacy with home delivery", "health insurance"),
    ),
    (
        ("hundred points", "bullseye", "direct hit"),
        ("exam preparation courses", "marketing and advertising services", "a loyalty programme"),
    ),
    (("zodiac", "horoscope", "astrology"), ("an astrology app", "a horoscope website", "a gift shop")),
    (
        ("fork and knife", "spoon", "chopsticks", "bowl with spoon", "kitchen knife", "cooking"),
        ("a restaurant with delivery", "a kitchenware store", "cooking classes"),
    ),
    (
        ("ghost", "jack-o-lantern", "halloween"),
        ("a Halloween party", "a party supplies shop", "a horror film premiere"),
    ),
]
PER_PICTURE = 5  # businesses a picture could advertise, each a hypothesis in English and in Russian
GROUP_FALLBACK = {
    "Objects": ("a household goods store", "an online marketplace", "a gift shop", "a discount store", "home delivery"),
    "Travel & Places": (
        "a travel agency",
        "a city guide app",
        "a hotel booking service",
        "city tours and excursions",
        "a tour operator",
    ),
    "Food & Drink": (
        "a restaurant with delivery",
        "a food delivery app",
        "a grocery store",
        "takeaway food",
        "catering for events",
    ),
    "Animals & Nature": ("a nature park or zoo", "an eco-friendly brand", "a pet shop", "a petting zoo", "eco tours"),
    "Activities": (
        "an events and tickets platform",
        "a hobby store",
        "a sports club",
        "a kids' club",
        "a weekend events guide",
    ),
    "Symbols": (
        "a brand campaign with a simple symbol",
        "an app notification",
        "a loyalty programme",
        "a discount coupon",
        "a mobile app",
    ),
    "Smileys & Emotion": (
        "customer satisfaction and reviews",
        "a messaging app",
        "a feel-good brand campaign",
        "a psychologist's consultation",
        "a social network",
    ),
}


def _code(emoji: str) -> str:
    return "-".join(f"{ord(c):x}" for c in emoji)


def _article(name: str) -> str:
    if name.endswith("s") and not name.endswith("ss"):
        return name
    return ("an " if name[:1].lower() in "aeiou" else "a ") + name


# Names in which a word means something else: a hot dog is no dog, a ring buoy no jewellery.
COMPOUNDS = {
    "hot dog": "dog",
    "ring buoy": "ring",
    "clinking glasses": "glasses",
    "fish cake": "fish",
    "wheel of dharma": "wheel",
}


def _mentions(text: str, term: str) -> bool:
    for compound, word in COMPOUNDS.items():
        if term == word:
            text = text.replace(compound, " ")
    return re.search(rf"(?<![\w-]){re.escape(term)}s?(?![\w-])", text) is not None


def businesses_for(name: str, keywords: list[str], group: str) -> list[str]:
    """PER_PICTURE businesses: those of the rules its name matches, taken in turn (a car is for a car
    rental, a car repair shop, a dealership, ...), then of the rules its keywords match, then the
    group's defaults."""
    found: list[str] = []
    matched: list[tuple[str, ...]] = []
    for text in (name.lower(), " ".join(k.replace("_", " ") for k in keywords).lower()):
        rules = [b for terms, b in BUSINESSES if b not in matched and any(_mentions(text, t) for t in terms)]
        matched += rules
        for business in (b for turn in itertools.zip_longest(*rules) for b in turn if b):
            if business not in found:
                found.append(business)
    found.extend(b for b in GROUP_FALLBACK[group] if b not in found)
    return found[:PER_PICTURE]


def hypotheses_for(name: str, businesses: list[str]) -> list[str]:
    return [f"{business[0].upper()}{business[1:]}, shown with {_article(name)}." for business in businesses]


def russian_annotations(source: Path) -> dict[str, tuple[str, list[str]]]:
    """Code → (CLDR name in Russian, CLDR keywords in Russian), from emojibase-data."""
    data = json.loads((source / "emojibase-data-17.0.0/package/ru/data.json").read_text())
    found = {}
    for entry in data:
        for code in (entry["hexcode"].lower(), entry["hexcode"].lower().replace("-fe0f", "")):
            found[code] = (entry.get("label", ""), entry.get("tags", []))
    return found


def russian_texts(item: dict, annotations: dict[str, tuple[str, list[str]]]) -> tuple[str, list[str]]:
    """The Russian caption and the Russian hypotheses of a picture, from its English hypotheses'
    businesses (our translations) and its CLDR name and keywords in Russian."""
    translations = json.loads((HERE / "businesses_ru.json").read_text())
    groups = json.loads((HERE / "groups_ru.json").read_text())
    code = Path(item["file"]).stem
    name, keywords = annotations.get(code) or annotations.get(code.replace("-fe0f", "")) or (item["name"], [])
    businesses = [h.split(", shown with ")[0] for h in item["hypotheses"][:PER_PICTURE]]
    hypotheses = []
    for business in businesses:
        russian = translations[business[0].lower() + business[1:]]
        hypotheses.append(f"{russian[0].upper()}{russian[1:]}: {name}.")
    sentences = [f"Глянцевое 3D-изображение на однотонном фоне: {name}.", f"На картинке {groups[item['group']]}."]
    extra = [k for k in keywords if k.lower() not in name.lower()][:6]
    if extra:
        sentences.append(f"Ассоциации: {', '.join(extra)}.")
    return " ".join(sentences), hypotheses


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
    """The texts of a picture, in the order of the shipped vectors: caption, its translation, hypotheses."""
    return [item["caption"], item["caption_translation"], *item["hypotheses"]]


def with_russian(item: dict, annotations: dict[str, tuple[str, list[str]]]) -> dict:
    caption, hypotheses = russian_texts(item, annotations)
    return {**item, "caption_translation": caption, "hypotheses": [*item["hypotheses"][:PER_PICTURE], *hypotheses]}


def embed() -> None:
    """Embeddings of the demo texts for each bundled multilingual embedder, embeddings-<name>.npy (the
    default fusion is put together from them), so `make run` and the tests never run the model for the
    demo bank. Another embedder (MiniLM, a local folder) re-embeds the bank once, with progress."""
    import numpy as np

    sys.path.insert(0, str(HERE.parent.parent))
    from mlcore.embed import E5, USE, embedder, texts_digest

    items = json.loads((HERE / "index.json").read_text())
    texts = [texts_of(item) for item in items]
    per = len(texts[0])
    assert all(len(group) == per for group in texts)
    files = {name: f"embeddings-{name}.npy" for name in (E5, USE)}
    for name, filename in files.items():
        vectors = embedder(name).encode([t for group in texts for t in group])
        np.save(HERE / filename, vectors.reshape(len(items), per, -1).astype(np.float16))
    meta = {"texts_sha256": texts_digest(texts), "texts_per_picture": per, "files": files}
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
                "hypotheses": hypotheses_for(name, businesses_for(name, words, group)),
                "has_text": has_text(name, group),
                "status": "pending" if name in PENDING else "approved",
            }
        )
    annotations = russian_annotations(source)
    write_index([with_russian(item, annotations) for item in items])
    print(f"{len(items)} pictures written to {target}")


def retext(source: Path) -> None:
    """Write the texts of index.json again (after a change to BUSINESSES or the translations), keeping
    the pictures, their names and their flags."""
    emoji_data = json.loads((source / "unicode-emoji-json-0.9.0/package/data-by-emoji.json").read_text())
    keywords = json.loads((source / "emojilib-4.0.3/package/dist/emoji-en-US.json").read_text())
    by_code = {}
    for emoji in emoji_data:
        by_code[_code(emoji)] = by_code[_code(emoji).replace("-fe0f", "")] = emoji
    annotations = russian_annotations(source)
    items = []
    for item in json.loads((HERE / "index.json").read_text()):
        words = keywords.get(by_code[Path(item["file"]).stem], [])[1:]
        name, group = item["name"], item["group"]
        english = {
            **item,
            "caption": caption_for(name, words, group),
            "hypotheses": hypotheses_for(name, businesses_for(name, words, group)),
        }
        items.append(with_russian(english, annotations))
    write_index(items)


def write_index(items: list[dict]) -> None:
    (HERE / "index.json").write_text(json.dumps(items, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    if sys.argv[1:] == ["--embed"]:
        embed()
    elif sys.argv[1:2] == ["--texts"]:
        retext(Path(sys.argv[2]))
    else:
        main(Path(sys.argv[1]))
