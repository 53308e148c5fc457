from django.apps import AppConfig


class ClassroomsConfig(AppConfig):
    name = "classrooms"
    verbose_name = "Classrooms"

    def ready(self) -> None:
        from classrooms import throttles  # noqa: F401  registers its deploy check
