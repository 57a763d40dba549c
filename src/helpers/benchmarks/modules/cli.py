"""``python -m helpers.benchmarks.modules``: fetch, analyse, survey, library."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

logger = logging.getLogger(__package__)


def _cmd_fetch(args) -> int:
    from tqdm.contrib.logging import logging_redirect_tqdm

    from .fetch import fetch_modules
    from .manifest import resolve_manifest

    manifest = resolve_manifest(args.manifest)
    logger.info("manifest %s", manifest)
    with logging_redirect_tqdm():
        report = fetch_modules(manifest, args.out, args.cache, seconds=args.seconds, progress=not args.no_progress)
    return 1 if (report["status"] == "failed").any() else 0


def _cmd_analyse(args) -> int:
    from .openmpt import Module, ModuleError, load_library
    from .survey import analyse_bytes, evidence_note
    from .tempo import describe_timeline

    lib = load_library(args.cache)
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModuleError(f"{path}: cannot read it ({exc.strerror})") from None
    info = analyse_bytes(data, str(path), lib)
    with Module(data, str(path), lib=lib) as mod:
        tracker = mod.metadata("tracker")
        print(f"{path}: {mod.metadata('type_long') or info['format']} ({tracker or 'tracker unknown'}), "
              f"title {info['title']!r}, {mod.num_channels} channels, {info['subsongs']} subsong(s), "
              f"{info['duration_s']:.2f} s; libopenmpt {lib.version}")
    for line in describe_timeline(info["timeline"], args.every):
        print(line)
    s = info["summary"]
    print(f"main tempo: {s.bpm:.2f} BPM at {s.rows_per_beat} rows/beat (tempo {s.tempo:g}, speed {s.speed}), "
          f"{s.constant_share:.1%} of the time, {s.clip_share:.1%} of the first 30 s, {s.distinct} tempo(s) met")
    if info["reason"]:
        print(f"not used: {info['reason']}")
    else:
        print(f"used: {evidence_note(info)}")
    return 0


def _cmd_survey(args) -> int:
    from .survey import survey

    packages = list(args.packages)
    if args.packages_from:
        packages += [ln.split("#")[0].strip() for ln in Path(args.packages_from).read_text().splitlines()
                     if ln.split("#")[0].strip()]
    manifest, report = survey(packages, args.cache, progress=not args.no_progress)
    manifest.to_csv(args.out, index=False)
    if args.report:
        report.to_csv(args.report, index=False)
    counts = report["status"].value_counts().to_dict()
    looked = int(report["path"].notna().sum())
    logger.info("%d package(s), %d with modules; %d file(s) looked at: %d kept, %d dropped; manifest %s",
                len(packages), report.loc[report["path"].notna(), "package"].nunique(), looked,
                counts.get("kept", 0), counts.get("dropped", 0), args.out)
    return 0


def _cmd_library(args) -> int:
    from .openmpt import load_library

    lib = load_library(args.cache)
    print(f"libopenmpt {lib.version} from {lib.origin}")
    return 0


def main(argv: list[str] | None = None) -> int:
    from ...errors import SynthMIRError
    from .fetch import DEFAULT_SECONDS
    from .openmpt import default_cache_dir

    parser = argparse.ArgumentParser(
        prog="python -m helpers.benchmarks.modules",
        description="Tracker modules from Debian game packages as a tempo benchmark (libopenmpt via ctypes).")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    cache_help = f"cache for .debs, apt lists and libopenmpt (default {default_cache_dir()})"

    p = sub.add_parser("fetch", help="render the manifest's modules as FLAC + tracks.csv")
    p.add_argument("--out", required=True, type=Path, help="output folder (<track_id>.flac, tracks.csv)")
    p.add_argument("--manifest", default=None, help="shipped manifest name (tempo) or a CSV path; default tempo")
    p.add_argument("--cache", type=Path, default=None, help=cache_help)
    p.add_argument("--seconds", type=float, default=DEFAULT_SECONDS,
                   help=f"seconds rendered from the start (default {DEFAULT_SECONDS:g})")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_fetch)

    p = sub.add_parser("analyse", aliases=["analyze"], help="print the tempo/speed timeline of one module file")
    p.add_argument("file", help="a module file (.mod, .xm, .it, .s3m, ...)")
    p.add_argument("--every", type=float, default=0.5, help="print the state every N seconds (default 0.5)")
    p.add_argument("--cache", type=Path, default=None, help=cache_help)
    p.set_defaults(func=_cmd_analyse)

    p = sub.add_parser("survey", help="look through Debian packages and write a manifest of the modules kept")
    p.add_argument("packages", nargs="*", help="Debian package names")
    p.add_argument("--packages-from", type=Path, default=None, help="a file with one package name a line")
    p.add_argument("--out", required=True, type=Path, help="manifest CSV to write")
    p.add_argument("--report", type=Path, default=None, help="CSV of every file looked at, kept or why not")
    p.add_argument("--cache", type=Path, default=None, help=cache_help)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_survey)

    p = sub.add_parser("library", help="find or fetch libopenmpt and say which one is used")
    p.add_argument("--cache", type=Path, default=None, help=cache_help)
    p.set_defaults(func=_cmd_library)

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except (SynthMIRError, RuntimeError, OSError, ValueError) as exc:
        logger.error("%s", exc)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
