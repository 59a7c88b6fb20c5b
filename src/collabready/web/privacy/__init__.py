"""Data protection: privacy notices, erasure, retention and purge, subject access."""
