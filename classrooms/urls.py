from django.urls import path

from classrooms import views

urlpatterns = [
    # Instructors
    path("signup/", views.signup, name="signup"),
    path("signup/sent/", views.signup_sent, name="signup_sent"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("account/verify/", views.account_verify, name="account_verify"),
    path("account/verify/<str:token>/", views.account_verify_link, name="account_verify_link"),
    path("account/tokens/", views.api_tokens, name="api_tokens"),
    path("classes/new/", views.classroom_new, name="classroom_new"),
    path("classes/<int:pk>/", views.classroom_detail, name="classroom"),
    path("classes/<int:pk>/open/", views.classroom_open, name="classroom_open"),
    path("classes/<int:pk>/roster/", views.classroom_roster, name="classroom_roster"),
    path("classes/<int:pk>/links/", views.classroom_links, name="classroom_links"),
    path("classes/<int:pk>/links.csv", views.classroom_links_csv, name="classroom_links_csv"),
    path("classes/<int:pk>/links/email/", views.classroom_links_email, name="classroom_links_email"),
    path("classes/<int:pk>/instructors/", views.classroom_coinstructor, name="classroom_coinstructor"),
    path("invitations/<int:pk>/", views.coinstructor_invitation, name="coinstructor_invitation"),
    path("classes/<int:pk>/students/<int:student_pk>/link/", views.student_link_action, name="student_link_action"),
    path("classes/<int:pk>/exercises/new/", views.exercise_new, name="exercise_new"),
    path("exercises/<int:pk>/presence.json", views.exercise_presence, name="exercise_presence"),
]
