"""Who may do what, on which object: the one place the back office and the API ask.

A :class:`Principal` is whoever acts: a staff user (through the back office or
an API token acting as that user) with a :class:`~.models.Role`, a respondent
holding the personal link of one response, or nobody. :func:`decide` answers
"may this principal do this action on this object" with one of three outcomes:

- ``ALLOW``;
- ``FORBIDDEN`` (403): the principal may see the object (or the action needs
  none) but not do this to it;
- ``NOT_FOUND`` (404): the principal may not see the object; callers answer
  exactly as they do for an object that does not exist, so a denial never tells
  whether it exists.

The rules:

- **admin**: everything, the Django admin included (no other role may use it).
- **researcher**: every wave; its invitation status, responses, scores,
  aggregates, microdata exports and reports; e-mail addresses and names only
  when granted (``StaffRole.personal_data``).
- **convenor**: only the waves linked to them (:class:`~.models.ConvenorLink`;
  a partnership will link the same way), and there only aggregates, reports and
  the invitation counts; never microdata or personal data. Their aggregates and
  reports come from the wave's *release*, never the live submissions
  (:mod:`collabready.web.surveys.services.release`): before the wave has a release,
  or while it is withheld after an erasure, they may not read aggregates or create
  reports (403), and reports not made from a release do not exist for them (404).
- **respondent**: their own response only (see, score, erase).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser, User

from collabready.web.access.models import ConvenorLink, Role, StaffRole

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.db.models import Model, QuerySet

    from collabready.web.surveys.models import Wave

__all__ = [
    "Action",
    "Decision",
    "Kind",
    "Principal",
    "decide",
    "figures_until",
    "forbidden_reason",
    "may",
    "principal_for_respondent",
    "principal_for_user",
    "visible_waves",
]


class Kind(StrEnum):
    ADMIN = Role.ADMIN.value
    RESEARCHER = Role.RESEARCHER.value
    CONVENOR = Role.CONVENOR.value
    RESPONDENT = "respondent"
    NOBODY = "nobody"


class Action(StrEnum):
    BACKOFFICE_USE = "backoffice.use"
    WAVE_VIEW = "wave.view"
    WAVE_CREATE = "wave.create"
    WAVE_CHANGE = "wave.change"  # update, close, open link, margins
    INVITATION_CREATE = "invitation.create"  # import, send
    INVITATION_VIEW = "invitation.view"  # status and counts
    PERSONAL_DATA_VIEW = "personal_data.view"  # e-mail addresses, names, subject access
    RESPONSE_SUBMIT = "response.submit"  # from an integration
    RESPONSE_VIEW = "response.view"  # one response's answers (microdata)
    RESPONSE_ERASE = "response.erase"
    SCORES_VIEW = "scores.view"
    AGGREGATES_VIEW = "aggregates.view"
    EXPORT_CREATE = "export.create"
    EXPORT_VIEW = "export.view"
    REPORT_CREATE = "report.create"
    REPORT_VIEW = "report.view"
    TOKEN_MANAGE = "token.manage"  # noqa: S105 (an action name, not a secret)
    ROLE_MANAGE = "role.manage"
    AUDIT_VIEW = "audit.view"
    ADMIN_SITE_USE = "admin.use"  # the Django admin: every invitee's address, every response


class Decision(StrEnum):
    ALLOW = "allow"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"


_RESEARCHER = frozenset(
    {
        Action.BACKOFFICE_USE,
        Action.WAVE_VIEW,
        Action.INVITATION_VIEW,
        Action.RESPONSE_VIEW,
        Action.SCORES_VIEW,
        Action.AGGREGATES_VIEW,
        Action.EXPORT_CREATE,
        Action.EXPORT_VIEW,
        Action.REPORT_CREATE,
        Action.REPORT_VIEW,
    }
)
_CONVENOR = frozenset(
    {
        Action.BACKOFFICE_USE,
        Action.WAVE_VIEW,
        Action.INVITATION_VIEW,
        Action.AGGREGATES_VIEW,
        Action.REPORT_CREATE,
        Action.REPORT_VIEW,
    }
)
_RESPONDENT = frozenset({Action.RESPONSE_VIEW, Action.SCORES_VIEW, Action.RESPONSE_ERASE})

ROLE_ACTIONS: dict[Kind, frozenset[Action]] = {
    Kind.ADMIN: frozenset(Action),
    Kind.RESEARCHER: _RESEARCHER,
    Kind.CONVENOR: _CONVENOR,
    Kind.RESPONDENT: _RESPONDENT,
    Kind.NOBODY: frozenset(),
}


@dataclass(frozen=True)
class Principal:
    """Whoever acts. ``label`` names them in the audit log."""

    kind: Kind
    user: User | None = None
    response_id: int | None = None
    personal_data: bool = False
    label: str = "anonymous"
    _links: dict[str, frozenset[int]] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_staff_role(self) -> bool:
        return self.kind in (Kind.ADMIN, Kind.RESEARCHER, Kind.CONVENOR)

    def actions(self) -> frozenset[Action]:
        allowed = ROLE_ACTIONS[self.kind]
        if self.kind is Kind.RESEARCHER and self.personal_data:
            allowed = allowed | {Action.PERSONAL_DATA_VIEW}
        return allowed

    def linked_wave_ids(self) -> frozenset[int]:
        """The waves a convenor is linked to (read once per principal)."""
        if "waves" not in self._links:
            ids = (
                frozenset(
                    ConvenorLink.objects.filter(user=self.user).values_list("wave_id", flat=True)
                )
                if self.user is not None
                else frozenset()
            )
            self._links["waves"] = ids
        return self._links["waves"]


NOBODY = Principal(Kind.NOBODY)


def principal_for_user(user: AbstractBaseUser | AnonymousUser | None) -> Principal:
    """The principal of a signed-in user: superusers are admins; staff users with a
    :class:`StaffRole` have that role, staff users without one are admins; anyone
    else (not staff, inactive, anonymous) is nobody."""
    if not isinstance(user, User) or not user.is_active:
        return NOBODY
    label = user.get_username()
    if user.is_superuser:
        return Principal(Kind.ADMIN, user=user, personal_data=True, label=label)
    stored = StaffRole.objects.filter(user=user).first()
    if stored is None:
        if user.is_staff:
            return Principal(Kind.ADMIN, user=user, personal_data=True, label=label)
        return NOBODY
    kind = Kind(stored.role)
    personal = kind is Kind.ADMIN or (kind is Kind.RESEARCHER and stored.personal_data)
    return Principal(kind, user=user, personal_data=personal, label=label)


def principal_for_respondent(response_id: int) -> Principal:
    """A respondent who opened the personal link of ``response_id``."""
    return Principal(Kind.RESPONDENT, response_id=response_id, label=f"respondent:{response_id}")


def _wave_id_of(obj: Model) -> int | None:
    from collabready.web.surveys.models import Response, Wave

    if isinstance(obj, Wave):
        return int(obj.pk)
    if isinstance(obj, Response):
        return int(obj.wave_id)
    wave_id: Any = getattr(obj, "wave_id", None)
    return int(wave_id) if wave_id is not None else None


def _can_see(principal: Principal, obj: Model) -> bool:
    from collabready.web.surveys.models import Response

    kind = principal.kind
    if kind in (Kind.ADMIN, Kind.RESEARCHER):
        return True
    if kind is Kind.RESPONDENT:
        return isinstance(obj, Response) and obj.pk == principal.response_id
    if kind is Kind.CONVENOR:
        from collabready.web.reports.models import ReportJob

        if isinstance(obj, ReportJob) and obj.release_cutoff is None:
            return False  # only reports made from a release exist for convenors
        wave_id = _wave_id_of(obj)
        return wave_id is not None and wave_id in principal.linked_wave_ids()
    return False


#: what a convenor reads only from the wave's release
_FROM_RELEASE = frozenset({Action.AGGREGATES_VIEW, Action.REPORT_CREATE})


def _release_refuses(action: Action, obj: Model) -> bool:
    """Whether the convenor's release rule (module docstring) refuses ``action``."""
    from collabready.web.surveys.models import Wave
    from collabready.web.surveys.services.release import wave_release

    if not isinstance(obj, Wave) or action not in _FROM_RELEASE:
        return False
    return not wave_release(wave=obj).available


