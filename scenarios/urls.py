from django.urls import path

from scenarios import views

app_name = "scenarios"
urlpatterns = [
    path("", views.scenario_list, name="list"),
    path("drafts/<int:pk>/", views.draft_edit, name="draft"),
    path("drafts/preview/", views.markdown_preview, name="preview"),
    path("<slug:slug>/", views.scenario_detail, name="detail"),
]
