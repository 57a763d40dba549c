"""The handbook as a website: ``./synthmir docs build | serve`` (mkdocs, material theme).

mkdocs lives in a venv of its own, made on first use by ``scripts/setup_env.sh docs``
from ``requirements/docs.lock`` and keyed by its hash (as the study's venv is keyed by
its lock), so the study's venv does not grow. The site is built from ``docs/`` by
``mkdocs.yml`` into ``site/`` (ignored by git), ``--strict``: a broken link, a missing
anchor or a page left out of the nav fails the build.

``mkdocs.yml`` also names this file as a hook. :func:`on_files` puts the repository
files that the handbook links outside ``docs/`` into the site at their repository
paths: the notebooks' HTML reports (a linked report brings the other reports of its
folder, which its index links), the benchmark JSON, the ablation's tables. So one
relative link (``../reports/offline/index.html``) works in the repository and on the
site. The hook is loaded by mkdocs as a plain file, so this module imports only the
standard library at the top.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: where ``./synthmir docs build`` writes the site (ignored by git)
SITE_DIR = ROOT / "site"
#: markdown links and images, and HTML src/href: the targets the hook looks at
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|(?:src|href)=\"([^\"]+)\"")
#: a link with a scheme (http:, https:, mailto:): not a file of the repository
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:")
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)


class DocsError(Exception):
    """The documentation venv could not be made (the command line reports it in one line)."""


def docs_venv() -> Path:
    """The docs venv (made on first use by ``scripts/setup_env.sh docs``)."""
    out = subprocess.run(["bash", str(ROOT / "scripts" / "setup_env.sh"), "docs"], stdout=subprocess.PIPE, text=True)
    if out.returncode != 0 or not out.stdout.strip():
        raise DocsError("could not make the documentation venv (scripts/setup_env.sh docs failed: see its message "
                        "above); it needs the package index once, for requirements/docs.lock")
    return Path(out.stdout.strip().splitlines()[-1])


def mkdocs_command(action: str, python: str | os.PathLike, site_dir: str | os.PathLike | None = None,
                   strict: bool = True, addr: str | None = None) -> list[str]:
    """The mkdocs command line for ``build`` or ``serve``."""
    if action not in ("build", "serve"):
        raise ValueError(f"action must be build or serve, got {action!r}")
    cmd = [str(python), "-m", "mkdocs", action, "--config-file", str(ROOT / "mkdocs.yml")]
    if strict:
        cmd.append("--strict")
    if action == "build":
        cmd += ["--site-dir", str(Path(site_dir) if site_dir else SITE_DIR)]
    elif addr:
        cmd += ["--dev-addr", addr]
    return cmd


def run(action: str, site_dir: str | None = None, strict: bool = True, addr: str | None = None) -> int:
    """Build or serve the site in the docs venv; mkdocs' exit status."""
    cmd = mkdocs_command(action, docs_venv() / "bin" / "python", site_dir, strict, addr)
    # material's banner about its end of life (2027-05-05) is said once in docs/development.md, not on every build
    status = subprocess.call(cmd, cwd=ROOT, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    if action == "build" and status == 0:
        print(f"site: {Path(site_dir) if site_dir else SITE_DIR}/index.html")
    return status


# --- the mkdocs hook ---------------------------------------------------------------------------


def outside_targets(docs_dir: str | os.PathLike, root: str | os.PathLike = ROOT) -> set[Path]:
    """Repository files (outside ``docs_dir``) that the pages of ``docs_dir`` link to.

    A linked ``.html`` file brings every file of its folder along (a report's index
    links the other reports beside it)."""
    docs_dir, root = Path(docs_dir).resolve(), Path(root).resolve()
    found: set[Path] = set()
    for page in docs_dir.rglob("*.md"):
        text = _FENCE.sub("", page.read_text(encoding="utf-8"))
        for m in LINK.finditer(text):
            target = (m.group(1) or m.group(2)).split("#", 1)[0]
            if not target or EXTERNAL.match(target) or target.startswith("/"):
                continue
            path = (page.parent / target).resolve()
            if not path.is_file() or root not in path.parents or docs_dir in path.parents:
                continue
            if path.suffix == ".html":
                found.update(p for p in path.parent.iterdir() if p.is_file())
            else:
                found.add(path)
    return found


def on_files(files, config):
    """mkdocs hook: the linked repository files join the site at their repository paths."""
    from mkdocs.structure.files import File, InclusionLevel

    class Asset(File):
        def is_documentation_page(self) -> bool:  # a linked .md outside docs/ is copied, not rendered
            return False

    docs_dir = Path(config["docs_dir"]).resolve()
    for path in sorted(outside_targets(docs_dir)):
        files.append(Asset(os.path.relpath(path, docs_dir), str(docs_dir), config["site_dir"],
                           config["use_directory_urls"], dest_uri=path.relative_to(ROOT).as_posix(),
                           inclusion=InclusionLevel.INCLUDED))  # "../" would match the default exclusion of dot paths
    return files
