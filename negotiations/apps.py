from django.apps import AppConfig


class NegotiationsConfig(AppConfig):
    name = "negotiations"
    verbose_name = "Negotiations"

    def ready(self) -> None:
        # Register the Celery tasks in every process: negotiations.task_queue sends them by name.
        from negotiations import tasks  # noqa: F401
