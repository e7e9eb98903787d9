"""Alembic environment: run with the connection ``db.engine.migrate`` hands over (or the URL)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from autograder.portal.db.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    conn = config.attributes.get("connection")
    if conn is None:
        engine = sa.create_engine(config.get_main_option("sqlalchemy.url"))
        with engine.begin() as conn:
            _migrate(conn)
        return
    _migrate(conn)


def _migrate(conn) -> None:
    context.configure(connection=conn, target_metadata=target_metadata,
                      render_as_batch=conn.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


run()
