"""Two-stage text-only bank search on the shipped demo bank (1,238 pictures, real embeddings)."""

import json

import numpy as np
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from catalog.models import BankImage, ImageText
from catalog.selectors import _STAGE1, _TEXTS_ESTIMATE, _vector, bank_rank, bank_sample, ef_search
from catalog.services import demo_bank_load
from mlcore.embed import embedder

DEMO = settings.BASE_DIR / "catalog" / "demo_bank"
PRODUCTS = {
    "taxi": "SwiftRide is a city taxi service with cars arriving in five minutes. Riders book in the app and see "
    "a fixed price before the trip.",
    "pizza": "Napoli Express bakes Neapolitan pizza in stone ovens and delivers it hot in thirty minutes.",
    "card": "Aurora is a debit card that returns up to five percent cashback on everyday purchases.",
    "mortgage": "HomeStart is a mortgage for first-time buyers with a down payment from ten percent.",
    "parcel": "ParcelGo delivers parcels between cities in one to three days, tracked and insured.",
    "fitness": "PulseFit is a fitness app with short home workouts that need no equipment.",
    "school": "Lingvo is an online school of English, German and Spanish for adults.",
    "grocery": "GreenLeaf delivers fresh groceries from local farms in two hours.",
    "cloud": "CloudNest offers cloud servers for small businesses and developers.",
    "travel": "Voyager Travel sells package holidays to the seaside, mountains and city breaks.",
    "coffee": "A chain of coffee shops that roast their own beans and serve espresso and pastries.",
    "telecom": "A mobile operator with unlimited internet on every plan and free number transfer.",
}
CASES = [  # product, picture description, acceptable pictures in the top 5
    ("taxi", "", {"taxi", "oncoming taxi"}),
    ("pizza", "", {"pizza"}),
    ("coffee", "", {"hot beverage", "teacup without handle"}),
    ("parcel", "", {"package", "delivery truck"}),
    ("taxi", "a yellow cab", {"taxi", "oncoming taxi"}),
    ("pizza", "a pizza with cheese", {"pizza"}),
    ("card", "a credit card", {"credit card"}),
    ("card", "a bag of money", {"money bag"}),
    ("mortgage", "a house with a garden", {"house with garden"}),
    ("mortgage", "a key", {"key", "old key"}),
    ("parcel", "a cardboard box", {"package"}),
    ("parcel", "a delivery truck", {"delivery truck"}),
    ("fitness", "a running shoe", {"running shoe"}),
    ("fitness", "a gold trophy", {"trophy"}),
    ("school", "a stack of books", {"books"}),
    ("school", "a graduation cap", {"graduation cap"}),
    ("grocery", "a red apple", {"red apple"}),
    ("grocery", "a shopping cart", {"shopping cart"}),
    ("cloud", "a laptop computer", {"laptop"}),
    ("travel", "a beach with an umbrella", {"beach with umbrella"}),
    ("travel", "an airplane", {"airplane"}),
    ("coffee", "a croissant", {"croissant"}),
    ("telecom", "a mobile phone", {"mobile phone"}),
    ("pizza", "a hamburger", {"hamburger"}),
]


