"""The opt-out link in every e-mail: a page that asks, and a button that stops the e-mails.

The link carries a signed invitation id, not a personal token: it cannot open anyone's
answers. A GET changes nothing (mail scanners follow links); the button POSTs.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from collabready.web.surveys.services.emails import opt_out_invitation_id
from collabready.web.surveys.services.invitations import opt_out


@require_http_methods(["GET", "POST"])
def opt_out_view(request: HttpRequest, signed: str) -> HttpResponse:
    invitation_id = opt_out_invitation_id(signed)
    if invitation_id is None:
        return render(request, "surveys/problem.html", {"problem": "bad_link"}, status=404)
    done = False
    if request.method == "POST":
        opt_out(invitation_id=invitation_id)
        done = True
    return render(request, "surveys/opt_out.html", {"done": done})
