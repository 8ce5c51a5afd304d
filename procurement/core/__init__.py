"""Platform core: configuration, database, clock, security, access policy, audit, errors, jobs.

Nothing in here imports a feature package.
"""
