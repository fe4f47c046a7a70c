"""Alembic environment: migrations run on the connection ``knowledge.sqldb.migrate`` passes in."""
from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, render_as_batch=connection.dialect.name == "sqlite",
                  version_table=context.config.attributes.get("version_table", "alembic_version"))
with context.begin_transaction():
    context.run_migrations()
