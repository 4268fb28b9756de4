"""The `tpj` command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tpj_helpers.contract import ContractError


def _demo_data(args: argparse.Namespace) -> int:
    from tpj_helpers.synthetic.generate import generate_demo_data

    out = generate_demo_data(args.out, seed=args.seed, scale=args.scale)
    print(f"tpj: synthetic demo data written to {out} (seed {args.seed}, scale {args.scale})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tpj", description="Tættere På Job evaluation suite")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo-data", help="write a synthetic data folder in the data contract's shape")
    demo.add_argument("--out", type=Path, required=True, help="folder to write (created if absent)")
    demo.add_argument("--seed", type=int, default=2025, help="random seed (default 2025)")
    demo.add_argument("--scale", type=float, default=1.0, help="multiply all counts (default 1)")
    demo.set_defaults(func=_demo_data)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ContractError, FileExistsError, ValueError) as exc:
        print(f"tpj: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
