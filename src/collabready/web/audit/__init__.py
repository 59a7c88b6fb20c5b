"""The audit log: who did what, and when. Append-only; only admins read it."""
