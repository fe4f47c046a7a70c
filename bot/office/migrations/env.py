"""Alembic environment of the app database (knowledge.sqldb.run_migrations_here)."""
from knowledge.sqldb import run_migrations_here

run_migrations_here()
