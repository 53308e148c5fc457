from django.urls import path

from negotiations import views

# The monitor's actions answer JSON, the exercise page's a page; "end" is on both, one view.
JSON = {"answer": "json"}

urlpatterns = [
    path("exercises/<int:pk>/", views.exercise_detail, name="exercise"),
    path("exercises/<int:pk>/pair/", views.exercise_pair, name="exercise_pair"),
    path("exercises/<int:pk>/swap/", views.exercise_swap, name="exercise_swap"),
    path("exercises/<int:pk>/odd-rule/", views.exercise_odd_rule, name="exercise_odd_rule"),
    path("exercises/<int:pk>/delete/", views.exercise_delete, name="exercise_delete"),
    path("exercises/<int:pk>/readiness.json", views.exercise_readiness, name="exercise_readiness"),
    path("exercises/<int:pk>/release/", views.exercise_release, name="exercise_release"),
    path("exercises/<int:pk>/start/", views.exercise_start, name="exercise_start"),
    path("exercises/<int:pk>/end/", views.exercise_end, name="exercise_end"),
    path("exercises/<int:pk>/pair-late/", views.exercise_pair_late, name="exercise_pair_late"),
    path("exercises/<int:pk>/place/", views.exercise_place, name="exercise_place"),
    path("exercises/<int:pk>/next-round/", views.exercise_next_round, name="exercise_next_round"),
    path("exercises/<int:pk>/monitor/", views.monitor, name="monitor"),
    path("exercises/<int:pk>/monitor/broadcast/", views.round_broadcast, JSON, name="round_broadcast"),
    path("exercises/<int:pk>/monitor/extend/", views.round_extend, JSON, name="round_extend"),
    path("exercises/<int:pk>/monitor/pause/", views.round_pause, JSON, name="round_pause"),
    path("exercises/<int:pk>/monitor/resume/", views.round_resume, JSON, name="round_resume"),
    path("exercises/<int:pk>/monitor/end/", views.exercise_end, JSON, name="round_end"),
    path("exercises/<int:pk>/monitor/settlement/open/", views.settlement_open, JSON, name="settlement_open"),
    path("exercises/<int:pk>/monitor/settlement/close/", views.settlement_close, JSON, name="settlement_close"),
    path("exercises/<int:pk>/pairs/<int:number>/", views.transcript, name="transcript"),
    path("classes/<int:pk>/students/merge/", views.student_merge, name="student_merge"),
]
