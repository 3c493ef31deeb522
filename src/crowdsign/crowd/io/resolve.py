"""Label strings → class names, and image references (URLs, paths) → image ids.

Both work on the *unique* values of a column (one per image at most, even for a million
answers); the caller broadcasts back with factorize codes, so this Python never runs per
answer.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import numpy as np
import pandas as pd

from crowdsign.data.imageset import ImageSet

REF_RULES = ("path", "basename", "strip_prefix")
_SEP = re.compile(r"[\s_\-]+")
# what a reference needs normalising for: URLs, backslashes, absolute or dot segments, blanks
_ODD = r"://|\\|^/|^[A-Za-z]:|(?:^|/)\.\.?(?:/|$)|//|^\s|\s$|^$"


def normalize_label(text: str) -> str:
    """Case-folded, trimmed, with runs of spaces, ``_`` and ``-`` as one space."""
    return _SEP.sub(" ", str(text)).strip().casefold()


class Vocabulary:
    """Maps label strings to class names.

    Args:
        classes: the class names answers must map to, or ``None`` to keep labels as they are
            (after applying ``aliases``).
        aliases: class name → one alias or a list of aliases.
    """

    def __init__(self, classes: Sequence[str] | None, aliases: Mapping[str, Any] | None) -> None:
        self.classes = None if classes is None else tuple(classes)
        self.table: dict[str, str] = {}
        self.outside: dict[str, str] = {}  # alias → target that is not a class of this data
        for target, values in (aliases or {}).items():
            values = [values] if isinstance(values, str | int | float | bool) else list(values)
            for v in values:
                if isinstance(v, bool):
                    raise ValueError(
                        f"vocabulary[{target!r}] holds the boolean {v}: quote it in YAML "
                        "('yes', 'no', 'true' and 'false' parse as booleans)"
                    )
                key = normalize_label(v)
                if self.table.get(key, target) != target:
                    raise ValueError(
                        f"vocabulary maps {v!r} to both {self.table[key]!r} and {target!r}"
                    )
                if self.classes is not None and target not in self.classes:
                    self.outside[key] = str(target)
                else:
                    self.table[key] = str(target)
        for name in self.classes or ():
            self.table.setdefault(normalize_label(name), name)

    def map(self, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For unique label strings: ``(class names, unknown mask, why unknown)``.

        Unknown labels keep their text; with no class list every label is known.
        """
        known = ", ".join(self.classes or ())
        mapped = np.empty(len(labels), dtype=object)
        unknown = np.zeros(len(labels), dtype=bool)
        why = np.full(len(labels), "", dtype=object)
        for j, text in enumerate(labels):
            key = normalize_label(text)
            hit = self.table.get(key)
            mapped[j] = text if hit is None else hit
            if hit is None and self.classes is not None:
                unknown[j] = True
                target = self.outside.get(key)
                said = f"the vocabulary maps it to {target!r}, " if target else ""
                why[j] = f"{text!r} ({said}not one of: {known}; add it to the crowd vocabulary)"
        return mapped, unknown, why


