"""The search that built the shipped manifest: download the packages of :data:`SEARCHED`,
read every MIDI file in them (plain, in zip archives, in Doom WADs), apply the key-evidence
rules, and write the manifest of the kept files plus a report of every candidate.

How the packages were chosen: ``apt-cache search`` for MIDI and music, then the
descriptions of Debian main (bookworm) naming MIDI files, example songs, scores or game
music, then ``dpkg-deb`` listings of the packages downloaded (see :data:`SEARCHED`; no
``apt-file`` on the machine). Reserved packages are refused (:data:`~.common.RESERVED_PACKAGES`).

    python -m helpers.benchmarks.keymidi find [--cache DIR] [--manifest PATH] [--report PATH]
"""

from __future__ import annotations

import fnmatch
import logging
import math
import posixpath
import re
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterable, Sequence

from ...data import write_rows
from ..debian.apt import AptLists, deb_fields, download_deb
from ..debian.common import FetchError
from ..debian.extract import extract_members
from . import evidence as ev_mod
from .common import MANIFEST_COLUMNS, ReservedPackage, refuse_reserved
from .members import ARCHIVE_SUFFIXES, inner_midis, is_midi_name, member_stem, split_path

log = logging.getLogger(__name__)

#: packages examined, and why each was (Debian bookworm main). Those without any MIDI
#: file are kept here so the search can be repeated and its counts checked.
SEARCHED: tuple[tuple[str, str], ...] = (
    ("mma", "MMA accompaniment generator: example songs rendered to MIDI"),
    ("openttd-openmsx", "OpenMSX: the free MIDI music set of OpenTTD"),
    ("planetblupi-music-midi", "Planet Blupi game: MIDI music"),
    ("pianobooster", "piano tutor: MIDI lesson books"),
    ("freedoom", "Freedoom: music as MIDI lumps in the WADs"),
    ("songwrite", "tablature editor: data files"),
    ("pd-cyclone", "Pd externals: example sequence"),
    ("kobodeluxe-data", "game data"),
    ("csound-doc", "Csound manual examples"),
    ("texlive-music", "TeX music packages: documentation examples"),
    ("solfege", "ear-training lesson files"),
    ("abcmidi", "ABC to MIDI converter: examples"),
    ("midicsv", "MIDI/CSV converter: examples"),
    ("python-midiutil-doc", "MIDIUtil documentation"),
    ("python3-mido", "mido"),
    ("libmidi-perl", "MIDI-Perl"),
    ("libjfugue-java", "JFugue"),
    ("rosegarden", "sequencer: examples (.rg, not MIDI)"),
    ("muse", "sequencer: demos"),
    ("qtractor", "sequencer"),
    ("hydrogen", "drum machine: demo songs"),
    ("drumgizmo", "drum sampler"),
    ("denemo-data", "notation editor: data and examples"),
    ("denemo-doc", "notation editor: examples"),
    ("musescore-common", "MuseScore 2: demos"),
    ("musescore3-common", "MuseScore 3: demos"),
    ("tuxguitar", "tablature editor"),
    ("lmms-common", "LMMS: projects and presets"),
    ("lilypond-doc", "LilyPond documentation"),
    ("lilypond-doc-html", "LilyPond HTML documentation"),
    ("frescobaldi", "LilyPond editor"),
    ("puredata-doc", "Pd documentation"),
    ("sonic-pi", "Sonic Pi"),
    ("supercollider-common", "SuperCollider"),
    ("midish", "MIDI sequencer/filter"),
    ("playmidi", "MIDI player"),
    ("timidity", "MIDI renderer"),
    ("vmpk", "virtual MIDI keyboard"),
    ("minuet-data", "ear training: data (and the GeneralUser GS SoundFont)"),
    ("gcompris-qt-data", "GCompris: music activities"),
    ("lincity", "game"),
    ("abe-data", "game data"),
    ("circuslinux-data", "game data"),
    ("holotz-castle-data", "game data"),
    ("crack-attack", "game"),
    ("lgeneral-data", "game data"),
)

