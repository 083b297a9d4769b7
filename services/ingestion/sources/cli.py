"""`dronewatch import FILE` and `dronewatch telegram-import EXPORT.json`: read locally, send to
a running ingestion service, print the summary. Exit status 0 when everything was taken (accepted
or duplicate), 1 when some items were rejected, 2 when the import could not run."""
from __future__ import annotations

import argparse
import json
import sys

from services.ingestion.sources.files import ImportFailed, count_items, read_report_file, run_import
from services.ingestion.sources.telegram import export_posts


def run_import_command(args: argparse.Namespace) -> int:
    try:
        if args.command == "import":
            items = read_report_file(args.file)
            total = count_items(args.file)
            summary = run_import(items, url=args.url, path="/v1/articles/batch?origin=file", key="articles",
                                 chunk=args.chunk, total=total, token=args.token)
        else:
            data = json.loads(args.file.read_text(encoding="utf-8"))
            posts = [(f"message {mid}", p if isinstance(p, str) else p.model_dump(mode="json", exclude_none=True))
                     for mid, p in export_posts(data, channel=args.channel)]
            summary = run_import(posts, url=args.url, path="/v1/telegram/posts/batch", key="posts",
                                 chunk=args.chunk, total=len(posts), token=args.token)
    except (OSError, ValueError, ImportFailed) as err:
        print(f"import failed: {err}", file=sys.stderr)
        print("(re-running is safe: reports already taken come back as duplicates)", file=sys.stderr)
        return 2
    print(json.dumps(summary.as_dict(), ensure_ascii=False) if args.json else summary.render())
    return 1 if summary.rejected else 0
