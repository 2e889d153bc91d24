from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from adgenesis.api import api_root
from banners import api as banners_api
from banners import metrics_views
from banners import views as banners_views
from catalog import api as catalog_api
from catalog import views as catalog_views

router = DefaultRouter()
router.register("products", catalog_api.ProductViewSet, basename="product")
router.register("formats", banners_api.FormatViewSet, basename="format")
router.register("campaigns", banners_api.CampaignViewSet, basename="campaign")
router.register("banners", banners_api.BannerViewSet, basename="banner")


def _edit(action: str):
    return banners_api.BannerEditViewSet.as_view({"post": action})


api_v1 = [
    path("", api_root, name="api-root"),
    re_path(r"^campaigns/create/?$", banners_api.CampaignCreateView.as_view(), name="campaign-create"),
    re_path(r"^generate/?$", banners_api.GenerateView.as_view(), name="api-generate"),
    re_path(r"^generate-text/?$", banners_api.GenerateTextView.as_view(), name="generate-text"),
    re_path(r"^tasks/(?P<task_id>[^/]+)/?$", banners_api.TaskView.as_view(), name="task-detail"),
    re_path(r"^design/?$", banners_api.DesignView.as_view(), name="design"),
    re_path(r"^render/?$", banners_api.RenderView.as_view(), name="render"),
    re_path(r"^feedback/?$", banners_api.FeedbackView.as_view(), name="feedback"),
    re_path(r"^banners/(?P<pk>\d+)/texts/?$", _edit("texts"), name="api-banner-texts"),
    re_path(r"^banners/(?P<pk>\d+)/resize/?$", _edit("resize"), name="api-banner-resize"),
    re_path(r"^banners/(?P<pk>\d+)/regenerate/?$", _edit("regenerate"), name="api-banner-regenerate"),
    re_path(r"^banners/(?P<pk>\d+)/approve/?$", _edit("approve"), name="api-banner-approve"),
    re_path(r"^banners/(?P<pk>\d+)/reject/?$", _edit("reject"), name="api-banner-reject"),
    re_path(r"^batches/?$", banners_api.BatchListView.as_view(), name="api-batches"),
    re_path(r"^batches/(?P<pk>[^/]+)/zip/?$", banners_api.BatchZipView.as_view(), name="api-batch-zip"),
    re_path(r"^batches/(?P<pk>[^/]+)/?$", banners_api.BatchView.as_view(), name="api-batch-detail"),
    re_path(r"^bank/search/?$", catalog_api.BankSearchView.as_view(), name="bank-search"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("", include(router.urls)),
]

pages = [
    path("", banners_views.home, name="home"),
    path("generate/", banners_views.generate, name="generate"),
    path("tasks/<uuid:task_id>/", banners_views.task_page, name="task"),
    path("tasks/<uuid:task_id>/progress/", banners_views.task_progress, name="task-progress"),
    path("history/", banners_views.history, name="history"),
    path("batches/", banners_views.batch_list, name="batches"),
    path("batches/<uuid:pk>/", banners_views.batch_page, name="batch"),
    path("batches/<uuid:pk>/progress/", banners_views.batch_progress, name="batch-progress"),
    path("batches/<uuid:pk>/zip/", banners_views.batch_zip, name="batch-zip"),
    path("metrics/", metrics_views.dashboard, name="metrics"),
    path("metrics.csv", metrics_views.export_csv, name="metrics-csv"),
    path("b/<int:pk>/", banners_views.banner_card, name="banner-card"),
    path("b/<int:pk>/poll/", banners_views.banner_poll, name="banner-poll"),
    path("b/<int:pk>/download/<str:kind>/", banners_views.banner_download, name="banner-download"),
    path("b/<int:pk>/texts/", banners_views.banner_edit, name="banner-edit"),
    path("b/<int:pk>/regenerate/<str:part>/", banners_views.banner_regenerate, name="banner-regenerate"),
    path("b/<int:pk>/resize/", banners_views.banner_resize, name="banner-resize"),
    path("b/<int:pk>/report/", banners_views.banner_report, name="banner-report"),
]

urlpatterns = [
    *pages,
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("django-rq/", include("django_rq.urls")),
    path("api/v1/", include(api_v1)),
    path("media/<path:path>", banners_views.media_file, name="media"),
    path("bank/search/", catalog_views.bank_search_preview, name="bank-search-preview"),
]
