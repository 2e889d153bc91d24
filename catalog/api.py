"""Catalog endpoints: products (read-only for scripts)."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from adgenesis.api import ServiceUnavailable
from catalog.models import BrandKit, Product
from catalog.search import SearchUnavailable, bank_search, search_query_for
from catalog.selectors import bank_images_by_id


class BrandKitSerializer(serializers.ModelSerializer):
    class Meta:
        model = BrandKit
        fields = ["id", "name", "colors", "heading_font", "body_font", "approval_required"]


class ProductSerializer(serializers.ModelSerializer):
    brand_kit = BrandKitSerializer(read_only=True)

    class Meta:
        model = Product
        fields = ["id", "slug", "name", "industry", "description", "brand_kit"]


class ProductViewSet(viewsets.ReadOnlyModelViewSet):
    """Products marketers make banners for, with their brand kits."""

    queryset = Product.objects.select_related("brand_kit")
    serializer_class = ProductSerializer


class BankSearchQuery(serializers.Serializer):
    product = serializers.CharField(
        max_length=2000,
        help_text="A product id, or what is advertised in a marketer's words (an offer, a product): searched as "
        "the banner pipeline searches, its subject weighing most",
    )
    q = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", help_text="What the picture should show"
    )
    k = serializers.IntegerField(min_value=1, max_value=50, default=10)
    seed = serializers.IntegerField(default=0)


class BankHitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    caption = serializers.CharField()
    caption_translation = serializers.CharField()
    hypotheses = serializers.ListField(child=serializers.CharField())
    score = serializers.FloatField()


class BankSearchView(APIView):
    """Two-stage text-only search of the picture bank (seed 003); `chosen` is the seeded draw."""

    @extend_schema(
        parameters=[BankSearchQuery],
        responses={
            200: inline_serializer(
                "BankSearchResults",
                {"results": BankHitSerializer(many=True), "chosen": serializers.IntegerField(allow_null=True)},
            )
        },
    )
    def get(self, request):
        query = BankSearchQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        product, text = _product(data["product"])
        query = search_query_for(product=product, text=text, description=data["q"])
        try:
            found = bank_search(query=query, k=data["k"], seed=data["seed"])
        except SearchUnavailable as error:
            raise ServiceUnavailable(str(error)) from None
        images = bank_images_by_id([hit.image_id for hit in found.hits])
        results = [
            {
                "id": hit.image_id,
                "url": request.build_absolute_uri(images[hit.image_id].file.url),
                "caption": images[hit.image_id].caption,
                "caption_translation": images[hit.image_id].caption_translation,
                "hypotheses": images[hit.image_id].hypotheses,
                "score": round(hit.score, 4),
            }
            for hit in found.hits
        ]
        return Response({"results": results, "chosen": found.chosen.image_id if found.chosen else None})


def _product(value: str) -> tuple[Product | None, str]:
    """A product id → the product; anything else is what the marketer typed."""
    if value.strip().isdigit():
        product = Product.objects.filter(pk=int(value)).first()
        if product is None:
            raise serializers.ValidationError({"product": [f"product: no product {value}"]})
        return product, ""
    return None, value
