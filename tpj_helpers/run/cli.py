"""The `tpj` command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _demo_data(args: argparse.Namespace) -> int:
    from tpj_helpers.synthetic.generate import generate_demo_data

    out = generate_demo_data(args.out, seed=args.seed, scale=args.scale)
    print(f"tpj: synthetic demo data written to {out} (seed {args.seed}, scale {args.scale})")
    return 0


def _run(args: argparse.Namespace) -> int:
    from tpj_helpers.run.runner import RunError, run

    try:
        result = run(args.params, data_dir=args.data_dir, out_root=args.out, jobs=args.jobs,
                     render=not args.no_render, fresh_kernels=args.fresh_kernels)
    except RunError as exc:
        print(f"tpj: run failed: {exc}", file=sys.stderr)
        return 1
    report = result.run_dir / "report"
    print(f"tpj: done. Report: {report / 'index.html'} and {report / 'report.pdf'}")
    return 0


def _render(args: argparse.Namespace) -> int:
    from tpj_helpers.report.render import RenderError, render_report

    try:
        result = render_report(args.run_dir)
    except RenderError as exc:
        print(f"tpj: render failed: {exc}", file=sys.stderr)
        return 1
    print(f"tpj: report ({result.engine}): {result.html} and {result.pdf}")
    return 0


def _audit(args: argparse.Namespace) -> int:
    from tpj_helpers.publish.audit import audit_run

    result = audit_run(args.run_dir)
    s = result.summary()
    print(f"tpj: disclosure audit of {args.run_dir}: {s['hidden']} hidden cells "
          f"({s['primary']} primary, {s['secondary']} secondary), narrowest primary interval "
          f"{s['narrowest_primary']}, {s['breaches']} breaches; cells in {args.run_dir}/results/disclosure_audit.csv")
    if s["breaches"]:
        print(f"tpj: {result.message()}", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tpj", description="Tættere På Job evaluation suite")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo-data", help="write a synthetic data folder in the data contract's shape")
    demo.add_argument("--out", type=Path, required=True, help="folder to write (created if absent)")
    demo.add_argument("--seed", type=int, default=2025, help="random seed (default 2025)")
    demo.add_argument("--scale", type=float, default=1.0, help="multiply all counts (default 1)")
    demo.set_defaults(func=_demo_data)
    run = sub.add_parser("run", help="execute the notebooks and render the report")
    run.add_argument("--params", type=Path, default=Path("params/default.yaml"), help="parameter file")
    run.add_argument("--data-dir", help="data folder (overrides the parameter file; 'demo' = synthetic)")
    run.add_argument("--out", type=Path, default=None, help="output root (default output/)")
    run.add_argument("--jobs", type=int, default=None, help="notebooks in parallel (default: cores)")
    run.add_argument("--fresh-kernels", action="store_true",
                     help="a new kernel for every notebook (default: each worker reuses its kernel, reset between notebooks)")
    run.add_argument("--no-render", action="store_true", help="skip the HTML/PDF report")
    run.set_defaults(func=_run)
    render = sub.add_parser("render", help="render the report of an existing run folder again")
    render.add_argument("run_dir", type=Path, help="a run folder, e.g. output/latest")
    render.set_defaults(func=_render)
    audit = sub.add_parser("audit", help="attack a run's published files: can a hidden cell be worked out?")
    audit.add_argument("run_dir", type=Path, help="a run folder, e.g. output/latest")
    audit.set_defaults(func=_audit)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (FileExistsError, FileNotFoundError, ValueError) as exc:  # ContractError is a ValueError
        print(f"tpj: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
