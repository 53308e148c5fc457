from django.contrib import admin

from surveys.models import SurveyAnswer, SurveyResponse


class SurveyAnswerInline(admin.TabularInline):
    model = SurveyAnswer
    extra = 0


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    list_display = ("exercise", "student", "role_key", "updated_at")
    list_filter = ("exercise",)
    raw_id_fields = ("exercise", "seat", "student")
    inlines = [SurveyAnswerInline]