@pytest.fixture(scope="module")
def demo_bank(django_db_setup, django_db_blocker):
    """The demo bank in the test database for this module only (rolled back afterwards)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        demo_bank_load(folder=DEMO)
        yield {image.name: image.pk for image in BankImage.objects.all()}
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture(scope="module")
def encode():
    model = embedder(settings.EMBEDDER)
    return lambda text: model.encode([text])[0]


def _top_names(demo_bank, hits, n=5):
    names = {pk: name for name, pk in demo_bank.items()}
    return [names[hit.image_id] for hit in hits[:n]]


def test_expected_picture_is_in_the_top_5_for_at_least_90_percent(db, demo_bank, encode):
    found = []
    for product, description, expected in CASES:
        hits = bank_rank(product=encode(PRODUCTS[product]), description=encode(description) if description else None)
        found.append(bool(expected & set(_top_names(demo_bank, hits))))
    misses = [case for case, ok in zip(CASES, found, strict=True) if not ok]
    assert len(CASES) >= 20
    assert sum(found) / len(found) >= 0.9, misses


def test_stage_two_follows_the_description(db, demo_bank, encode):
    product = encode(PRODUCTS["grocery"])
    apple = _top_names(demo_bank, bank_rank(product=product, description=encode("a red apple")), 1)
    cart = _top_names(demo_bank, bank_rank(product=product, description=encode("a shopping cart")), 1)
    assert apple != cart


def test_stage_one_uses_the_hnsw_index(db, demo_bank, encode):
    params = {"product": _vector(encode("taxi")), "candidates": 900, "images": 300}
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + _STAGE1, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "imagetext_hypothesis_hnsw" in plan


def test_sampling_is_seeded_and_stays_in_the_top_10(db, demo_bank, encode):
    hits = bank_rank(product=encode(PRODUCTS["fitness"]), description=encode("sports"), k=30)
    top10 = {hit.image_id for hit in hits[:10]}
    draws = [bank_sample(hits, seed=seed).image_id for seed in range(40)]
    assert bank_sample(hits, seed=7) == bank_sample(hits, seed=7)
    assert set(draws) <= top10
    assert len(set(draws)) >= 2
    best = sum(draw == hits[0].image_id for draw in draws)
    assert best >= max(sum(draw == hit.image_id for draw in draws) for hit in hits[5:10])  # the best most often


def test_flagged_and_rejected_pictures_are_never_found(db, demo_bank, encode):
    product = encode(PRODUCTS["taxi"])
    taxi = demo_bank["taxi"]
    assert taxi in {hit.image_id for hit in bank_rank(product=product, k=10)}
    BankImage.objects.filter(pk=taxi).update(has_text=True)
    assert taxi not in {hit.image_id for hit in bank_rank(product=product, k=50)}
    BankImage.objects.filter(pk=taxi).update(has_text=False, status=BankImage.Status.REJECTED)
    assert taxi not in {hit.image_id for hit in bank_rank(product=product, k=50)}


def test_demo_bank_is_large_and_curated(db, demo_bank):
    assert BankImage.objects.count() >= 1000
    assert BankImage.objects.searchable().count() >= 1000
    assert BankImage.objects.filter(status=BankImage.Status.PENDING).exists()  # e.g. cigarette, bomb
    assert BankImage.objects.filter(has_text=True).exists()  # keycaps, "NEW" buttons
    assert demo_bank_load(folder=DEMO) == 0  # idempotent


SCRIPT_QUERIES = [  # typed as a script's `product` to /api/v1/bank/search, acceptable pictures in the top 5
    ("кофе с собой", {"hot beverage"}),
    ("онлайн-аптека", {"pill", "medical symbol"}),
    ("чёрная пятница скидки до 70%", {"shopping bags", "shopping cart", "label"}),
    ("Пельмени ручной лепки", {"dumpling"}),
    ("Курсы игры на фортепиано", {"musical keyboard"}),
    ("Suitcases on sale before your holiday", {"luggage", "left luggage"}),
    ("EV charging stations", {"electric plug", "battery"}),
]


SERVICE_QUERIES = [  # services the demo bank's hypotheses did not name (they missed)
    ("ломбард", {"gem stone", "crown", "money bag", "coin", "ring"}),
    ("квест-комната", {"old key", "puzzle piece", "key"}),
    ("escape room", {"old key", "puzzle piece", "key"}),
    ("микрозаймы до зарплаты", {"money bag", "coin", "money with wings", "dollar banknote"}),
    ("страхование жизни", {"shield", "ring buoy"}),
]
WORD_QUERIES = [  # a subject pymorphy3 reads as a verb as often as a noun: «суши» was dropped for «сушить»
    ("Доставка суши за 30 минут", {"sushi", "bento box", "rice ball"}),
]


@pytest.mark.parametrize("text, expected", SCRIPT_QUERIES + SERVICE_QUERIES + WORD_QUERIES)
def test_free_text_is_searched_as_the_pipeline_searches_an_offer(db, demo_bank, settings, text, expected):
    """The API once embedded the free text whole for stage 1 alone: the script queries missed their
    pictures; the service queries missed them before the demo bank named those services."""
    from catalog.search import bank_search, search_query_for

    settings.EMBED_IN_PROCESS = True
    found = bank_search(query=search_query_for(text=text), k=5)
    assert expected & set(_top_names(demo_bank, found.hits)), _top_names(demo_bank, found.hits)


def test_a_product_id_searches_with_what_the_product_is(db, demo_bank, settings):
    from catalog.models import Product
    from catalog.search import search_query_for

    product = Product(name="Кофейня «Зерно»", description="Сеть кофеен. Эспрессо и выпечка.", industry="food")
    query = search_query_for(product=product, description="a croissant")
    assert query.description == "a croissant" and query.product_gist == ""  # a written description rules
    assert search_query_for(text="20%").parts == (("20%", 1.0),)  # nothing but a figure: searched as typed


def test_designers_preview_searches_as_the_pipeline(db, demo_bank, settings, designer, client):
    settings.EMBED_IN_PROCESS = True
    client.force_login(designer)
    page = client.get("/bank/search/", {"product_text": "кофе с собой", "seed": 1})
    assert page.status_code == 200
    assert "hot beverage" in page.content.decode()


def test_the_hnsw_scan_is_as_wide_as_the_candidates_unless_the_operator_widens_it(settings):
    assert ef_search(150) == 150
    settings.BANK_EF_SEARCH = 300
    assert ef_search(150) == 300
    settings.BANK_EF_SEARCH = 100  # never narrower than the candidates: HNSW returns at most ef_search rows
    assert ef_search(150) == 150


def _exact_stage1(products, k=10, candidates=150):
    """Stage 1 in NumPy from the stored vectors: the nearest `candidates` hypotheses of the whole bank,
    then the searchable pictures among them by their best hypothesis."""
    rows = list(ImageText.objects.filter(kind="hypothesis").values_list("bank_image_id", "embedding"))
    vectors = np.stack([np.asarray(vector) for _, vector in rows])
    searchable = set(BankImage.objects.searchable().values_list("pk", flat=True))
    ranked = []
    for product in products:
        similarity = vectors @ product
        best = {}
        for index in np.argsort(-similarity)[:candidates]:
            image = rows[index][0]
            if image in searchable and image not in best:
                best[image] = similarity[index]
        ranked.append(sorted(best, key=best.get, reverse=True)[:k])
    return ranked


def test_a_bank_under_the_exact_limit_is_searched_exactly(db, demo_bank, encode, settings):
    """HNSW graphs differ from build to build: on the demo bank "escape room" lost its puzzle piece in
    16 of 40 parallel builds. A bank of fewer texts than settings.BANK_EXACT_BELOW skips the index, so
    every install finds the same pictures, those a scan of every hypothesis finds."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_TEXTS_ESTIMATE}")
        assert cursor.fetchone()[0] < settings.BANK_EXACT_BELOW  # 14,856 texts
    products = [encode(text) for text in ("escape room", "квест-комната", "кофе навынос")]
    for product, exact in zip(products, _exact_stage1(products), strict=True):
        with CaptureQueriesContext(connection) as queries:
            hits = bank_rank(product=product)
        assert [hit.image_id for hit in hits] == exact
        assert any("enable_indexscan = off" in query["sql"] for query in queries)
    settings.BANK_EXACT_BELOW = 0
    with CaptureQueriesContext(connection) as queries:
        bank_rank(product=encode("escape room"))
    assert not any("enable_indexscan" in query["sql"] for query in queries)


