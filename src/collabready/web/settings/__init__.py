"""Django settings for collabready: ``base`` (development, the demo), ``production``, ``test``."""
