from django.urls import path

from surveys import views

urlpatterns = [
    path("s/exercises/<int:pk>/survey/", views.survey, name="student_survey"),
]
