from django.urls import path

from negotiations import export_views, views

urlpatterns = [
    path("exercises/<int:pk>/monitor/", views.monitor, name="monitor"),
    path("exercises/<int:pk>/monitor/<slug:action>/", views.monitor_action, name="monitor_action"),
    path("exercises/<int:pk>/pairs/<int:number>/", views.transcript, name="transcript"),
    path("exercises/<int:pk>/debrief/", views.debrief, name="debrief"),
    path("exercises/<int:pk>/debrief.json", views.debrief_json, name="debrief_json"),
    path("exercises/<int:pk>/export/", export_views.exercise_export, name="exercise_export"),
]
