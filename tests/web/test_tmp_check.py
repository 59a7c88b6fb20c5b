import json
import pytest
from tests.web.api_support import build_world, full_payload

@pytest.mark.django_db
def test_x(instrument):
    w = build_world(instrument)
    c = w.client("admin")
    r = c.post(f"/api/waves/{w.waves['own'].pk}/responses", data=json.dumps(full_payload(instrument)), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1")
    print(r.status_code, r.content[:300])
    r = c.get(f"/api/waves/{w.waves['own'].pk}/aggregates")
    print(r.status_code, r.content[:300])
    r = c.get(f"/api/responses/{w.responses['own'].pk}/scores")
    print(r.status_code, r.content[:300])
    r = c.get(f"/api/waves/{w.waves['own'].pk}/responses?limit=1")
    print(r.status_code, r.content[:400], r["ETag"])
    r2 = c.get(f"/api/waves/{w.waves['own'].pk}/responses?limit=1", HTTP_IF_NONE_MATCH=r["ETag"])
    print(r2.status_code)
    r = c.get(f"/api/waves/{w.waves['own'].pk}/responses?limit=1&cursor=" + r.json()["next_cursor"])
    print(r.status_code, r.content[:200])
    r = c.post(f"/api/waves/{w.waves['own'].pk}/invitations", data=json.dumps({"invitations":[{"email":"bad","organisation":"","sector":"zzz"}, {"email":"person@example.org","organisation":"x","sector":"public"}]}), content_type="application/json")
    print(r.status_code, r.content)
    r = c.get("/api/instruments/webtest@0.0.1")
    print(r.status_code, r.content[:300])
