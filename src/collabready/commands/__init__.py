"""Subcommands of the collabready CLI; each module has ``register(app)``."""
