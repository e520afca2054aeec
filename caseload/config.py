"""Settings that shape a check or a plan: limits, scope, continuity rules, reading options.

Plain data, no I/O beyond what the CLI hands in, so the core can be called from tests or
other programs with nothing but a `Settings`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

DEFAULT_THRESHOLD = 300
DEFAULT_NEAR_FRACTION = 0.9
DEFAULT_RECENT_DAYS = 90
MAX_LIMIT = 1_000_000  # accounts per officer: far above any real book, safe in arithmetic
MAX_RECENT_DAYS = 36_500
SCOPES = ("branch", "region", "all")


@dataclass(frozen=True)
class ReadOptions:
    """How to read one export; every field has a safe automatic default."""

    encoding: str | None = None  # None: detect UTF-8 / UTF-8 BOM / GB18030
    header_row: int | None = None  # 1-based line of the header; None: detect
    sheet: str | None = None  # xlsx sheet name; None: the first sheet
    column_map: dict[str, str] = field(default_factory=dict)  # canonical -> header in file
    map_from: dict[str, str] = field(default_factory=dict)  # canonical -> where it was said
    skip_bad_rows: bool = False
    low_memory: bool = False  # the client book a part at a time, read twice (see low_memory)


@dataclass(frozen=True)
class Settings:
    """What a branch head can change about a check or a plan."""

    threshold: int = DEFAULT_THRESHOLD
    near_fraction: float = DEFAULT_NEAR_FRACTION
    grade_limits: dict[str, int] = field(default_factory=dict)
    scope: str = "branch"
    recent_days: int = DEFAULT_RECENT_DAYS
    as_of: dt.date = field(default_factory=dt.date.today)
    lang: str = "en"  # of the planner's sentences (reasons, why an officer stays over)

    def __post_init__(self) -> None:
        if not 1 <= self.threshold <= MAX_LIMIT:
            raise ValueError(f"threshold must be from 1 to {MAX_LIMIT:,}")
        if not 0 <= self.recent_days <= MAX_RECENT_DAYS:
            raise ValueError(f"recent_days must be from 0 to {MAX_RECENT_DAYS:,}")
        if not 0 < self.near_fraction <= 1:
            raise ValueError("near fraction must be in (0, 1]")
        if self.scope not in SCOPES:
            raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
        for grade, limit in self.grade_limits.items():
            if not 1 <= limit <= MAX_LIMIT:
                raise ValueError(f"limit for grade {grade!r} must be from 1 to {MAX_LIMIT:,}")


# ---------------------------------------------------------------- caseload.toml, env, flags

CONFIG_FILE = "caseload.toml"
ENV_PREFIX = "CASELOAD_"

# Plain settings: name -> (type, default). Tables: grade_limits, columns.
PLAIN: dict[str, tuple[type, object]] = {
    "threshold": (int, DEFAULT_THRESHOLD),
    "near_fraction": (float, DEFAULT_NEAR_FRACTION),
    "scope": (str, "branch"),
    "recent_days": (int, DEFAULT_RECENT_DAYS),
    "lang": (str, None),
    "history": (str, None),
    "encoding": (str, None),
}
TABLES = ("grade_limits", "columns")
CHOICES = {"scope": SCOPES, "lang": ("zh", "en")}
# The encodings a CSV may be forced to (`--encoding`, `encoding =`), by the names people write.
ENCODING_NAMES = {
    "utf8": "utf-8", "utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "utf8-sig": "utf-8-sig",
    "gb18030": "gb18030", "gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030",
    "utf-16": "utf-16", "utf16": "utf-16",
}


def encoding_name(name: str) -> str | None:
    """The reader's name for an encoding as a user wrote it (``GBK`` -> gb18030); None: unknown."""
    return ENCODING_NAMES.get(name.strip().lower().replace("_", "-"))


@dataclass
class Resolved:
    """Every setting in force, and where each came from (flag, env, file or default)."""

    values: dict[str, object]
    sources: dict[str, str]
    file: str | None

    def settings(self, as_of: dt.date, lang: str = "en") -> Settings:
        return Settings(lang=lang,
            threshold=self.values["threshold"], near_fraction=self.values["near_fraction"],
            grade_limits=dict(self.values["grade_limits"]), scope=self.values["scope"],
            recent_days=self.values["recent_days"], as_of=as_of,
        )


class ConfigError(ValueError):
    """A wrong key or value; the CLI turns it into a one-line error naming key and file."""


_RANGES = {"threshold": (1, MAX_LIMIT), "recent_days": (0, MAX_RECENT_DAYS)}  # (grade limits too)


def _coerce(key: str, value: object, typ: type, where: str, typed: bool = False) -> object:
    """`value` as `typ`, in range; a `typed` source (TOML) must also give numbers as numbers."""
    if typ is str and not isinstance(value, str):
        raise ConfigError(f"{where}: {key} must be text (in quotes), not {value!r}")
    if typed and typ in (int, float) and isinstance(value, str):
        kind = "a whole number" if typ is int else "a number"
        raise ConfigError(f"{where}: {key} must be {kind} without quotes, not {value!r}")
    if typ is bool or isinstance(value, bool):
        raise ConfigError(f"{where}: {key} must be {typ.__name__}, not {value!r}")
    try:
        if typ is int and isinstance(value, float) and not value.is_integer():
            raise ValueError
        out = typ(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: {key} must be {'a whole number' if typ is int else typ.__name__}"
                          f", not {value!r}") from None
    if key == "encoding" and encoding_name(out) is None:
        raise ConfigError(f"{where}: encoding must be one of utf-8, utf-8-sig, gb18030 (gbk) or "
                          f"utf-16, not {value!r}")
    if key in CHOICES and out not in CHOICES[key]:
        raise ConfigError(f"{where}: {key} must be one of {', '.join(CHOICES[key])}, not {value!r}")
    bounds = _RANGES.get("threshold" if key.startswith("grade_limits.") else key)
    if bounds and not bounds[0] <= out <= bounds[1]:
        raise ConfigError(f"{where}: {key} must be from {bounds[0]:,} to {bounds[1]:,}, "
                          f"not {value!r}")
    if key == "near_fraction" and not 0 < out <= 1:
        raise ConfigError(f"{where}: near_fraction must be above 0 and at most 1")
    return out


