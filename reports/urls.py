from django.urls import path

from reports import export_http, views

urlpatterns = [
    path("exercises/<int:pk>/debrief/", views.debrief, name="debrief"),
    path("exercises/<int:pk>/debrief.json", views.debrief_json, name="debrief_json"),
    path("exercises/<int:pk>/debrief/events/<slug:event>/", views.debrief_event, name="debrief_event"),
    path("exercises/<int:pk>/debrief/present/", views.presentation, name="presentation"),
    path("exercises/<int:pk>/debrief/present/<slug:key>.svg", views.slide_svg, name="slide_svg"),
    path("exercises/<int:pk>/export/", export_http.exercise_export, name="exercise_export"),
]
