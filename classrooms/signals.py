"""What classrooms tells the apps above it, without importing them."""

from __future__ import annotations

from django.dispatch import Signal

# A student's personal link was revoked or re-issued (keyword student_id): every device they signed in
# on is signed out. The live sockets listen for it (negotiations.apps) and close the student's sockets.
student_link_changed = Signal()

# An exercise's class debrief was stored anew (keyword exercise_id), sent after the commit: the LTI tool
# (lti.apps) sends the students' grades to their course's gradebook.
debrief_stored = Signal()

# A student who joined twice was merged into the record kept (keywords keep_id, duplicate_id), in the
# merge's transaction, before the duplicate is deleted: the LTI tool (lti.apps) moves the duplicate's
# platform identity to the record kept, so that the platform's next launch finds them.
students_merged = Signal()