def read_config_file(path: str) -> dict[str, object]:
    """Parse caseload.toml; unknown keys and wrong types are errors that name key and file."""
    import tomllib

    try:
        with open(path, "rb") as fh:
            # (Notepad can save UTF-8 with a byte-order mark, which TOML does not allow)
            data = tomllib.loads(fh.read().removeprefix(b"\xef\xbb\xbf").decode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except UnicodeDecodeError:  # (Notepad on a Chinese Windows saves GBK)
        raise ConfigError(f"{path}: is not UTF-8 text; save it as UTF-8") from None
    out: dict[str, object] = {}
    for key, value in data.items():
        if key in PLAIN:
            out[key] = _coerce(key, value, PLAIN[key][0], path, typed=True)
        elif key in TABLES:
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: [{key}] must be a table")
            if key == "grade_limits":
                out[key] = {str(g): _coerce(f"grade_limits.{g}", v, int, path, typed=True)
                            for g, v in value.items()}
            else:
                out[key] = {str(c): _coerce(f"{key}.{c}", h, str, path)
                            for c, h in value.items()}
                _known_columns(out[key], path)
        else:
            known = ", ".join([*PLAIN, *TABLES])
            raise ConfigError(f"{path}: unknown key {key!r} (known: {known})")
    return out


def _known_columns(column_map: dict[str, str], path: str) -> None:
    """A [columns] entry must name a column caseload reads (as `--map` must)."""
    from caseload.columns import CLIENT_HEADERS, OFFICER_HEADERS

    for c in column_map:
        if c not in CLIENT_HEADERS and c not in OFFICER_HEADERS:
            known = ", ".join(sorted({*CLIENT_HEADERS, *OFFICER_HEADERS}))
            raise ConfigError(f"{path}: [columns] unknown column {c!r} (known: {known})")


def read_env(environ: dict[str, str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, (typ, _default) in PLAIN.items():
        raw = environ.get(ENV_PREFIX + key.upper())
        if raw is not None and raw != "":
            out[key] = _coerce(key, raw, typ, f"environment {ENV_PREFIX + key.upper()}")
    return out


def resolve(flags: dict[str, object], environ: dict[str, str], config_path: str | None,
            cwd: str = ".") -> Resolved:
    """Flags, then CASELOAD_* variables, then the config file, then defaults."""
    import os

    path = config_path
    if path is None:
        candidate = os.path.join(cwd, CONFIG_FILE)
        path = candidate if os.path.isfile(candidate) else None
    elif not os.path.isfile(path):
        raise ConfigError(f"{path}: no such config file")
    given = {k: v for k, v in flags.items() if v is not None}
    if "threshold" in given:  # (typer checks its type; its range is ours)
        given["threshold"] = _coerce("threshold", given["threshold"], int, "--threshold")
    if "encoding" in given:
        given["encoding"] = _coerce("encoding", given["encoding"], str, "--encoding")
    layers = [
        ("flag", given),
        ("env", read_env(environ)),
        (f"file {path}" if path else "file", read_config_file(path) if path else {}),
    ]
    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    for key in TABLES:  # tables merge: a flag's entry overrides the file's entry of that name
        merged: dict[str, object] = {}
        from_where = []
        for source, layer in reversed(layers):
            if layer.get(key):
                merged.update(layer[key])
                from_where.append(source)
                sources.update({f"{key}.{entry}": source for entry in layer[key]})
        values[key] = merged
        sources[key] = " + ".join(reversed(from_where)) or "default"
    for key in PLAIN:
        for source, layer in layers:
            if key in layer and layer[key] not in (None, {}):
                values[key], sources[key] = layer[key], source
                break
        else:
            values[key] = PLAIN[key][1]
            sources[key] = "default"
    return Resolved(values, sources, path)


DEFAULT_CONFIG_TEXT = """\
# caseload.toml: settings for `caseload` in this folder (or pass --config PATH).
# Precedence: command-line flags, then CASELOAD_* environment variables
# (e.g. CASELOAD_THRESHOLD=280), then this file, then the defaults shown here.

# Accounts an officer may carry; more is over (301 with 300).
threshold = 300
# Share of the limit at which an officer counts as near it.
near_fraction = 0.9
# Where clients may move: "branch", "region" (same 片区) or "all".
scope = "branch"
# A client handed over within this many days moves only if nothing else can.
recent_days = 90
# Language of tables and reports: "zh" or "en" (default: from LANG).
# lang = "zh"
# Weekly history database (SQLite); default: $XDG_DATA_HOME/caseload/history.sqlite
# history = "/data/caseload/history.sqlite"
# Force the CSV encoding instead of detecting it: "utf-8", "utf-8-sig", "gb18030" or "utf-16".
# encoding = "gb18030"

# Limits per officer grade (管户对等); an officer's own 管户上限 column wins over these.
[grade_limits]
# "初级" = 150
# "中级" = 250
# "高级" = 300
# "资深" = 350

# Headers this bank's exports use that caseload does not know: canonical column = header.
[columns]
# client_id = "客户代码"
# officer_id = "管户员工号"
"""
