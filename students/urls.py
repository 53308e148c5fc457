from django.urls import path

from students import views

urlpatterns = [
    path("join", views.join, name="join"),
    path("s/", views.home, name="student_home"),
    path("s/welcome/", views.welcome, name="student_welcome"),
    path("s/ping/", views.ping, name="student_ping"),
    path("s/leave/", views.leave, name="student_leave"),
    path("s/exercises/<int:pk>/", views.exercise, name="student_exercise"),
    path("s/<str:token>/", views.student_link, name="student_link"),
]
