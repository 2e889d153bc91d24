"""Catalog endpoints: products (read-only for scripts)."""

from rest_framework import serializers, viewsets

from catalog.models import BrandKit, Product


class BrandKitSerializer(serializers.ModelSerializer):
    class Meta:
        model = BrandKit
        fields = ["id", "name", "colors", "heading_font", "body_font"]


class ProductSerializer(serializers.ModelSerializer):
    brand_kit = BrandKitSerializer(read_only=True)

    class Meta:
        model = Product
        fields = ["id", "slug", "name", "industry", "description", "brand_kit"]


class ProductViewSet(viewsets.ReadOnlyModelViewSet):
    """Products marketers make banners for, with their brand kits."""

    queryset = Product.objects.select_related("brand_kit")
    serializer_class = ProductSerializer
