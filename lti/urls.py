from django.urls import path

from lti import views

urlpatterns = [
    path("lti/jwks.json", views.jwks, name="lti_jwks"),
    path("lti/login/", views.oidc_login, name="lti_login"),
    path("lti/launch/", views.launch_view, name="lti_launch"),
    path("lti/deep-link/", views.deep_link, name="lti_deep_link"),
    path("lti/link-course/", views.link_course, name="lti_link_course"),
    path("lti/classes/<int:pk>/", views.course_page, name="lti_course"),
    path("lti/classes/<int:pk>/roster/", views.roster_sync_view, name="lti_roster_sync"),
    path("lti/classes/<int:pk>/exercises/<int:exercise_pk>/grading/", views.grading_view, name="lti_grading"),
    path("lti/classes/<int:pk>/exercises/<int:exercise_pk>/send/", views.scores_send_view, name="lti_scores_send"),
]
