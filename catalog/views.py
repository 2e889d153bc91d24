"""Designer pages of the catalog: preview what a bank search returns."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import permission_required
from django.shortcuts import render

from catalog.models import Product
from catalog.search import SearchUnavailable, bank_search, search_query_for
from catalog.selectors import bank_images_by_id


class SearchPreviewForm(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.all(), required=False)
    product_text = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Or describe a product that is not in the catalog.",
    )
    description = forms.CharField(required=False, max_length=500, label="Picture description")
    seed = forms.IntegerField(initial=1)

    def clean(self):
        data = super().clean()
        if not data.get("product") and not data.get("product_text", "").strip():
            raise forms.ValidationError("Choose a product or describe one.")
        return data


@permission_required("catalog.change_bankimage")
def bank_search_preview(request):
    form = SearchPreviewForm(request.GET or None)
    results, chosen, error = [], None, ""
    if form.is_valid():
        data = form.cleaned_data
        query = search_query_for(product=data["product"], text=data["product_text"], description=data["description"])
        try:
            found = bank_search(query=query, k=20, seed=data["seed"] or 0)
        except SearchUnavailable as exc:
            error = str(exc)
        else:
            images = bank_images_by_id([hit.image_id for hit in found.hits])
            results = [(hit, images[hit.image_id]) for hit in found.hits]
            chosen = found.chosen.image_id if found.chosen else None
    return render(
        request, "catalog/search_preview.html", {"form": form, "results": results, "chosen": chosen, "error": error}
    )
