"""``python -m collabready.web COMMAND``: Django's management commands."""

from collabready.web.manage import main

main()
