"""Alembic environment of the registry (knowledge.sqldb.run_migrations_here)."""
from knowledge.sqldb import run_migrations_here

run_migrations_here()
