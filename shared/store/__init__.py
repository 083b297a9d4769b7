"""The store's table definitions (SQLAlchemy Core), read by storage (the only writer, which owns
the migrations) and the gateway (read-only)."""