def decide(principal: Principal, action: Action, obj: Model | None = None) -> Decision:
    """May ``principal`` do ``action`` on ``obj`` (``None``: on no object, e.g. create
    a wave or list waves)? See the module docstring for the rules."""
    if obj is not None and not _can_see(principal, obj):
        return Decision.NOT_FOUND
    if action not in principal.actions():
        return Decision.FORBIDDEN
    if obj is not None and principal.kind is Kind.CONVENOR and _release_refuses(action, obj):
        return Decision.FORBIDDEN
    return Decision.ALLOW


def forbidden_reason(principal: Principal, action: Action, obj: Model | None = None) -> str:
    """Why :func:`decide` answered ``FORBIDDEN``, in words for the 403 page or problem."""
    from collabready.web.surveys.models import Wave
    from collabready.web.surveys.services.release import wave_release

    if (
        principal.kind is Kind.CONVENOR
        and isinstance(obj, Wave)
        and action in _FROM_RELEASE
        and action in principal.actions()
    ):
        withheld = wave_release(wave=obj).withheld
        if withheld:
            return withheld
    return f"your role may not do this ({action.value})"


def figures_until(principal: Principal, wave: Wave) -> datetime | None:
    """The submissions ``principal``'s figures of ``wave`` are computed from: all of them
    (``None``) for the research team, those up to the wave's release for a convenor
    (call it after :func:`decide` allowed the action)."""
    if principal.kind is not Kind.CONVENOR:
        return None
    from collabready.web.surveys.services.release import wave_release

    cutoff = wave_release(wave=wave).cutoff
    if cutoff is None:  # decide() refuses this; never fall back to the live submissions
        raise PermissionError("a convenor's figures need the wave's release")
    return cutoff


def may(principal: Principal, action: Action, obj: Model | None = None) -> bool:
    return decide(principal, action, obj) is Decision.ALLOW


def visible_waves(principal: Principal, waves: QuerySet[Wave]) -> QuerySet[Wave]:
    """The waves of ``waves`` the principal may see."""
    if principal.kind in (Kind.ADMIN, Kind.RESEARCHER):
        return waves
    if principal.kind is Kind.CONVENOR:
        return waves.filter(pk__in=principal.linked_wave_ids())
    return waves.none()
