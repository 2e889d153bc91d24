"""RQ entry points of the catalog app."""

from __future__ import annotations

from catalog import search, services
from catalog.models import BankImage


def texts_embed(texts: list[str]) -> list[list[float]]:
    return search.texts_embed(texts).tolist()


def bank_index_images(image_ids: list[int], recaption: bool = False) -> dict[str, int]:
    from catalog.vlm import vlm_client

    images = BankImage.objects.filter(pk__in=image_ids).order_by("pk")
    return services.bank_index(images=images, vlm=vlm_client(), recaption=recaption)


def style_training_run(options: dict) -> list[str]:
    from catalog.training import style_training_run as run

    return [adapter.name for adapter in run(**options)]


def stock_shot_draw(shot_id: int) -> str:
    from catalog.stock import stock_shot_draw as draw

    return draw(shot_id=shot_id)