def test_the_hnsw_index_finds_what_an_exact_scan_finds(db, demo_bank, encode, settings):
    """The path of a bank over the limit, on the demo bank's graph: its top 10 against exact search's."""
    texts = [text for text, _ in SCRIPT_QUERIES + SERVICE_QUERIES + WORD_QUERIES] + list(PRODUCTS.values())
    overlap, limit = [], settings.BANK_EXACT_BELOW
    for text in texts:
        vector = encode(text)
        exact = {hit.image_id for hit in bank_rank(product=vector, description=vector)}
        settings.BANK_EXACT_BELOW = 0
        found = {hit.image_id for hit in bank_rank(product=vector, description=vector)}
        settings.BANK_EXACT_BELOW = limit
        overlap.append(len(found & exact) / len(exact))
    assert np.mean(overlap) >= 0.95, dict(zip(texts, overlap, strict=True))


def test_bank_vectors_stay_in_the_table_when_the_embedder_changes_their_width(db):
    from catalog.services import embedding_column_fit

    def storage():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT attstorage, atttypmod FROM pg_attribute"
                " WHERE attrelid = 'catalog_imagetext'::regclass AND attname = 'embedding'"
            )
            return cursor.fetchone()

    assert storage() == ("m", 896)
    assert embedding_column_fit(384)
    assert storage() == ("m", 384)  # ALTER COLUMN ... TYPE had reset it to pgvector's out-of-line default
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_maintenance_workers")  # the graphs were built by one process
        assert cursor.fetchone()[0] == "0"


def test_the_render_gallery_shows_the_pictures_the_pipeline_would_choose(db, demo_bank, tmp_path):
    offers = tmp_path / "offers.json"
    offers.write_text(
        json.dumps({"en": ["Two large pizzas for $19"], "ru": [{"offer": "Второй капучино в подарок"}]}),
        encoding="utf-8",
    )
    call_command("render_gallery", out=str(tmp_path / "out"), offers=str(offers), formats=["square"], layouts=1)
    page = (tmp_path / "out" / "index.html").read_text()
    assert "picture: pizza, searched for" in page
    assert any(f"picture: {name}, searched for" in page for name in ("hot beverage", "teacup without handle"))
    assert len(list((tmp_path / "out").glob("*.png"))) == 2


@pytest.mark.parametrize(
    "content, message",
    [
        ("[1, 2]", "expected"),
        ("{not json", "cannot read it as JSON"),
        ('{"en": [{"product": "x"}]}', "en offer 1 has no text"),
        ('{"ru": "кофе"}', "'ru' must be a list"),
    ],
)
def test_the_render_gallery_says_what_is_wrong_with_an_offers_file(tmp_path, content, message):
    offers = tmp_path / "offers.json"
    offers.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        call_command("render_gallery", out=str(tmp_path / "out"), offers=str(offers))


def test_the_render_gallery_names_the_formats_it_knows(tmp_path):
    with pytest.raises(CommandError, match="unknown format square-ish; known: display-160x600"):
        call_command("render_gallery", out=str(tmp_path / "out"), formats=["square-ish"])
