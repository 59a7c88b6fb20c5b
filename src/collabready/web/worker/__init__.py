"""Background workers that survive being killed: leases, heartbeats, recovery, fencing.

See :mod:`collabready.web.worker.leases` for the rules and ``docs/deployment.md``
(The worker) for how to run them.
"""
