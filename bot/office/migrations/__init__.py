"""Alembic migrations of the app database (SQLite by default, PostgreSQL with IPBOT_DATABASE_URL); run by
``knowledge.sqldb.migrate`` when the database is opened. ``HEAD`` names the newest revision."""

HEAD = "0003"