class RefResolver:
    """Turns image references into image ids (POSIX paths relative to the image root).

    Args:
        rule: ``path``, ``basename`` or ``strip_prefix`` (see :class:`ReadOptions`).
        prefix: the prefix ``strip_prefix`` removes.
        root: the image root; absolute references must lie inside it, and with
            ``check_files`` the file must exist (symlinks must not lead outside it).
        images: the split; when given, ids must be among ``images.image_id`` (an id that is
            not, but whose file exists, is ``image not in split``).
    """

    def __init__(
        self,
        rule: str,
        prefix: str,
        root: str | Path | None,
        images: ImageSet | None,
        check_files: bool,
    ) -> None:
        if rule not in REF_RULES:
            raise ValueError(f"refs={rule!r}; expected one of {REF_RULES}")
        if rule == "strip_prefix" and not prefix:
            raise ValueError("refs=strip_prefix needs a prefix")
        self.rule, self.prefix, self.check_files = rule, prefix, check_files
        self.root = None if root is None else Path(root).resolve()
        self.ids: set[str] | None = None
        self._root_names: dict[str, list[str]] | None = None  # see _root_files
        self.by_name: dict[str, list[str]] = {}  # file name -> the ids with that name
        if images is not None:
            self.ids = set(images.image_id.tolist())
            if rule == "basename":
                for i in sorted(self.ids):
                    self.by_name.setdefault(posixpath.basename(i), []).append(i)

    def resolve(self, refs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For unique references: ``(image id or None, problem reason or "", detail)``."""
        ids = np.full(len(refs), None, dtype=object)
        problem = np.full(len(refs), "", dtype=object)
        detail = np.full(len(refs), "", dtype=object)
        plain = self._plain(refs)
        ids[plain] = refs[plain]
        for j in np.flatnonzero(~plain):
            ref = refs[j]
            ids[j], problem[j], why = self._one(str(ref))
            detail[j] = f"{ref!r}" + (f" ({why})" if why else "")
        return ids, problem, detail

    def _plain(self, refs: np.ndarray) -> np.ndarray:
        """References that are already valid ids: the fast path for ``refs=path``."""
        if self.rule != "path" or not len(refs):
            return np.zeros(len(refs), dtype=bool)
        if self.ids is not None:
            return np.fromiter((r in self.ids for r in refs), dtype=bool, count=len(refs))
        if self.root is not None and self.check_files:
            return np.zeros(len(refs), dtype=bool)
        odd = pd.Series(refs, dtype=object).str.contains(_ODD, regex=True, na=True)
        return ~odd.to_numpy(dtype=bool)

    # one unique reference -> (id, problem, why)
    def _one(self, ref: str) -> tuple[str | None, str, str]:
        r = ref.strip()
        if self.rule == "strip_prefix":
            if not r.startswith(self.prefix):
                return None, "bad reference", f"does not start with {self.prefix!r}"
            r = r[len(self.prefix) :]
            if "://" in self.prefix:
                r = unquote(urlsplit(r).path).lstrip("/")
        elif "://" in r:
            if self.rule == "path":
                return None, "bad reference", "a URL: use refs=basename or refs=strip_prefix"
            r = unquote(urlsplit(r).path)
        r = r.replace("\\", "/")
        if self.rule == "basename":
            return self._by_basename(r)
        if re.match(r"^[A-Za-z]:/", r):
            return None, "bad reference", "a Windows path: use refs=basename or strip_prefix"
        if r.startswith("/"):
            if self.root is None:
                return None, "bad reference", "an absolute path, but no image_root is set"
            path = Path(r).resolve() if self.check_files else Path(posixpath.normpath(r))
            if not path.is_relative_to(self.root):
                return None, "reference outside image root", f"not inside {self.root}"
            r = path.relative_to(self.root).as_posix()
        rel = posixpath.normpath(r) if r else ""
        if rel in ("", "."):
            return None, "bad reference", "empty path"
        if rel == ".." or rel.startswith("../"):
            return None, "reference outside image root", "leads outside the image root"
        return self._check(rel)

    def _by_basename(self, ref: str) -> tuple[str | None, str, str]:
        name = ref.rsplit("/", 1)[-1]
        if name in ("", ".", ".."):
            return None, "bad reference", "no file name"
        if self.ids is not None and name in self.ids:
            return name, "", ""
        files = self._root_files().get(name, [])
        if len(files) > 1 and self.ids is not None and self.ids.intersection(files):
            # several files under the root share the name and the ids are paths under it:
            # pick by the reference's path first, then check the pick is in the split (a
            # reference to not_stop/0.png must not land on a split's only stop/0.png)
            found, problem, why = _longest_unique_suffix(ref, files)
            if found is not None and found not in self.ids:
                return None, "image not in split", f"{found!r} is not an image of this split"
            return found, problem, why
        if self.ids is not None and name in self.by_name:
            return _longest_unique_suffix(ref, self.by_name[name])
        if self.root is not None and self.check_files and not files:
            return None, "missing image file", f"no file named {name!r} under {self.root}"
        if self.ids is not None:
            return None, "image not in split", f"{name!r} is not an image of this split"
        return name, "", ""

    def _root_files(self) -> dict[str, list[str]]:
        """File name -> the files under the image root with it (paths relative to the root);
        empty without a root or with ``check_files`` off. Listed once, on first use."""
        if self.root is None or not self.check_files:
            return {}
        if self._root_names is None:
            self._root_names = {}
            for path in sorted(self.root.rglob("*")):
                if path.is_file():
                    rel = path.relative_to(self.root).as_posix()
                    self._root_names.setdefault(path.name, []).append(rel)
        return self._root_names

    def _check(self, rel: str) -> tuple[str | None, str, str]:
        if self.ids is not None and rel in self.ids:
            return rel, "", ""
        if self.root is not None and self.check_files:
            path = (self.root / rel).resolve()
            if not path.is_relative_to(self.root):
                return None, "reference outside image root", "a link leading outside the root"
            if not path.is_file():
                return None, "missing image file", f"no file {self.root / rel}"
        if self.ids is not None:
            return None, "image not in split", f"{rel!r} is not an image of this split"
        return rel, "", ""


def _longest_unique_suffix(ref: str, ids: list[str]) -> tuple[str | None, str, str]:
    """The one id among ``ids`` (all with ``ref``'s file name) that ends with the longest run
    of ``ref``'s path components: ``.../signs/stop/0.png`` picks ``stop/0.png`` over
    ``not_stop/0.png``. Ambiguous when no suffix singles one out."""
    if len(ids) == 1:
        return ids[0], "", ""
    parts = [p for p in ref.split("/") if p not in ("", ".")]
    candidates = ids
    for n in range(2, len(parts) + 1):
        suffix = "/".join(parts[-n:])
        candidates = [i for i in candidates if i == suffix or i.endswith("/" + suffix)]
        if len(candidates) == 1:
            return candidates[0], "", ""
        if not candidates:
            break
    return None, "ambiguous reference", f"several images have this file name: {ids[:3]}"
