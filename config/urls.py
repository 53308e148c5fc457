from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.decorators.cache import cache_control
from django.views.i18n import JavaScriptCatalog

from api.main import api
from classrooms import views as classroom_views
from classrooms.accounts import LoginForm
from config import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon),
    # The language chooser posts here (Django's set_language); the scripts' messages in the page's language.
    path("i18n/", include("django.conf.urls.i18n")),
    # Cached an hour by the browser: the same for everyone in a language, and the page names its language in
    # the catalogue's URL (?lang=), so that a language chosen anew never reads the old one's.
    path("jsi18n/", cache_control(max_age=3600)(JavaScriptCatalog.as_view()), name="javascript-catalog"),
    path("login/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", classroom_views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("scenarios/", include("scenarios.urls")),
    path("api/", api.urls),
    path("", include("negotiations.urls")),
    path("", include("reports.urls")),
    path("", include("surveys.urls")),
    path("", include("students.urls")),
    path("", include("classrooms.urls")),
    path("", include("lti.urls")),
    path("admin/", admin.site.urls),
]