#: files that are not pieces of music, judged from the packages' own sources and comments:
#: ``(package, glob on the path, reason)``
NOT_PIECES: tuple[tuple[str, str, str], ...] = (
    ("mma", "/usr/share/mma/lib/*", "MMA groove-library pattern file, not a piece"),
    ("mma", "*/examples/aria/bossa.mid", "MMA demo of aria tracks ('No melody in mind', bossa.mma)"),
    ("mma", "*/examples/misc/truncate.mid", "MMA test of the TRUNCATE command (truncate.mma)"),
    ("mma", "*/examples/misc/voicing.mid", "MMA demo: chords played with four voicing settings (voicing.mma)"),
    ("mma", "*/examples/ornament/*", "MMA demo of ornaments (ornament/*.mma)"),
    ("mma", "*/examples/solo/solo-sequence.mid", "MMA demo: a melody sequence following chords"),
    ("mma", "*/examples/plectrum/pldemo.mid", "MMA plectrum feature demo (pldemo.mma)"),
    ("mma", "*/examples/plectrum/PlectrumExample.mid", "MMA plectrum feature demo"),
    ("mma", "*/examples/tests/*", "MMA test file"),
    ("mma", "*/examples/midi-inc/mid2seq/rockgroove.mid", "MMA demo: a groove lifted from another MIDI file"),
    ("mma", "*/examples/midi-inc/mid2seq/test.mid", "MMA test file (mid2seq/test.mma)"),
    ("mma", "*/examples/midi-inc/mid2seq/solo-seq.mid", "MMA demo of a solo sequence"),
    ("mma", "*/examples/midi-inc/rec?.mid", "MMA recording snippet for MIDI inclusion"),
    ("mma", "*/examples/midi-inc/drum.mid", "MMA drum snippet for MIDI inclusion"),
    ("songwrite", "/usr/share/songwrite3/data/*", "songwrite instrument preview sample"),
    ("pd-cyclone", "*", "Pd external's example sequence"),
    ("csound-doc", "*", "Csound manual example of MIDI input"),
    ("kobodeluxe-data", "*/test2.mid", "game's test file"),
)

#: what a kept file of each package is, for the manifest's note
PACKAGE_NOTES: dict[str, str] = {
    "mma": "MMA example: a human-written song chart (chords, often the melody) arranged by MMA; "
           "the accompaniment patterns are MMA's",
    "openttd-openmsx": "OpenMSX music set for OpenTTD (GPL-2): human-composed and sequenced",
    "pianobooster": "PianoBooster lesson book piece (arranged with MMA)",
    "planetblupi-music-midi": "Planet Blupi game music",
    "freedoom": "Freedoom music lump",
}

#: columns of the candidate report
REPORT_COLUMNS: tuple[str, ...] = (
    "package", "version", "path", "status", "reason", "key", "basis", "ks_key", "ks_evidence", "title_key",
    "title_evidence", "mode_check", "mode_trusted", "in_key", "duration_s", "n_notes", "midi_sha1",
)


def not_a_piece(package: str, path: str) -> str | None:
    """Why ``package:path`` is no piece of music (:data:`NOT_PIECES`), or None."""
    for pkg, pattern, reason in NOT_PIECES:
        if pkg == package and fnmatch.fnmatchcase(path, pattern):
            return reason
    return None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "track"


def track_ids(rows: Sequence[dict]) -> list[str]:
    """``<package>--<file stem>`` per row, with the parent folder added where stems collide."""
    base = [f"{r['package']}--{_slug(member_stem(r['path']))}" for r in rows]
    counts = Counter(base)
    out = []
    for r, b in zip(rows, base):
        if counts[b] > 1:
            outer, inner = split_path(r["path"])
            parent = posixpath.basename(posixpath.dirname(inner if inner is not None else outer))
            b = f"{r['package']}--{_slug(parent)}-{_slug(member_stem(r['path']))}"
        out.append(b)
    if len(set(out)) != len(out):
        dupes = [t for t, c in Counter(out).items() if c > 1]
        raise ValueError(f"track ids collide: {dupes}")
    return out


