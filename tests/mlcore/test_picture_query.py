"""The bank query is built from everything the marketer gave, the offer's subject weighing most."""

import json

import pytest

from mlcore.picture_query import GLOSSARY, _glossed, offer_subject, picture_query, ru_compound


@pytest.mark.parametrize(
    "offer, subject",
    [
        ("Кофейня «Зерно»: второй капучино в подарок до 11:00", "Кофейня кофе капучино"),  # not the brand
        ("Get 20% off your first ride with code CITY20", "ride"),
        ("Скидка 20% на такси до аэропорта по промокоду CITY20", "такси аэропорта"),
        ("Доставка пиццы за 30 минут или бесплатно", "Доставка пиццы"),
        ("Доставка суши за 30 минут", "Доставка суши"),  # «суши»: «сушить» as likely as sushi, per pymorphy3
        ("Стали лучше: новые кроссовки", "кроссовки"),  # «стали»: «стать» far likelier than steel
        ("Абонемент в бассейн на 3 месяца со скидкой 15%", "Абонемент бассейн"),
        ("Buy one pizza, get the second free", "pizza"),
        ("«Папа Пицца»: 2 пиццы по цене одной", "пиццы"),
        ("Откройте вклад под 18% годовых до конца месяца", "банковский вклад, сбережения, деньги в банке"),
        ("Парк аттракционов: безлимитный браслет за 1990 ₽", "Парк аттракционов безлимитный браслет"),
        ("Fresh flowers delivered in 2 hours, free delivery over $50", "Fresh flowers delivered delivery"),
        ("Ипотека: ставка от 5,9% на весь срок", "Ипотека"),  # a rate and a term are not pictures
        ("Mortgage rates from 4.9%, no fees", "Mortgage"),
        ("Приведи друга — получи 500 ₽", ""),  # nothing a picture shows: the product's picture then
        ("Новинка: флэт уайт на овсяном", "кофе с молоком овсяном"),
        ("Роллы с доставкой до двери", "суши роллы доставкой"),  # not a door
        ("Кофемашины в рассрочку, с гарантией 2 года", "Кофемашины"),  # how it is paid for and kept
        ("Настольные игры для всей семьи", "Настольные игры"),
        ("Блинная в центре города", "Блинная"),  # where it is, not what
        ("Пицца за полцены по вторникам", "Пицца"),  # nor when
        ("Дискотека 80-х в эту субботу", "Дискотека"),  # a pronoun is not a thing
        ("Упаковка подарков в ТЦ «Галерея»", "Упаковка подарков"),  # where it is sold
        ("ТЦ «Мега»: распродажа до 50%", "торговый центр, покупки"),  # what is sold
        ("Сертификат в подарок", "Сертификат"),  # «в подарок» says how; «подарков» is what
        ("Fresh oysters $1 each every Tuesday at The Pearl", "Fresh oysters"),  # a venue is not a pearl
        ("Succulents and cacti from $5 at Green Corner", "Succulents cacti"),
        ("Fresh Oysters At The Pearl", "Fresh Oysters Pearl"),  # in Title Case a capital says nothing
        ("Try it free for 14 days. No credit card required.", ""),  # what it is without is not a picture
        ("Кофе без сахара и круассаны", "Кофе круассаны"),
        ("Каршеринг от 7,9 ₽/мин", "аренда автомобиля поминутно, машина"),  # a unit is not a thing
        ("Please design a banner for a law firm", "law firm"),  # what is asked for is not the ad's subject
        ("Сделай баннер для пиццерии", "пиццерии"),
        # a street, not a garden
        ("Шиномонтаж на Садовой: сезонная замена шин", "Шиномонтаж сезонная замена автомобильные шины, колёса"),
        ("Садовые качели", "Садовые качели"),  # a capital that starts the offer says nothing
        ("Same-day courier across Manchester", "Same-day parcel delivery, courier"),
        ("Call now for a free quote on roof repairs", "roof repairs"),  # a call to action is not a phone
        ("Hurry! Last chance to book your summer holiday", "summer holiday"),  # nor crowds the subject out
        ("Shop our winter coats, while stocks last", "winter coats"),
        ("Book club: sign up for autumn", "book club, books autumn"),  # a book is still a book
        ("Mobile dog grooming: we come to you", "dog grooming"),  # "mobile" as in "comes to you"
        ("Mobile repairs while you wait", "mobile phone repair"),
        ("Кэшбэк 5% на всё в кафе и ресторанах до конца декабря", "Кэшбэк кафе ресторанах"),  # a date is a time
        ("Pick your own strawberries, open daily June to August", "Pick strawberries"),
    ],
)
def test_the_subject_is_what_is_sold_without_promo_words_figures_and_names(offer, subject):
    assert offer_subject(offer) == subject


