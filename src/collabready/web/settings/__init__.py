"""Django settings for collabready: ``base`` (development and the demo), ``production``, ``test``."""
