"""The `dronewatch` command: run the stack, create topics, migrate the store, build the
gazetteer index, export the message schemas."""
from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dronewatch", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the whole stack locally and feed the sample reports")
    run.add_argument("--samples", type=Path, default=Path("samples"))
    sub.add_parser("topics", help="create the catalogue's topics on KAFKA_BOOTSTRAP_SERVERS")
    sub.add_parser("migrate", help="bring DATABASE_URL's schema to the newest version")
    gaz = sub.add_parser("gazetteer", help="build the gazetteer index (GAZETTEER_INDEX_PATH)")
    gaz.add_argument("--rebuild", action="store_true", help="rebuild even if the index exists")
    schemas = sub.add_parser("schemas", help="export every topic's JSON Schema")
    schemas.add_argument("--out", type=Path, default=Path("deploy/schemas"))
    args = parser.parse_args(argv)

    if args.command == "run":
        from shared.devstack import run as run_stack

        return run_stack(args.samples)
    if args.command == "topics":
        from shared.config import BaseServiceSettings
        from shared.kafka.clients import ensure_topics
        from shared.topics import ALL_TOPICS

        created = asyncio.run(ensure_topics(BaseServiceSettings(), ALL_TOPICS))
        print(f"created: {', '.join(created) or 'nothing (all exist)'}")
        return 0
    if args.command == "migrate":
        from services.storage.migrations import upgrade
        from shared.config import DatabaseSettings

        upgrade(DatabaseSettings().database_url)
        print("migrated")
        return 0
    if args.command == "gazetteer":
        import logging

        from services.geocoding.index import ensure_index
        from shared.config import GazetteerSettings

        logging.basicConfig(level="INFO", format="%(asctime)s %(message)s")
        print(ensure_index(GazetteerSettings(), rebuild=args.rebuild))
        return 0
    if args.command == "schemas":
        from shared.schemas import export_schemas

        for path in export_schemas(args.out):
            print(path)
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
