from django.db import migrations, models


def count_chat(apps, schema_editor):
    """The characters of chat each negotiation has stored already."""
    Event = apps.get_model("negotiations", "Event")
    Negotiation = apps.get_model("negotiations", "Negotiation")
    totals: dict[int, int] = {}
    for negotiation_id, payload in Event.objects.filter(type="chat").values_list("negotiation_id", "payload"):
        totals[negotiation_id] = totals.get(negotiation_id, 0) + len(payload.get("text", ""))
    for negotiation_id, characters in totals.items():
        Negotiation.objects.filter(pk=negotiation_id).update(chat_characters=characters)


class Migration(migrations.Migration):
    dependencies = [
        ("negotiations", "0005_offers_counted_from_events"),
    ]

    operations = [
        migrations.AddField(
            model_name="negotiation",
            name="chat_characters",
            field=models.PositiveIntegerField(
                default=0, help_text="Characters of chat stored so far (a negotiation stores a bounded amount)."
            ),
        ),
        migrations.RunPython(count_chat, migrations.RunPython.noop),
    ]