def _package_items(package: str, deb: Path, work: Path) -> Iterable[tuple[str, bytes]]:
    """``(path, bytes)`` of every MIDI file of a .deb, archives' members included."""
    from .members import list_deb

    names = list_deb(deb)
    wanted = sorted(n for n in names if is_midi_name(n) or n.lower().endswith(ARCHIVE_SUFFIXES))
    if not wanted:
        return
    files = extract_members(deb, wanted, work)
    for member in wanted:
        f = files.get(member)
        if f is None:
            log.warning("%s: %s listed but not extracted (a dangling link?)", package, member)
            continue
        if member.lower().endswith(ARCHIVE_SUFFIXES):
            try:
                inner = inner_midis(f)
            except FetchError as exc:
                log.warning("%s: %s", package, exc)
                continue
            for name in sorted(inner):
                yield f"{member}!{name}", inner[name]
        else:
            yield member, f.read_bytes()


def _source_of(package: str, path: str) -> str:
    outer, inner = split_path(path)
    return f"{package}:{outer}" if inner is not None else package


def analyse(items: Sequence[tuple[str, str, str, bytes]]) -> list[dict]:
    """Apply the rules to ``[(package, version, path, bytes)]``; one report row per item.

    Order of the checks: reserved (refused), not a piece, unreadable, duplicate (same
    pitched notes as an earlier item), then the key evidence of :mod:`.evidence`, then the
    default-signature rule per source (package, or archive inside it).
    """
    import hashlib

    rows: list[dict] = []
    facts_of: dict[int, ev_mod.MidiFacts] = {}
    seen: dict[str, str] = {}
    for package, version, path, data in items:
        row = {"package": package, "version": version, "path": path,
               "midi_sha1": hashlib.sha1(data).hexdigest()}
        rows.append(row)
        try:
            refuse_reserved(package, path)
        except ReservedPackage as exc:
            row.update(status="refused", reason=str(exc))
            continue
        reason = not_a_piece(package, path)
        if reason:
            row.update(status="not_a_piece", reason=reason)
            continue
        outer, inner = split_path(path)
        try:
            facts = ev_mod.read_midi(data, inner if inner is not None else posixpath.basename(outer))
        except ValueError as exc:
            row.update(status="unreadable", reason=str(exc))
            continue
        row.update(duration_s=round(facts.duration_s, 2), n_notes=len(facts.notes))
        if facts.notes and facts.digest in seen:
            row.update(status="duplicate", reason=f"same notes as {seen[facts.digest]}")
            continue
        if facts.notes:
            seen[facts.digest] = f"{package}:{path}"
        facts_of[len(rows) - 1] = facts
    # the default-signature rule: per source, the opening signatures of its files
    by_source: dict[str, list[int]] = defaultdict(list)
    for i, facts in facts_of.items():
        by_source[_source_of(rows[i]["package"], rows[i]["path"])].append(i)
    for source, idx in by_source.items():
        keys = [o[2] for o in (ev_mod.opening_signature(facts_of[i]) for i in idx if facts_of[i].key_signatures)
                if o is not None]
        default = ev_mod.default_signature(keys)
        why = (f"taken as the software's default, not a statement: all {len(keys)} opening signatures "
               f"in {source} are C major") if default else None
        for i in idx:
            _fill(rows[i], ev_mod.decide(facts_of[i], signature_not_stated=why))
    return rows


def _fill(row: dict, ev: ev_mod.KeyEvidence) -> None:
    row.update(status="kept" if ev.key else "dropped", reason=ev.reason, key=ev.key or "", basis=ev.basis,
               ks_key=ev.ks_key, ks_evidence=ev.ks_evidence, title_key=ev.title_key,
               title_evidence=ev.title_evidence, mode_check=ev.mode_check, mode_trusted=ev.mode_trusted,
               in_key="" if math.isnan(ev.in_key) else round(ev.in_key, 3),
               ks_change_s="" if math.isnan(ev.ks_change_s) else round(ev.ks_change_s, 2),
               extra_notes="; ".join(ev.notes))


