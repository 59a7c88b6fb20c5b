"""Template tags of the back office's layout."""

from __future__ import annotations

from typing import Any

from django import template

from collabready.web.admin_site import may_use_admin

register = template.Library()


@register.simple_tag(takes_context=True)
def admin_link_shown(context: dict[str, Any]) -> bool:
    """Whether the layout links to the Django admin: only for those the policy lets in."""
    request = context.get("request")
    return request is not None and may_use_admin(request)
