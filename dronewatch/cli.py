"""The `dronewatch` command: run the stack, create topics, migrate the store, build the
gazetteer index, export the message schemas, import reports, manage followed Telegram channels."""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dronewatch", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the whole stack locally and feed the sample reports")
    run.add_argument("--samples", type=Path, default=Path("samples"))
    run.add_argument("--channels", type=Path, help="follow the Telegram channels listed in this file (none by default)")
    run.add_argument("--ready-file", type=Path, help="written once every service answers (default: "
                     "$DRONEWATCH_READY_FILE, else <DATA_DIR>/dronewatch.ready); removed at stop")
    wait = sub.add_parser("wait", help="wait until every service of the stack answers its /readyz "
                          "(exit 0), or the timeout passes (exit 1)")
    wait.add_argument("--timeout", type=float, default=120.0, help="seconds (default 120)")
    wait.add_argument("--ready-file", type=Path, help="also wait for this ready file (see `run --ready-file`)")
    sub.add_parser("topics", help="create the catalogue's topics on KAFKA_BOOTSTRAP_SERVERS")
    sub.add_parser("migrate", help="bring DATABASE_URL's schema to the newest version")
    gaz = sub.add_parser("gazetteer", help="build the gazetteer index (GAZETTEER_INDEX_PATH)")
    gaz.add_argument("--rebuild", action="store_true", help="rebuild even if the index exists")
    subs = sub.add_parser("subscribe", help="follow the public event topic: JSON lines of the events that match")
    subs.add_argument("--admin1", action="append", default=[], help="ISO 3166-2 code, e.g. RU-ROS (repeatable)")
    subs.add_argument("--country", action="append", default=[], help="ISO 3166-1 alpha-2, e.g. UA (repeatable)")
    subs.add_argument("--type", action="append", default=[], dest="types",
                      choices=["interception", "attack", "impact", "debris_fall"])
    subs.add_argument("--weapon", action="append", default=[], dest="weapons",
                      choices=["uav", "missile", "glide_bomb", "artillery", "unknown"])
    subs.add_argument("--incidents", action="store_true",
                      help="follow incidents.v1 instead: each incident's whole new state (one real event, all reports)")
    subs.add_argument("--from-beginning", action="store_true", help="replay what the topic still holds")
    subs.add_argument("--group", help="join this consumer group and commit, so a restart resumes")
    subs.add_argument("--max-events", type=int, help="stop after printing this many")
    subs.add_argument("--idle-timeout", type=float, help="stop after this many seconds without records")
    imp = sub.add_parser("import", help="send reports from a JSONL or CSV file to a running ingestion service")
    imp.add_argument("file", type=Path, help=".jsonl (one ArticleIn object a line) or .csv (header row of field names)")
    tg = sub.add_parser("telegram-import", help="send a Telegram Desktop export (result.json) to ingestion")
    tg.add_argument("file", type=Path, help="the export's result.json")
    tg.add_argument("--channel", help="the channel's username for report ids and t.me links (default: its numeric id)")
    for p in (imp, tg):
        p.add_argument("--url", default="http://127.0.0.1:8001", help="the ingestion service")
        p.add_argument("--chunk", type=int, default=200, help="reports per batch request")
        p.add_argument("--token", default=os.environ.get("DRONEWATCH_TOKEN"),
                       help="API key with scope `ingest`, when ingestion requires one (default: $DRONEWATCH_TOKEN)")
        p.add_argument("--json", action="store_true", help="print the summary as JSON")
    from services.ingestion.sources.channels_cli import add_parser as add_channels_parser

    add_channels_parser(sub, os.environ.get("DRONEWATCH_TOKEN"))
    schemas = sub.add_parser("schemas", help="export every topic's JSON Schema")
    schemas.add_argument("--out", type=Path, default=Path("deploy/schemas"))
    args = parser.parse_args(argv)

    if args.command == "run":
        from dronewatch.devstack import run as run_stack

        return run_stack(args.samples, channels=args.channels, ready_file=args.ready_file)
    if args.command == "wait":
        from dronewatch.readiness import wait_command

        return wait_command(args.timeout, args.ready_file)
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

        from shared.config import GazetteerSettings
        from shared.places.indexfile import ensure_index

        logging.basicConfig(level="INFO", format="%(asctime)s %(message)s")
        print(ensure_index(GazetteerSettings(), rebuild=args.rebuild))
        return 0
    if args.command == "subscribe":
        from shared.kafka.subscribe import EventFilter, run_subscribe

        flt = EventFilter(admin1=frozenset(c.upper() for c in args.admin1),
                          country=frozenset(c.upper() for c in args.country),
                          types=frozenset(args.types), weapons=frozenset(args.weapons))
        return run_subscribe(flt, from_beginning=args.from_beginning, group=args.group,
                             max_events=args.max_events, idle_timeout_s=args.idle_timeout, incidents=args.incidents)
    if args.command in ("import", "telegram-import"):
        from services.ingestion.sources.cli import run_import_command

        return run_import_command(args)
    if args.command == "channels":
        from services.ingestion.sources.channels_cli import run_channels_command

        return run_channels_command(args)
    if args.command == "schemas":
        from shared.schemas import export_schemas

        for path in export_schemas(args.out):
            print(path)
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