def manifest_rows(report: Sequence[dict]) -> list[dict]:
    """The manifest rows (:data:`~.common.MANIFEST_COLUMNS`) of the kept candidates."""
    kept = [r for r in report if r.get("status") == "kept"]
    ids = track_ids(kept)
    out = []
    for r, tid in zip(kept, ids):
        note = "; ".join(x for x in (PACKAGE_NOTES.get(r["package"], ""), r.get("extra_notes", "")) if x)
        out.append({**{c: r.get(c, "") for c in MANIFEST_COLUMNS}, "track_id": tid, "note": note})
    return out


def find(packages: Sequence[str], cache_dir: Path, manifest: Path | None, report: Path | None,
         apt: AptLists | None = None) -> list[dict]:
    """Run the search over ``packages``; write the manifest and the report; return the report."""
    for package in packages:
        refuse_reserved(package)
    apt = apt or AptLists(cache_dir)
    items: list[tuple[str, str, str, bytes]] = []
    failed: list[dict] = []
    cache_dir.mkdir(parents=True, exist_ok=True)
    for package in packages:
        try:
            deb = download_deb(package, "", cache_dir, apt)
            version = deb_fields(deb).get("Version", "")
            with tempfile.TemporaryDirectory(prefix=".find-", dir=cache_dir) as tmp:
                found = list(_package_items(package, deb, Path(tmp)))
        except FetchError as exc:
            failed.append({"package": package, "status": "package_failed", "reason": str(exc)})
            log.warning("skip %s: %s", package, exc)
            continue
        if not found:
            failed.append({"package": package, "version": version, "status": "no_midi",
                           "reason": "no MIDI file in the package"})
        log.info("%s %s: %d MIDI files", package, version, len(found))
        items += [(package, version, p, d) for p, d in found]
    rows = analyse(items) + failed
    if manifest is not None:
        write_rows(manifest, manifest_rows(rows), MANIFEST_COLUMNS)
    if report is not None:
        write_rows(report, rows, REPORT_COLUMNS)
    return rows


def reason_kind(reason: str) -> str:
    """A drop reason with its particulars (keys, numbers, notes) taken out, for counting."""
    kind = re.sub(r"\b[A-G]#? (major|minor)\b", "KEY", reason)
    kind = re.sub(r"\([^()]*\d[^()]*\)", "", kind)
    kind = re.sub(r"\d+(\.\d+)?", "N", kind)
    kind = re.sub(r"tonic [A-G]#?\b", "tonic", kind)
    return re.sub(r"\s+", " ", kind).strip()


def summary(rows: Sequence[dict]) -> str:
    """Counts a person can check: packages, candidates, statuses, kept keys and modes."""
    files = [r for r in rows if r.get("path")]
    status = Counter(r["status"] for r in files)
    kept = [r for r in files if r["status"] == "kept"]
    lines = [f"packages examined: {len({r['package'] for r in rows})}; with MIDI files: "
             f"{len({r['package'] for r in files})}; without: "
             f"{sum(1 for r in rows if r.get('status') == 'no_midi')}; failed: "
             f"{sum(1 for r in rows if r.get('status') == 'package_failed')}",
             f"candidate MIDI files: {len(files)}; " + ", ".join(f"{k} {v}" for k, v in sorted(status.items()))]
    reasons = Counter(reason_kind(r.get("reason", "")) for r in files if r["status"] == "dropped")
    lines.append("dropped: " + "; ".join(f"{k} {v}" for k, v in reasons.most_common()))
    lines.append("kept by package: " + ", ".join(f"{k} {v}" for k, v in
                                                 sorted(Counter(r["package"] for r in kept).items())))
    lines.append("kept by mode: " + ", ".join(f"{k} {v}" for k, v in
                                              sorted(Counter(r["key"].split()[1] for r in kept).items())))
    lines.append("kept by key: " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(r["key"] for r in kept).items())))
    lines.append("kept by basis: " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(r["basis"] for r in kept).items())))
    return "\n".join(lines)
