from django.urls import path

from scenarios import views

app_name = "scenarios"
urlpatterns = [
    path("", views.scenario_list, name="list"),
    path("<slug:slug>/", views.scenario_detail, name="detail"),
]
