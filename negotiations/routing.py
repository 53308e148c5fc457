from django.urls import path, re_path

from negotiations import consumers

websocket_urlpatterns = [
    path("ws/negotiations/<int:pk>/", consumers.NegotiationConsumer.as_asgi()),
    path("ws/exercises/<int:pk>/monitor/", consumers.MonitorConsumer.as_asgi()),
    re_path(r"", consumers.NoRouteConsumer.as_asgi()),  # last: every other path
]
