from django.urls import path

from reports import course_views, export_http, views

urlpatterns = [
    path("exercises/<int:pk>/debrief/", views.debrief, name="debrief"),
    path("exercises/<int:pk>/debrief.json", views.debrief_json, name="debrief_json"),
    path("exercises/<int:pk>/debrief/events/<slug:event>/", views.debrief_event, name="debrief_event"),
    path("exercises/<int:pk>/debrief/status.json", views.debrief_status_json, name="debrief_status"),
    path("exercises/<int:pk>/debrief/present/", views.presentation, name="presentation"),
    path("exercises/<int:pk>/debrief/present/<slug:key>.svg", views.slide_svg, name="slide_svg"),
    path("exercises/<int:pk>/rounds/", views.series_rounds, name="series_rounds"),
    path("exercises/<int:pk>/export/", export_http.exercise_export, name="exercise_export"),
    path("courses/new/", course_views.course_new, name="course_new"),
    path("courses/<int:pk>/", course_views.course_detail, name="course"),
    path("courses/<int:pk>/sections/", course_views.course_section_add, name="course_section_add"),
    path(
        "courses/<int:pk>/sections/<int:class_pk>/remove/",
        course_views.course_section_remove,
        name="course_section_remove",
    ),
    path("courses/<int:pk>/instructors/", course_views.course_coinstructor, name="course_coinstructor"),
    path("courses/<int:pk>/delete/", course_views.course_delete, name="course_delete"),
    path("courses/<int:pk>/export/<int:version_pk>/", course_views.course_export, name="course_export"),
    path("classes/<int:pk>/course/remove/", course_views.classroom_course_leave, name="classroom_course_leave"),
    path("course-invitations/<int:pk>/", course_views.course_invitation, name="course_invitation"),
]
