"""`dronewatch channels add|list|remove|poll`: the channels admin API of a running ingestion
service (`--url`, with an API key of scope `admin` in `--token` when it requires one). Prints what
the service answers; exit status 0 on success, 1 when the service refused (the reason on stderr),
2 when it could not be reached."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import httpx


def add_parser(sub: Any, token_default: str | None) -> None:
    ch = sub.add_parser("channels", help="follow Telegram channels: add, list, remove, poll (the channels admin API)")
    actions = ch.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="follow a channel (from its newest posts, or backfilled)")
    add.add_argument("name", help="the channel's username, as in t.me/<name>")
    add.add_argument("--interval", type=float, dest="interval_s", help="seconds between polls")
    add.add_argument("--from-id", type=int, dest="backfill_from_id", help="backfill from this post id on")
    add.add_argument("--from-date", dest="backfill_from_date", help="backfill from this time on (ISO 8601)")
    actions.add_parser("list", help="the followed channels and their state")
    for name, what in (("remove", "stop following a channel"), ("poll", "poll a channel now and print the outcome"),
                       ("show", "one channel's state")):
        actions.add_parser(name, help=what).add_argument("name")
    for p in actions.choices.values():
        p.add_argument("--url", default="http://127.0.0.1:8001", help="the ingestion service")
        p.add_argument("--token", default=token_default,
                       help="API key with scope `admin`, when ingestion requires one (default: $DRONEWATCH_TOKEN)")


def run_channels_command(args: argparse.Namespace) -> int:
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    base = "/v1/admin/channels"
    try:
        with httpx.Client(base_url=args.url, headers=headers, timeout=120.0) as client:
            if args.action == "add":
                body = {k: v for k in ("name", "interval_s", "backfill_from_id", "backfill_from_date")
                        if (v := getattr(args, k)) is not None}
                resp = client.post(base, json=body)
            elif args.action == "list":
                resp = client.get(base)
            elif args.action == "remove":
                resp = client.delete(f"{base}/{args.name.removeprefix('@')}")
            elif args.action == "poll":
                resp = client.post(f"{base}/{args.name.removeprefix('@')}/poll")
            else:
                resp = client.get(f"{base}/{args.name.removeprefix('@')}")
    except httpx.HTTPError as err:
        print(f"cannot reach the ingestion service at {args.url}: {err}", file=sys.stderr)
        return 2
    if resp.status_code >= 400:
        print(f"{resp.request.method} {resp.request.url.path} answered {resp.status_code}: {_reason(resp)}",
              file=sys.stderr)
        return 1
    if resp.status_code == 204:
        print(f"{args.name}: no longer followed")
    elif args.action == "list":
        print(render_list(resp.json()))
    else:
        print(json.dumps(resp.json(), ensure_ascii=False, indent=2))
    return 0


def render_list(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "no channels followed"
    lines = []
    for r in rows:
        who = ", ".join(x for x in (r.get("owner"), r.get("region")) if x) or "not in the registry"
        state = "backfilling" if r.get("backfilling") else ("enabled" if r.get("enabled") else "paused")
        lines.append(f"{r['name']:<24} {state:<11} last post {r.get('last_post_id') or '-':<8} "
                     f"taken {r['taken']}, edited {r['edited']}, deleted {r['deleted']}, "
                     f"skipped {r['skipped_media'] + r['skipped_service']}  [{who}]  {r.get('last_status') or ''}")
    return "\n".join(lines)


def _reason(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:300]
    return str(body.get("detail") or body.get("error") or body)
