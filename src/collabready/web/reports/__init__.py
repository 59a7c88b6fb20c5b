"""Reports from the web database: national reports and sector briefings generated as
background jobs for staff, wave margins, and the loader the ``collabready report --wave``
command uses. The documents themselves come from :mod:`collabready.reporting`."""
