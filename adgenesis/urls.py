from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from adgenesis.api import api_root
from banners import api as banners_api
from banners import views as banners_views
from catalog import api as catalog_api
from catalog import views as catalog_views

router = DefaultRouter()
router.register("products", catalog_api.ProductViewSet, basename="product")
router.register("formats", banners_api.FormatViewSet, basename="format")
router.register("campaigns", banners_api.CampaignViewSet, basename="campaign")
router.register("banners", banners_api.BannerViewSet, basename="banner")

api_v1 = [
    path("", api_root, name="api-root"),
    re_path(r"^campaigns/create/?$", banners_api.CampaignCreateView.as_view(), name="campaign-create"),
    re_path(r"^generate/?$", banners_api.GenerateView.as_view(), name="generate"),
    re_path(r"^generate-text/?$", banners_api.GenerateTextView.as_view(), name="generate-text"),
    re_path(r"^tasks/(?P<task_id>[^/]+)/?$", banners_api.TaskView.as_view(), name="task-detail"),
    re_path(r"^design/?$", banners_api.DesignView.as_view(), name="design"),
    re_path(r"^render/?$", banners_api.RenderView.as_view(), name="render"),
    re_path(
        r"^banners/(?P<pk>\d+)/texts/?$", banners_api.BannerEditViewSet.as_view({"post": "texts"}), name="banner-texts"
    ),
    re_path(
        r"^banners/(?P<pk>\d+)/resize/?$",
        banners_api.BannerEditViewSet.as_view({"post": "resize"}),
        name="banner-resize",
    ),
    re_path(r"^bank/search/?$", catalog_api.BankSearchView.as_view(), name="bank-search"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("", include(router.urls)),
]

urlpatterns = [
    path("", banners_views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("django-rq/", include("django_rq.urls")),
    path("api/v1/", include(api_v1)),
    path("media/<path:path>", banners_views.media_file, name="media"),
    path("bank/search/", catalog_views.bank_search_preview, name="bank-search-preview"),
]
