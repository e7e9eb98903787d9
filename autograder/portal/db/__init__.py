"""The portal's database: tables (``models``), engine and sessions, migrations (``engine``)."""
