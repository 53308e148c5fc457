from django.urls import path, re_path

from negotiations import consumers, notices
from negotiations.handshake import signed_in

websocket_urlpatterns = [
    path("ws/negotiations/<int:pk>/", signed_in(consumers.NegotiationConsumer.as_asgi())),
    path("ws/exercises/<int:pk>/monitor/", signed_in(consumers.MonitorConsumer.as_asgi())),
    path("ws/student/", signed_in(notices.StudentConsumer.as_asgi())),
    re_path(r"", consumers.NoRouteConsumer.as_asgi()),  # last: every other path
]
