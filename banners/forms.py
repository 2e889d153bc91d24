"""Forms of the marketer pages; validation messages appear next to the field, nothing typed is lost."""

from __future__ import annotations

from django import forms
from django.conf import settings

from banners.imaging import ai_unavailable_reason
from banners.models import LAYOUT_CHOICES, PLATFORM_CHOICES, Format, ImageMode, Tone
from catalog.models import Product


class GenerateForm(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.all(), empty_label=None)
    offer = forms.CharField(
        max_length=settings.MAX_OFFER_CHARS,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "e.g. Rides 20% off this weekend with code CITY20"}),
        help_text="Numbers, prices and dates in the offer are kept in the texts.",
    )
    formats = forms.ModelMultipleChoiceField(
        queryset=Format.objects.active(),
        widget=forms.CheckboxSelectMultiple,
        help_text="One offer → every chosen format.",
    )
    tone = forms.ChoiceField(choices=Tone.choices, initial=Tone.PROFESSIONAL)
    platform = forms.ChoiceField(choices=PLATFORM_CHOICES, initial="instagram")
    image_mode = forms.ChoiceField(
        choices=ImageMode.choices, initial=ImageMode.BANK, widget=forms.RadioSelect, label="Picture"
    )
    picture_description = forms.CharField(
        required=False,
        max_length=500,
        label="Picture description (optional)",
        widget=forms.TextInput(attrs={"placeholder": "e.g. a yellow taxi"}),
    )
    variants = forms.IntegerField(min_value=1, max_value=settings.MAX_VARIANTS, initial=1)
    layout = forms.ChoiceField(
        choices=[("", "a different layout per variant"), *LAYOUT_CHOICES],
        required=False,
        help_text="A layout a format does not have (side by side on 728×90) falls back to one it has.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ai_reason = ai_unavailable_reason()
        if self.ai_reason:
            self.fields["image_mode"].help_text = self.ai_reason
        # A format with several pictures: a description field per further picture slot.
        for key in self.more_picture_slots():
            self.fields[f"picture_{key}"] = forms.CharField(
                required=False,
                max_length=500,
                label=f"Picture “{key.replace('_', ' ')}” (optional)",
                help_text="For formats with more than one picture; empty: searched from the offer.",
            )

    @staticmethod
    def more_picture_slots() -> list[str]:
        """Keys of the picture slots after the first, in the active formats."""
        keys = [slot.key for fmt in Format.objects.active() for slot in fmt.layout.image_slots[1:]]
        return list(dict.fromkeys(keys))

    def picture_descriptions(self) -> dict[str, str]:
        """{slot key: description}: the main description for the first picture of every chosen format,
        the per-slot fields for the others."""
        data = self.cleaned_data
        found = {}
        if data["picture_description"].strip():
            for fmt in data["formats"]:
                if fmt.layout.image_slots:
                    found[fmt.layout.image_slots[0].key] = data["picture_description"].strip()
        for key in self.more_picture_slots():
            if data.get(f"picture_{key}", "").strip():
                found[key] = data[f"picture_{key}"].strip()
        return found

    def clean_image_mode(self):
        mode = self.cleaned_data["image_mode"]
        if mode == ImageMode.AI and self.ai_reason:
            raise forms.ValidationError(self.ai_reason)
        return mode


class TextsForm(forms.Form):
    """One field per text slot of the banner's format, limited to the slot's characters."""

    def __init__(self, *args, banner, **kwargs):
        super().__init__(*args, **kwargs)
        for slot in banner.layout.text_slots:
            self.fields[slot.key] = forms.CharField(
                label=slot.key.replace("_", " "),
                max_length=slot.max_chars,
                required=False,
                initial=banner.texts.get(slot.key, ""),
                widget=forms.TextInput(attrs={"maxlength": slot.max_chars, "data-counter": slot.max_chars}),
            )


class ResizeForm(forms.Form):
    format = forms.ModelChoiceField(queryset=Format.objects.active(), empty_label=None)


class HistoryFilter(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.all(), required=False)
    format = forms.ModelChoiceField(queryset=Format.objects.active(), required=False)
    q = forms.CharField(required=False, label="Offer contains")


class BatchForm(forms.Form):
    file = forms.FileField(
        help_text="CSV (UTF-8, comma or semicolon) with a header: product, offer, formats, tone, platform, "
        "picture_description; or a JSON product feed with the same keys. One campaign per row."
    )
    name = forms.CharField(max_length=200, required=False)
    image_mode = forms.ChoiceField(
        choices=ImageMode.choices, initial=ImageMode.BANK, widget=forms.RadioSelect, label="Pictures"
    )
