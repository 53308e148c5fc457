from django.apps import AppConfig


class NegotiationsConfig(AppConfig):
    name = "negotiations"
    verbose_name = "Negotiations"

    def ready(self) -> None:
        # Here, once the models are loaded: close a student's sockets when classrooms signs them out.
        from classrooms.signals import student_link_changed
        from negotiations.publishing import student_sockets_close_on_link_change

        student_link_changed.connect(student_sockets_close_on_link_change, dispatch_uid="negotiations.student_sockets")
