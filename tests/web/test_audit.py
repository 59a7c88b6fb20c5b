"""The audit log is append-only and readable by admins only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from collabready.web.audit.models import AuditEvent
from collabready.web.audit.services import audit_record

pytestmark = pytest.mark.django_db


def test_record_names_actor_and_object() -> None:
    user = User.objects.create_user("alice", password="x")
    event = audit_record("export.create", actor=user, obj=user, format="sav")
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.actor_label, stored.action) == ("alice", "export.create")
    assert (stored.object_type, stored.object_id) == ("auth.user", str(user.pk))
    assert stored.detail == {"format": "sav"}
    assert audit_record("purge.run").actor_label == "system"


def test_events_cannot_be_changed_or_deleted() -> None:
    event = audit_record("role.change", object_type="auth.user", object_id=1)
    event.action = "nothing"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    assert AuditEvent.objects.get(pk=event.pk).action == "role.change"


def test_admin_is_read_only_and_for_superusers() -> None:
    audit_record("role.change", object_type="auth.user", object_id=1)
    staff = User.objects.create_user("staff", password="pw", is_staff=True)
    client = Client()
    client.force_login(staff)
    assert client.get("/admin/audit/auditevent/").status_code == 403
    User.objects.create_superuser("root", password="pw")
    client.force_login(User.objects.get(username="root"))
    listing = client.get("/admin/audit/auditevent/")
    assert listing.status_code == 200
    assert b"role.change" in listing.content
    event = AuditEvent.objects.get()
    change = client.post(f"/admin/audit/auditevent/{event.pk}/change/", {"action": "x"})
    assert AuditEvent.objects.get().action == "role.change"
    assert change.status_code in {200, 403}
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
