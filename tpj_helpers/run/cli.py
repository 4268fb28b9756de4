"""The `tpj` command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _demo_data(args: argparse.Namespace) -> int:
    from tpj_helpers.synthetic.generate import generate_demo_data

    out = generate_demo_data(
        args.out,
        seed=args.seed,
        scale=args.scale,
        comparison_ratio=args.comparison_ratio,
        pool_size=args.pool_size,
        true_effect=args.true_effect,
        pool_format=args.pool_format,
    )
    print(f"tpj: synthetic demo data written to {out} (seed {args.seed}, scale {args.scale})")
    return 0


def _run(args: argparse.Namespace) -> int:
    from tpj_helpers.data.contract import ContractError
    from tpj_helpers.data.survey import CodebookError
    from tpj_helpers.report.render import RenderError
    from tpj_helpers.run.errors import exit_code
    from tpj_helpers.run.lifecycle import RunInterrupted
    from tpj_helpers.run.runner import RunError, run

    only = [n.strip() for item in (args.only or []) for n in item.split(",") if n.strip()]
    try:
        result = run(
            args.params,
            data_dir=args.data_dir,
            out_root=args.out,
            jobs=args.jobs,
            render=not args.no_render,
            fresh_kernels=args.fresh_kernels,
            only=only or None,
            cache=not args.no_cache,
            cache_dir=args.cache_dir,
        )
    except RunInterrupted as exc:
        print(f"tpj: run interrupted ({exc}); the run folder's manifest says so", file=sys.stderr)
        return exit_code(exc)
    except (RunError, ContractError, CodebookError, RenderError) as exc:
        # Printed once, here, without a traceback; the exit code says what kind (README).
        print(f"tpj: run failed: {exc}", file=sys.stderr)
        return exit_code(exc)
    report = result.run_dir / "report"
    print(f"tpj: done. Report: {report / 'index.html'} and {report / 'report.pdf'}")
    return 0


def _batch(args: argparse.Namespace) -> int:
    from tpj_helpers.run.batch import BatchError, run_batch
    from tpj_helpers.run.errors import EXIT_BAD_INPUT, EXIT_NOTEBOOK

    try:
        _, results = run_batch(
            args.batch_file,
            out_root=args.out,
            jobs=args.jobs,
            scheduler=args.scheduler,
            jobs_per_run=args.jobs_per_run,
            render=not args.no_render,
        )
    except BatchError as exc:
        print(f"tpj: batch failed: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    failed = [r.name for r in results if not r.ok]
    if failed:
        print(f"tpj: batch: {len(failed)} variant(s) failed: {', '.join(failed)}", file=sys.stderr)
        return EXIT_NOTEBOOK
    return 0


def _render(args: argparse.Namespace) -> int:
    from tpj_helpers.report.render import RenderError, render_report

    try:
        result = render_report(args.run_dir)
    except RenderError as exc:
        print(f"tpj: render failed: {exc}", file=sys.stderr)
        return 3
    print(f"tpj: report ({result.engine}): {result.html} and {result.pdf}")
    return 0


def _audit(args: argparse.Namespace) -> int:
    from tpj_helpers.publish.audit import audit_run

    result = audit_run(args.run_dir)
    s = result.summary()
    print(
        f"tpj: disclosure audit of {args.run_dir}: {s['hidden']} hidden cells "
        f"({s['primary']} primary, {s['secondary']} secondary)"
        + (
            f", {s['unpublished']} unpublished («i.o.», any value from 0)"
            if s["unpublished"]
            else ""
        )
        + ", narrowest primary interval "
        f"{s['narrowest_primary']}, {s['breaches']} breaches; cells in {args.run_dir}/results/disclosure_audit.csv"
    )
    if s["breaches"]:
        print(f"tpj: {result.message()}", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tpj", description="Tættere På Job evaluation suite")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo-data", help="write a synthetic data folder in the data contract's shape"
    )
    demo.add_argument("--out", type=Path, required=True, help="folder to write (created if absent)")
    demo.add_argument("--seed", type=int, default=2025, help="random seed (default 2025)")
    demo.add_argument("--scale", type=float, default=1.0, help="multiply all counts (default 1)")
    demo.add_argument(
        "--comparison-ratio",
        type=float,
        default=None,
        help="comparison pool persons per register-sample person (default 20; 0 = no pool)",
    )
    demo.add_argument(
        "--pool-size",
        type=int,
        default=None,
        help="comparison pool persons, exactly (overrides --comparison-ratio)",
    )
    demo.add_argument(
        "--true-effect",
        type=float,
        default=None,
        help="the course's true effect in score points, built into the pool (default 0.5)",
    )
    demo.add_argument(
        "--pool-format",
        choices=("csv", "parquet"),
        default="csv",
        help="file format of comparison/ (parquet for large pools)",
    )
    demo.set_defaults(func=_demo_data)
    run = sub.add_parser("run", help="execute the notebooks and render the report")
    run.add_argument(
        "--params", type=Path, default=Path("params/default.yaml"), help="parameter file"
    )
    run.add_argument(
        "--data-dir", help="data folder (overrides the parameter file; 'demo' = synthetic)"
    )
    run.add_argument("--out", type=Path, default=None, help="output root (default output/)")
    run.add_argument(
        "--jobs", type=int, default=None, help="notebooks in parallel (default: cores)"
    )
    run.add_argument(
        "--fresh-kernels",
        action="store_true",
        help="a new kernel for every notebook (default: each worker reuses its kernel, reset between notebooks)",
    )
    run.add_argument("--no-render", action="store_true", help="skip the HTML/PDF report")
    run.add_argument(
        "--only",
        action="append",
        metavar="NOTEBOOK",
        help="execute these notebooks (repeat or comma-separate); the others are "
        "reused from the cache when unchanged, and the report is rendered whole",
    )
    run.add_argument(
        "--no-cache",
        action="store_true",
        help="execute every notebook and render anew; store nothing in the cache",
    )
    run.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="cache of executed notebooks and renders (default OUT/.cache)",
    )
    run.set_defaults(func=_run)
    batch = sub.add_parser("batch", help="run report variants (per phase, per municipality, ...)")
    batch.add_argument("batch_file", type=Path, help="batch file, e.g. params/batch.yaml")
    batch.add_argument("--out", type=Path, default=None, help="output root (default output/)")
    batch.add_argument(
        "--jobs", type=int, default=2, help="variants in parallel on local processes (default 2)"
    )
    batch.add_argument(
        "--scheduler",
        default=None,
        help="Dask scheduler address (e.g. tcp://host:8786): run the variants there",
    )
    batch.add_argument(
        "--jobs-per-run",
        type=int,
        default=1,
        help="notebooks in parallel within a variant (default 1)",
    )
    batch.add_argument("--no-render", action="store_true", help="skip the reports' HTML/PDF")
    batch.set_defaults(func=_batch)
    render = sub.add_parser("render", help="render the report of an existing run folder again")
    render.add_argument("run_dir", type=Path, help="a run folder, e.g. output/latest")
    render.set_defaults(func=_render)
    audit = sub.add_parser(
        "audit", help="attack a run's published files: can a hidden cell be worked out?"
    )
    audit.add_argument("run_dir", type=Path, help="a run folder, e.g. output/latest")
    audit.set_defaults(func=_audit)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:  # before or after a run's own handler
        from tpj_helpers.run.errors import EXIT_INTERRUPTED

        print("tpj: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (FileExistsError, FileNotFoundError, ValueError) as exc:  # ContractError is a ValueError
        print(f"tpj: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
