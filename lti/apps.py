from django.apps import AppConfig


class LtiConfig(AppConfig):
    name = "lti"
    verbose_name = "LTI 1.3 (learning platforms)"

    def ready(self) -> None:
        # Here, once the models are loaded: the scores of an exercise go to the gradebooks once its debrief
        # is stored (negotiations tells it without importing this app).
        from classrooms.signals import debrief_stored, students_merged
        from lti.grades import scores_on_debrief
        from lti.launch import learner_on_merge

        debrief_stored.connect(scores_on_debrief, dispatch_uid="lti.scores_on_debrief")
        students_merged.connect(learner_on_merge, dispatch_uid="lti.learner_on_merge")