@pytest.mark.parametrize(
    "offer, subject",
    [
        ("ДМС для сотрудников со скидкой", "медицинская страховка, врач сотрудников"),  # an abbreviation
        ("Выгодное ОСАГО онлайн", "автостраховка, машина"),
        ("то, что нужно: капучино", "кофе капучино"),  # «то» in lower case is not ТО (car service)
        ("Тыквенный латте и чизкейк", "Тыквенный кофе латте торт, десерт"),  # loanwords read as «капкейк», a llama
        ("Чёрная пятница: скидки до 70% на всё", "распродажа, пакеты с покупками"),  # an idiom, any case
        ("Чёрной пятницей не пропустите обувь", "распродажа, пакеты с покупками обувь"),  # its lemmas
        ("Коттеджи в 15 км от МКАД с газом", "Коттеджи газом"),  # a place is not a picture
        ("Ремонт квартир под ключ", "Ремонт квартир"),  # not a key
        ("Black Friday: 50% off everything", "shopping bags, sale"),
        ("Скидка на ски-пассы в Шерегеш", "горные лыжи Шерегеш"),  # a glossed compound, inflected
        ("Суши и роллы со скидкой 30%", "суши роллы"),  # «роллы»'s gloss names sushi: not said twice
        ("онлайн-аптека: доставка за час", "онлайн аптека доставка"),  # a compound split at its hyphen
        ("e-bike rental", "e-bike rental"),  # not in English
        ("Кейтеринг для корпоративов", "выездной банкет, еда на праздник корпоративов"),  # a loanword
        ("Шкафы-купе на заказ", "шкаф для одежды с раздвижными дверями"),
        ("Франшиза ПВЗ", "Франшиза пункт выдачи заказов, посылки"),  # all caps only
        ("Бизнес-ланчи от 350 ₽", "обед, тарелка с едой"),  # a loanword pymorphy3 does not know, inflected
        ("Бранчи по выходным", "поздний завтрак, вафли, яичница"),  # met by its stem
        ("Скидки, пока не закончились: пицца", "пицца"),  # «пока» is not «поке», though a guess made it so
        ("Поке с лососем", "рис с рыбой в миске лососем"),
        ("Мёд с пасеки", "пчёлы, мёд, улей"),  # a word the gloss says already is not said again
        ("Сплавы по рекам Карелии", "сплав по реке на лодке, байдарка Карелии"),  # rafting ...
        ("Алюминиевый сплав оптом", "Алюминиевый сплав"),  # ... not an alloy
        ("Шампунь и кондиционер для волос", "Шампунь бальзам для волос, уход за волосами"),  # not an air conditioner
        ("Ретро автомобили напрокат", "Ретро автомобили напрокат"),  # a known word is not met by stem («ретрит»)
        ("Займ до 30 000 ₽ на карту за 5 минут", "займ, деньги"),  # not a credit card: how it is paid
        ("Коворкинг в центре", "коворкинг, общий офис, ноутбук"),  # not a cow, and not where
        ("Йога-студия в центре", "йога, медитация, цветок лотоса студия"),  # a compound's first part is a key
        ("Flat white and a croissant", "coffee, hot coffee cup croissant"),  # UK trade words: not a flat shoe
        ("Bank holiday weekend: 20% off garden furniture", "garden furniture"),  # when, not a bank
        ("Plumbing LLC: emergency call-outs", "Plumbing emergency call-outs"),  # a company's legal form
        ("Аренда PS5 на выходные", "Аренда игровая приставка, джойстик"),  # a Latin name in a Russian offer
        ("Christmas hampers with local cheese", "Christmas gift basket, food basket local cheese"),  # a plural key
        ("Ute hire in Brisbane", "pickup truck hire"),
        ("Ульи и пчелопакеты", "улей, пчёлы, мёд пчелопакеты"),  # the key «улей», read likelier as a form of «уля»
        ("Fresh haddock and chips", "Fresh haddock, fish chips"),  # not a hedgehog
        ("Защитные стёкла на айфон", "защитное стекло для смартфона, смартфон"),  # a gloss said already
        ("Охлаждённая форель из Мурманска", "Охлаждённая рыба форель Мурманска"),  # not falafel
        # a gloss at the end («Клининг») stands where its word first stood, before the subject's four words run out
        (
            "Генеральная уборка квартиры после ремонта, своя химия. Клининг «Чистый дом»",
            "Генеральная уборка помещений, швабра, ведро квартиры ремонта",
        ),
    ],
)
def test_abbreviations_and_idioms_are_said_in_plain_words(offer, subject):
    assert offer_subject(offer) == subject


