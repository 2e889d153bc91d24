"""Banner API (seed-003 contract): formats, campaigns, generation tasks, banners and their files."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import generics, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from banners import batches, copywriting, selectors, services
from banners.models import (
    LAYOUT_CHOICES,
    PLATFORM_CHOICES,
    Banner,
    Batch,
    Campaign,
    Format,
    GenerationTask,
    ImageMode,
    Tone,
)
from catalog.models import Product
from mlcore.spec import SPEC_SCHEMA


class FormatSerializer(serializers.ModelSerializer):
    class Meta:
        model = Format
        fields = ["id", "slug", "name", "platform", "width", "height", "background", "text_slots", "image_slots"]


class FormatViewSet(viewsets.ReadOnlyModelViewSet):
    """Banner formats with their text and image slots; `{id}` may be the id or the slug."""

    queryset = Format.objects.active()
    serializer_class = FormatSerializer

    def get_object(self) -> Format:
        try:
            return selectors.format_resolve(self.kwargs["pk"])
        except Format.DoesNotExist:
            raise Http404(f"No format {self.kwargs['pk']!r}.") from None


class CampaignSerializer(serializers.ModelSerializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    offer = serializers.CharField(max_length=settings.MAX_OFFER_CHARS, trim_whitespace=True)
    tone = serializers.ChoiceField(choices=Tone.choices, default=Tone.PROFESSIONAL)
    platform = serializers.ChoiceField(choices=PLATFORM_CHOICES, default="instagram")
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    owner = serializers.CharField(source="owner.username", read_only=True)

    class Meta:
        model = Campaign
        fields = ["id", "name", "product", "offer", "tone", "platform", "owner", "created_at"]
        read_only_fields = ["id", "owner", "created_at"]


class CampaignViewSet(viewsets.ReadOnlyModelViewSet):
    """The user's campaigns (designers see everyone's)."""

    serializer_class = CampaignSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Campaign.objects.none()
        return selectors.campaigns_visible_to(self.request.user)


class CampaignCreateView(generics.CreateAPIView):
    """Start a campaign: one offer for one product, in a tone, for a platform."""

    serializer_class = CampaignSerializer

    def perform_create(self, serializer):
        serializer.instance = services.campaign_create(owner=self.request.user, **serializer.validated_data)


_SLUG_OR_ID = {"oneOf": [{"type": "string"}, {"type": "integer"}]}


@extend_schema_field({"oneOf": [*_SLUG_OR_ID["oneOf"], {"type": "array", "items": _SLUG_OR_ID}]})
class FormatListField(serializers.Field):
    """A format slug or id, or a list of them."""

    def to_internal_value(self, data):
        values = data if isinstance(data, list) else [data]
        if not values or len(values) > 20:
            raise serializers.ValidationError("give one format (slug or id) or a list of 1 to 20")
        formats = []
        for value in values:
            try:
                formats.append(selectors.format_resolve(value))
            except Format.DoesNotExist:
                raise serializers.ValidationError(f"unknown format {value!r}") from None
        return list(dict.fromkeys(formats))

    def to_representation(self, value):
        return [fmt.slug for fmt in value]


class GenerateSerializer(serializers.Serializer):
    campaign = serializers.IntegerField()
    format = FormatListField()
    image_mode = serializers.ChoiceField(choices=ImageMode.choices, default=ImageMode.BANK)
    image_descriptions = serializers.DictField(
        child=serializers.CharField(max_length=500, allow_blank=True), required=False, default=dict
    )
    variants = serializers.IntegerField(min_value=1, max_value=settings.MAX_VARIANTS, default=1)
    layout = serializers.ChoiceField(
        choices=LAYOUT_CHOICES,
        required=False,
        default="",
        allow_blank=True,
        help_text="Layout variant of every banner; left out: each variant of a format gets a different one.",
    )


class GenerateView(APIView):
    """Start generating banners for a campaign; answers at once with the task id (202)."""

    @extend_schema(
        request=GenerateSerializer,
        responses={202: inline_serializer("TaskStarted", {"task_id": serializers.UUIDField()})},
    )
    def post(self, request):
        serializer = GenerateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        campaign = selectors.campaign_get(user=request.user, campaign_id=data["campaign"])
        task = services.generation_start(
            campaign=campaign,
            formats=data["format"],
            user=request.user,
            image_mode=data["image_mode"],
            image_descriptions=data["image_descriptions"],
            variants=data["variants"],
            layout=data["layout"],
        )
        return Response({"task_id": str(task.pk), "status": task.status}, status=status.HTTP_202_ACCEPTED)


class BannerSerializer(serializers.ModelSerializer):
    format = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    png = serializers.SerializerMethodField()
    jpg = serializers.SerializerMethodField()
    layout = serializers.SerializerMethodField(help_text="the layout variant (mlcore.variants)")

    class Meta:
        model = Banner
        fields = [
            "id",
            "campaign",
            "format",
            "variant",
            "layout",
            "png",
            "jpg",
            "spec",
            "texts",
            "quality",
            "seed",
            "image_source",
            "bank_image",
            "approval",
            "rejection_reason",
            "download_allowed",
            "download_refusal",
            "copy_stats",
            "picture_info",
            "edit_distance",
            "created_at",
            "updated_at",
        ]

    download_allowed = serializers.SerializerMethodField(help_text="false while the brand's approval gate holds it")
    download_refusal = serializers.SerializerMethodField(help_text='why not, e.g. "Waiting for approval: …"')

    def get_layout(self, banner: Banner) -> str:
        return banner.spec.get("layout", "preset")

    def _refusal(self, banner: Banner) -> str:
        request = self.context.get("request")
        return banner.download_refusal_for(request.user) if request is not None else banner.download_refusal()

    def get_download_allowed(self, banner: Banner) -> bool:
        return not self._refusal(banner)

    def get_download_refusal(self, banner: Banner) -> str:
        return self._refusal(banner)

    def _file_url(self, banner: Banner, kind: str) -> str | None:
        if not getattr(banner, kind):
            return None
        return reverse(f"banner-{kind}", args=[banner.pk], request=self.context.get("request"))

    def get_png(self, banner: Banner) -> str | None:
        return self._file_url(banner, "png")

    def get_jpg(self, banner: Banner) -> str | None:
        return self._file_url(banner, "jpg")


class TaskSerializer(serializers.ModelSerializer):
    task_id = serializers.UUIDField(source="id", read_only=True)
    banners = BannerSerializer(many=True, read_only=True)
    formats = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = GenerationTask
        fields = [
            "task_id",
            "status",
            "progress",
            "error",
            "campaign",
            "formats",
            "image_mode",
            "variants",
            "layout",
            "attempts",
            "timings",
            "created_at",
            "started_at",
            "finished_at",
            "banners",
        ]


class TaskView(generics.RetrieveAPIView):
    """A generation task: status, progress per step, error, and its banners when done."""

    serializer_class = TaskSerializer

    def get_object(self) -> GenerationTask:
        return selectors.task_get(user=self.request.user, task_id=self.kwargs["task_id"])


class DecisionSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class BannerViewSet(viewsets.ReadOnlyModelViewSet):
    """Banners the user may see, with their files behind the same authentication."""

    serializer_class = BannerSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Banner.objects.none()
        return selectors.banners_visible_to(self.request.user)

    def _file(self, kind: str, content_type: str) -> FileResponse:
        banner = self.get_object()
        field = getattr(banner, kind)
        if not field:
            raise Http404(f"Banner {banner.pk} has no {kind} file yet.")
        services.banner_download_check(banner=banner, user=self.request.user)
        filename = f"adgenesis-{banner.pk}-{banner.format.slug}.{kind}"
        services.feedback_record(banner=banner, kind="download", user=self.request.user, payload={"file": kind})
        return FileResponse(field.open("rb"), content_type=content_type, filename=filename)

    @extend_schema(responses={(200, "image/png"): bytes})
    @action(detail=True, methods=["get"])
    def png(self, request, pk=None):
        return self._file("png", "image/png")

    @extend_schema(responses={(200, "image/jpeg"): bytes})
    @action(detail=True, methods=["get"])
    def jpg(self, request, pk=None):
        return self._file("jpg", "image/jpeg")


class AliasedChoiceField(serializers.ChoiceField):
    """A choice that also accepts other names for its values (`twitter` for `x`) and gives the value."""

    def __init__(self, *, aliases: dict[str, str], **kwargs):
        self.aliases = aliases
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = self.aliases.get(data, data)
        return super().to_internal_value(data)


class AliasedChoiceFieldSchema(OpenApiSerializerFieldExtension):
    """Values and aliases as two inline enums: a flat enum would clash with the shared enum
    components of the same name (PlatformEnum, ToneEnum) and rename them."""

    target_class = AliasedChoiceField

    def map_serializer_field(self, auto_schema, direction):
        aliases = ", ".join(f"`{alias}` for `{value}`" for alias, value in self.target.aliases.items())
        return {
            "anyOf": [
                {"type": "string", "enum": list(self.target.choices)},
                {"type": "string", "enum": list(self.target.aliases), "description": f"aliases: {aliases}"},
            ]
        }


class GenerateTextSerializer(serializers.Serializer):
    prompt = serializers.CharField(max_length=2000)
    platform = AliasedChoiceField(
        choices=PLATFORM_CHOICES, aliases={"twitter": "x", "meta": "facebook"}, default="instagram"
    )
    tone = AliasedChoiceField(
        choices=Tone.choices, aliases={"motivational": Tone.INSPIRATIONAL}, default=Tone.PROFESSIONAL
    )
    max_length = serializers.IntegerField(
        min_value=10,
        max_value=2000,
        default=150,
        help_text="Most characters in the text, spaces, hashtags and emoji included (not words, not tokens).",
    )
    industry = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    hashtags = serializers.BooleanField(
        allow_null=True,
        default=None,
        help_text="Add hashtags; null (the default) means on for instagram, x and linkedin, off otherwise.",
    )
    emoji = serializers.BooleanField(default=False, help_text="Allow emoji in the text.")


class GenerateTextView(APIView):
    """Seed-004 text generation: one text in a tone for a platform, never longer than max_length."""

    @extend_schema(
        request=GenerateTextSerializer,
        responses={
            200: inline_serializer(
                "GeneratedText",
                {
                    "generated_text": serializers.CharField(),
                    "generation_time": serializers.CharField(),
                    "word_count": serializers.IntegerField(),
                    "writer": serializers.CharField(help_text="the LLM client's name, or template"),
                    "facts_kept": serializers.ListField(child=serializers.CharField()),
                    "facts_dropped": serializers.ListField(child=serializers.CharField()),
                    "notice": serializers.CharField(help_text="why the built-in writer was used, when it was"),
                    "stats": serializers.DictField(),
                },
            )
        },
    )
    def post(self, request):
        serializer = GenerateTextSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = copywriting.text_generate(user=request.user, **serializer.validated_data)
        text = result.texts["text"]
        return Response(
            {
                "generated_text": text,
                "generation_time": f"{result.stats['seconds']:.2f}s",
                "word_count": len(text.split()),
                "writer": result.writer,
                "facts_kept": result.stats.get("facts_kept", []),
                "facts_dropped": result.stats.get("facts_dropped", []),
                "notice": result.stats.get("notice", ""),
                "stats": result.stats,
            }
        )


class DesignSerializer(serializers.Serializer):
    prompt = serializers.CharField(max_length=1000, help_text="an offer, or a design request as scripts send it")
    platform = serializers.ChoiceField(choices=PLATFORM_CHOICES, default="instagram")
    format = FormatListField()
    seed = serializers.IntegerField(default=0)
    product = serializers.PrimaryKeyRelatedField(
        queryset=Product.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="optional: its name, description and brand colours are used",
    )
    tone = serializers.ChoiceField(choices=Tone.choices, default=Tone.PROFESSIONAL)

    def validate_format(self, value):
        if len(value) != 1:
            raise serializers.ValidationError("give one format (slug or id)")
        return value[0]


class DesignView(APIView):
    """Seed-000 design spec: texts from the prompt, a picture from the bank, laid out for the format."""

    @extend_schema(request=DesignSerializer, responses={200: SPEC_SCHEMA})
    def post(self, request):
        serializer = DesignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        spec = services.design_create(
            prompt=data["prompt"],
            platform=data["platform"],
            fmt=data["format"],
            user=request.user,
            seed=data["seed"],
            product=data["product"],
            tone=data["tone"],
        )
        return Response(spec)


class RenderView(APIView):
    """Render any valid design spec to PNG (or `?format=jpg&quality=85`); a bad spec is a 400 naming the field."""

    @extend_schema(
        request={"application/json": SPEC_SCHEMA},
        parameters=[OpenApiParameter("format", str, enum=["png", "jpg"]), OpenApiParameter("quality", int)],
        responses={(200, "image/png"): bytes, (200, "image/jpeg"): bytes},
    )
    def post(self, request):
        fmt = request.query_params.get("format", "png")
        if fmt not in ("png", "jpg"):
            raise serializers.ValidationError({"format": ["format: png or jpg"]})
        quality = request.query_params.get("quality", "90")
        if not quality.isdigit() or not 30 <= int(quality) <= 100:
            raise serializers.ValidationError({"quality": ["quality: a whole number from 30 to 100"]})
        data = services.spec_render(spec=request.data, fmt=fmt, quality=int(quality))
        return HttpResponse(data, content_type="image/png" if fmt == "png" else "image/jpeg")


class BannerTextsSerializer(serializers.Serializer):
    texts = serializers.DictField(child=serializers.CharField(allow_blank=True, max_length=2000))


class BannerResizeSerializer(serializers.Serializer):
    format = FormatListField()


class BannerEditViewSet(viewsets.GenericViewSet):
    """Edit a banner's texts (re-rendered at once) or resize it into another format; a designer approves
    or rejects it."""

    serializer_class = BannerSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Banner.objects.none()
        return selectors.banners_visible_to(self.request.user)

    def _decide(self, request, approval: str) -> Response:
        if not request.user.has_perm("banners.approve_banner"):
            raise PermissionDenied("Only designers can approve or reject banners.")
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        banner = services.banner_decide(
            banner=self.get_object(), approval=approval, user=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(BannerSerializer(banner, context={"request": request}).data)

    @extend_schema(request=DecisionSerializer, responses=BannerSerializer)
    def approve(self, request, pk=None):
        """A designer approves the banner: its marketer may download it."""
        return self._decide(request, Banner.Approval.APPROVED)

    @extend_schema(request=DecisionSerializer, responses=BannerSerializer)
    def reject(self, request, pk=None):
        """A designer rejects the banner with a reason the marketer reads."""
        return self._decide(request, Banner.Approval.REJECTED)

    @extend_schema(request=BannerTextsSerializer, responses=BannerSerializer)
    def texts(self, request, pk=None):
        serializer = BannerTextsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        banner = services.banner_texts_edit(
            banner=self.get_object(), texts=serializer.validated_data["texts"], user=request.user
        )
        return Response(BannerSerializer(banner, context={"request": request}).data)

    @extend_schema(request=BannerResizeSerializer, responses={201: BannerSerializer})
    def resize(self, request, pk=None):
        serializer = BannerResizeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        formats = serializer.validated_data["format"]
        resized = [services.banner_resize(banner=self.get_object(), fmt=fmt, user=request.user) for fmt in formats]
        data = BannerSerializer(resized, many=True, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=inline_serializer("RegenerateRequest", {"part": serializers.ChoiceField(choices=["text", "image"])}),
        responses={
            202: inline_serializer(
                "RegenerationQueued",
                {
                    "banner": serializers.IntegerField(),
                    "part": serializers.CharField(),
                    "status": serializers.CharField(),
                    "poll": serializers.CharField(),
                },
            )
        },
    )
    def regenerate(self, request, pk=None):
        """Queue new texts or a new picture for the banner (202); poll the banner for the result."""
        part = request.data.get("part") if isinstance(request.data, dict) else None
        if part not in ("text", "image"):
            raise serializers.ValidationError({"part": ["part: text or image"]})
        banner = self.get_object()
        services.banner_regenerate_start(banner=banner, part=part, user=request.user)
        return Response(
            {
                "banner": banner.pk,
                "part": part,
                "status": "queued",
                "poll": reverse("banner-detail", args=[banner.pk], request=request),
            },
            status=status.HTTP_202_ACCEPTED,
        )


class FeedbackSerializer(serializers.Serializer):
    banner = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=["download", "edit", "regenerate_text", "regenerate_image", "bug_report"])
    payload = serializers.DictField(required=False, default=dict)


class FeedbackView(APIView):
    """Log what happened to a banner: download, edit, re-rolls, bug reports (prompt, seed, texts and spec
    are attached to a bug report automatically)."""

    @extend_schema(
        request=FeedbackSerializer,
        responses={
            201: inline_serializer(
                "FeedbackLogged", {"id": serializers.IntegerField(), "kind": serializers.CharField()}
            )
        },
    )
    def post(self, request):
        serializer = FeedbackSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        banner = selectors.banners_visible_to(request.user).filter(pk=data["banner"]).first()
        if banner is None:
            raise Http404(f"No banner {data['banner']} of yours.")
        event = services.feedback_record(banner=banner, kind=data["kind"], user=request.user, payload=data["payload"])
        return Response({"id": event.pk, "kind": event.kind}, status=status.HTTP_201_CREATED)


class BatchSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()
    zip = serializers.SerializerMethodField()
    tasks = serializers.SerializerMethodField()
    owner = serializers.CharField(source="owner.username", read_only=True)

    class Meta:
        model = Batch
        fields = [
            "id",
            "name",
            "source",
            "status",
            "image_mode",
            "owner",
            "progress",
            "zip",
            "created_at",
            "finished_at",
            "rows",
            "tasks",
        ]

    def get_progress(self, batch: Batch) -> dict:
        return batches.batch_progress(batch)

    def get_zip(self, batch: Batch) -> str:
        return reverse("api-batch-zip", args=[batch.pk], request=self.context.get("request"))

    def get_tasks(self, batch: Batch) -> list[dict]:
        return [
            {
                "row": t.campaign.batch_row,
                "task_id": str(t.pk),
                "campaign": t.campaign_id,
                "status": t.status,
                "error": t.error,
            }
            for t in batches.batch_tasks(batch).order_by("campaign__batch_row")
        ]


class BatchCreateSerializer(serializers.Serializer):
    file = serializers.FileField(
        required=False,
        help_text="CSV (product, offer, formats, tone, platform, picture_description) or a JSON product feed",
    )
    rows = serializers.ListField(child=serializers.DictField(), required=False, max_length=10_000)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    image_mode = serializers.ChoiceField(choices=ImageMode.choices, default=ImageMode.BANK)

    def validate(self, data):
        if bool(data.get("file")) == bool(data.get("rows")):
            raise serializers.ValidationError({"file": "give a file (multipart) or rows (JSON), one of them"})
        return data


class BatchListView(generics.ListAPIView):
    """Bulk generation: POST a CSV or a product feed (multipart `file`) or JSON `rows`; one campaign per row
    × its formats. Every row is checked first: a bad row refuses the whole file, each bad row named."""

    serializer_class = BatchSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Batch.objects.none()
        return batches.batches_visible_to(self.request.user).select_related("owner")

    @extend_schema(request=BatchCreateSerializer, responses={202: BatchSerializer})
    def post(self, request):
        serializer = BatchCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        upload = data.get("file")
        raw = batches.rows_read(upload.read(), upload.name) if upload else data["rows"]
        if not upload and len(raw) > settings.BATCH_MAX_ROWS:
            raise ValidationError({"rows": f"rows: {len(raw)}, the limit is {settings.BATCH_MAX_ROWS}"})
        rows = batches.rows_check(raw, user=request.user, image_mode=data["image_mode"])
        batch = batches.batch_create(
            owner=request.user,
            rows=rows,
            name=data["name"],
            source=upload.name if upload else "",
            image_mode=data["image_mode"],
        )
        body = BatchSerializer(batch, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED)


class BatchView(generics.RetrieveAPIView):
    """A batch: progress, each row's task, and the ZIP's address."""

    serializer_class = BatchSerializer

    def get_object(self) -> Batch:
        return batch_get(self.request.user, self.kwargs["pk"])


def batch_get(user, pk) -> Batch:
    try:
        return batches.batches_visible_to(user).get(pk=pk)
    except (Batch.DoesNotExist, ValueError, ValidationError):
        raise Http404(f"No batch {pk}.") from None


class BatchZipView(APIView):
    """Every banner of the batch the user may download (PNG, JPG, spec JSON) and report.csv, as a ZIP."""

    @extend_schema(responses={(200, "application/zip"): bytes})
    def get(self, request, pk):
        batch = batch_get(request.user, pk)
        archive = batches.batch_zip(batch=batch, user=request.user)
        name = f"adgenesis-batch-{str(batch.pk)[:8]}.zip"
        return FileResponse(archive, as_attachment=True, filename=name, content_type="application/zip")
