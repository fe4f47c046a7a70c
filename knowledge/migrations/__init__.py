"""Alembic migrations of the document registry (a SQLite file in the data dir, or IPBOT_REGISTRY_URL), kept in the
version table ``registry_version`` so that the registry may share a database with the app's; run by
``knowledge.sqldb.migrate`` when the registry is opened. ``HEAD`` names the newest revision."""

HEAD = "0001"