def test_every_glossary_entry_is_found_as_written():
    """A key whose words lemmatize otherwise than an offer's would never match («шкаф-купе» is not
    how «шкафы-купе» lemmatizes: its first part stays as typed)."""
    entries = json.loads(GLOSSARY.read_text(encoding="utf-8"))
    for lang in ("ru", "en"):
        for key, gloss in entries[lang].items():
            glosses, rest = _glossed(key, lang)
            assert ([g for _, g in glosses], rest.strip()) == ([gloss] if gloss else [], ""), key


@pytest.mark.parametrize(
    "word, said",
    [
        ("Ветаптека", "ветеринарная аптека"),  # else a herb: «аптека» alone
        ("медцентр", "медицинский центр"),  # else a honey pot: «мёд»
        ("зоотовары", "товары для животных"),  # else a sauropod: «зоо»
        ("стройрынок", "строительный рынок"),  # inanimate: not «строительного»
        ("электросамокатов", "электрических самокатов"),  # agreeing in number and case
        ("хозтовары", ""),  # in pymorphy3's dictionary: left whole
        ("госуслуги", ""),
        ("зоопарк", ""),
        ("спортсмен", ""),
        ("гостиной", ""),
    ],
)
def test_a_compound_cut_from_an_adjective_is_said_in_full(word, said):
    assert ru_compound(word) == said


def test_a_compound_counts_as_one_subject_item():
    # «у дома» says where, not what
    assert offer_subject("Ветаптека у дома: корма и лекарства") == "ветеринарная аптека корма лекарства"
    assert offer_subject("Круглосуточная ветклиника для кошек и собак") == (
        "Круглосуточная ветеринарная клиника кошек собак"
    )


def test_english_lessons_are_not_an_english_pin():
    # «английская булавка» is a safety pin: «Уроки английского» drew one before the glossary said «языка»
    assert offer_subject("Уроки английского онлайн: первое занятие бесплатно") == (
        "уроки английского языка, учебник занятие"
    )
    assert offer_subject("Курсы английского для детей").startswith("курсы английского языка")
    assert offer_subject("Английский завтрак весь день") == "Английский завтрак"  # the breakfast stays


def test_the_head_of_the_subject_weighs_on_its_own():
    query = picture_query(product="Страховая", offer="Страхование квартиры от залива и пожара")
    # an offer that says no more than its subject is searched once, as typed, with both their weights
    assert query.parts[0] == ("Страхование квартиры от залива и пожара", pytest.approx(0.5))
    assert query.parts[1] == ("Страхование", pytest.approx(0.2))
    assert query.description == "Страхование квартиры от залива и пожара"  # stage 2 too: one text to embed
    assert len(set(query.texts)) == 3  # with the product's name
    query = picture_query(product="Страховая", offer="Страхование квартиры от пожара: скидка 20% до пятницы")
    assert [text for text, _ in query.parts[:2]] == ["Страхование квартиры пожара", "Страхование"]
    assert query.parts[-1] == ("Страхование квартиры от пожара: скидка до пятницы", pytest.approx(0.2))
    assert picture_query(offer="Картридж").parts[0][0] == "картридж для принтера, принтер"  # a gloss says more


