from django.urls import path

from negotiations import consumers

websocket_urlpatterns = [
    path("ws/negotiations/<int:pk>/", consumers.NegotiationConsumer.as_asgi()),
    path("ws/exercises/<int:pk>/monitor/", consumers.MonitorConsumer.as_asgi()),
]
