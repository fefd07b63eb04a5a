"""Alembic environment of the ward store, driven from code (crs.store.engine.migrate).

There is no alembic.ini: ``migrate`` builds the Config and hands over an open
connection in ``config.attributes["connection"]``, already inside the transaction
(and, on PostgreSQL, holding the advisory lock) so two processes starting at once
migrate one after the other.
"""

from __future__ import annotations

from alembic import context

from crs.store.models import metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "The ward store migrates through crs.store.engine.migrate(engine), "
            "which passes the connection to use."
        )
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("The ward store has no offline (SQL script) migrations.")
run_migrations_online()