@pytest.mark.parametrize(
    "offer, head",
    [
        ("Уроки плавания для детей", "плавания"),  # lessons are not a picture, swimming is
        ("Услуги няни на час", "няни"),
        ("Курсы вождения для новичков", "вождения"),
        ("Driving lessons for new drivers", "Driving"),
        ("Car rental at the airport", "Car"),
        ("Ремонт часов любой сложности", "часов"),  # a watch, though «часов» is most often hours
        ("Курсы и уроки", "Курсы"),  # nothing else to take
        ("Мастер-класс по каллиграфии для взрослых", "каллиграфии"),  # a hyphenated kind of service
        ("Упаковка подарков в ТЦ", "подарков"),  # not the shopping mall, glossed at the end
        ("Франшиза ПВЗ", "пункт выдачи заказов, посылки"),
        ("Онлайн-курсы рисования для подростков", "рисования"),  # a compound ending in one
        ("Fresh trout from Scotland, delivered in 24 hours", "trout, fish"),  # how fresh is not what
        ("Охлаждённая форель из Мурманска", "рыба форель"),  # a participle
        ("Свежая клубника с грядки", "клубника"),  # a qualitative adjective
        ("Зимние куртки для всей семьи", "куртки"),  # a season says when, not what: no snowman
        ("Winter tyres fitted while you wait", "car tyres, wheel"),
        ("Детский сад у дома", "Детский"),  # a relational one names the kind of thing, and stays
    ],
)
def test_the_head_is_not_a_kind_of_service(offer, head):
    assert dict(picture_query(offer=offer).parts).get(head) == pytest.approx(0.2 / 0.7)


def test_hours_are_still_not_a_subject():
    assert offer_subject("Скидки каждые три часа на кофе") == "кофе"
    assert offer_subject("Ремонт часов за час") == "Ремонт часов"


def test_weights_and_stage_two_text():
    query = picture_query(product="Кофейня Зерно", description="Кофе и выпечка", offer="Второй капучино в подарок")
    assert query.parts[0] == ("кофе капучино", pytest.approx(0.5))
    assert [round(w, 2) for _, w in query.parts] == [0.5, 0.2, 0.1, 0.2] and query.description == "кофе капучино"
    assert query.description_weight == pytest.approx(0.6)  # the subject stands in for a description
    written = picture_query(product="Cafe", offer="Free cappuccino", slot_description="a latte with foam art")
    assert written.description == "a latte with foam art"  # the marketer's slot description wins
    assert written.description_weight == pytest.approx(0.75)
    assert (
        picture_query(offer="Free cappuccino", llm_description="a cup of cappuccino").description
        == "a cup of cappuccino"
    )


def test_what_the_product_is_joins_both_stages_unless_a_description_is_written():
    query = picture_query(
        product="Такси «Быстро»",
        description="Городское такси за 5 минут. Оплата картой.",
        industry="transport",
        offer="Приведи друга",
    )
    assert query.product_gist == "Такси, transport. Городское такси за."  # no brand, no figures
    assert dict(query.parts)[query.product_gist] == pytest.approx(0.2)
    assert query.texts[-1] == query.product_gist  # embedded for stage 2 too
    written = picture_query(product="Такси", offer="Приведи друга", slot_description="a yellow car")
    assert written.product_gist == "" and written.texts[-1] == "a yellow car"
    assert picture_query(offer="Приведи друга").product_gist == ""  # no product, nothing to add


def test_figures_never_reach_the_search():
    query = picture_query(product="Bank", offer="Cashback 5% until 31.12, code SAVE5, call +7 999 123-45-67")
    assert all("5%" not in text and "SAVE5" not in text and "31.12" not in text for text in query.texts)


def test_a_product_alone_still_gives_a_query():
    query = picture_query(product="Pet shop", description="Food and toys for cats and dogs")
    assert query.subject == "Pet shop" and query.parts[0][0] == "Pet shop"


def test_an_offer_naming_only_a_kind_of_service_is_searched_with_the_product():
    query = picture_query(offer="Бесплатная доставка и примерка", product="Обувь «Шаг»")
    assert query.subject == "Обувь"  # not «доставка»: a parcel for a shoe shop
    assert picture_query(offer="Доставка за час").subject == "Доставка"  # with nothing else to go by
