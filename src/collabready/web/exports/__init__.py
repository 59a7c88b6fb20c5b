"""Microdata export jobs: one service shared by the API and the back office."""
