"""``python3 -m fieldreport_client``: call any method by name with a JSON request.

    python3 -m fieldreport_client [--host H] [--port P] [--api-key K | --token T | --login USER]
                                  call <method> ['<json>']
    python3 -m fieldreport_client list
    python3 -m fieldreport_client health [service]

``call`` on a server-streaming method prints one JSON object per line as they arrive.
Exit status: 0 on OK, 1 for a non-OK status (printed to stderr with its details), 2 for a
usage error, 3 when the server cannot be reached.
"""

from __future__ import annotations

import argparse
import base64
import getpass
import json
import os
import sys
from typing import Any

from .client import Client
from .protobuf import CodecError
from .status import RpcError


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _print(value: Any, compact: bool) -> None:
    print(json.dumps(_jsonable(value), ensure_ascii=False, indent=None if compact else 2))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python3 -m fieldreport_client", description="Call a fieldreport server.")
    parser.add_argument("--host", default=os.environ.get("FIELDREPORT_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("FIELDREPORT_PORT", "7443")))
    credentials = parser.add_mutually_exclusive_group()
    credentials.add_argument("--api-key", default=os.environ.get("FIELDREPORT_API_KEY"), help="service account key (env FIELDREPORT_API_KEY)")
    credentials.add_argument("--token", default=os.environ.get("FIELDREPORT_TOKEN"), help="session token (env FIELDREPORT_TOKEN)")
    credentials.add_argument("--login", metavar="USER", help="log in first; password from env FIELDREPORT_PASSWORD or a prompt")
    parser.add_argument("--timeout", type=float, default=30.0, help="deadline in seconds (default 30; streams: none)")
    parser.add_argument("--metadata", "-H", action="append", default=[], metavar="KEY=VALUE", help="extra call metadata")
    parser.add_argument("--descriptor-set", metavar="FILE", help="read message types from this FileDescriptorSet instead of reflection")
    parser.add_argument("--compact", action="store_true", help="one-line JSON output")
    sub = parser.add_subparsers(dest="command", required=True)
    call = sub.add_parser("call", help="call a method: call <method> ['<json>' | @file | -]")
    call.add_argument("method", help="CaseService.GetCase, /fieldreport.v1.CaseService/GetCase or GetCase")
    call.add_argument("request", nargs="?", default="{}", help="the request as JSON; @FILE reads a file, - reads stdin")
    sub.add_parser("list", help="list services and methods (reflection)")
    health = sub.add_parser("health", help="health check")
    health.add_argument("service", nargs="?", default="")
    return parser


def _request(text: str) -> dict[str, Any]:
    if text == "-":
        text = sys.stdin.read()
    elif text.startswith("@"):
        with open(text[1:], encoding="utf-8") as handle:
            text = handle.read()
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("the request must be a JSON object")
    return value


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    descriptor_set = None
    if args.descriptor_set:
        with open(args.descriptor_set, "rb") as handle:
            descriptor_set = handle.read()
    metadata = []
    for item in args.metadata:
        key, sep, value = item.partition("=")
        if not sep:
            print(f"--metadata {item!r}: expected KEY=VALUE", file=sys.stderr)
            return 2
        metadata.append((key, value))
    client = Client(
        args.host, args.port, api_key=args.api_key, token=args.token, default_timeout=args.timeout,
        default_metadata=metadata, descriptor_set=descriptor_set,
    )
    try:
        if args.login:
            password = os.environ.get("FIELDREPORT_PASSWORD") or getpass.getpass(f"Password for {args.login}: ")
            client.login(args.login, password)
        if args.command == "health":
            print(client.health(args.service))
        elif args.command == "list":
            for service in client.list_services():
                print(service["name"])
                for method in service["methods"]:
                    arrow = "stream " if method["serverStreaming"] else ""
                    print(f"  {method['name']}({method['inputMessage']}) → {arrow}{method['outputMessage']}")
        else:
            try:
                request = _request(args.request)
            except (ValueError, OSError) as error:
                print(f"bad request: {error}", file=sys.stderr)
                return 2
            try:
                info = client.method(args.method)
            except KeyError as error:
                print(error.args[0], file=sys.stderr)
                return 2
            if info.server_streaming:
                for message in client.stream(args.method, request, timeout=None):
                    _print(message, compact=True)
                    sys.stdout.flush()
            else:
                _print(client.call(args.method, request), args.compact)
        return 0
    except RpcError as error:
        print(f"error: {error}", file=sys.stderr)
        for detail in error.details:
            print(f"  detail: {json.dumps(_jsonable(detail), ensure_ascii=False)}", file=sys.stderr)
        return 1
    except CodecError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (ConnectionError, OSError) as error:
        print(f"cannot reach {args.host}:{args.port}: {error}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        return 130
    finally:
        client.close()


if __name__ == "__main__":
    sys.exit(main())
