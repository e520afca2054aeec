#!/usr/bin/env python3
"""Generate synthetic officer rosters and client books shaped like real bank exports.

Why this exists: caseload reads exports that hold personal financial information (names,
resident ID numbers, phone numbers, loan balances), so no real export may ever enter the repo,
its tests or its benchmarks. This script makes stand-ins that look and misbehave like the real
thing: Chinese headers, GB18030 or UTF-8-with-BOM encodings, CRLF line ends, a title line above
the header and a 合计 line below the data, balances written as ``1,234,567.89``, officer and
client numbers with leading zeros, blank and unknown officer numbers, officers on leave or
departed, households that must not be split, non-performing loans, pinned clients and recent
handovers. Everything is synthetic and deterministic: the same seed gives byte-identical files.

Two modes:

``sample``
    The committed sample data (``sample_data/``): one county bank, 5 branches, 40 officers,
    about 7,000 clients, built so that every condition the weekly check reports is present
    (officers over 300, exactly 300 and 301, near the limit, on leave, departed with orphaned
    clients, a branch without room to absorb its excess). Written twice: Chinese GB18030 export
    style (``sample_data/*.csv``) and English UTF-8-with-BOM style (``sample_data/en/*.csv``).

``scale``
    Large books for benchmarks (``--clients 5000000``), vectorised with numpy and written
    with polars: lognormal officer loads around 160, 15 officers per branch, ~20 branches per
    region, ~2% officers on leave, ~1% departed, ~0.5% clients without an officer.

No Python loop runs over clients; loops run over officers or branches at most.
"""

from __future__ import annotations

import argparse
import io
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

DEFAULT_SEED = 20261129
EXPORT_DATE = np.datetime64("2026-11-20", "D")
EARLIEST_DATE = np.datetime64("2015-01-01", "D")
BANK = "城关农商银行"
SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"

# --------------------------------------------------------------------------------------------
# Columns and vocabularies, in the two export styles.

OFFICER_COLUMNS = (
    "officer_id",
    "name",
    "branch",
    "branch_id",
    "region",
    "status",
    "grade",
    "capacity",
)
CLIENT_COLUMNS = (
    "client_id",
    "client_name",
    "id_number",
    "phone",
    "officer_id",
    "officer_name",
    "branch",
    "branch_id",
    "balance",
    "risk_class",
    "segment",
    "group_id",
    "assigned_since",
    "pinned",
)
ZH_OFFICER_HEADERS = dict(
    zip(
        OFFICER_COLUMNS,
        ("工号", "姓名", "所属支行", "机构号", "片区", "岗位状态", "客户经理等级", "管户上限"),
        strict=True,
    )
)
ZH_CLIENT_HEADERS = dict(
    zip(
        CLIENT_COLUMNS,
        (
            "客户号",
            "客户名称",
            "证件号码",
            "手机号",
            "管户客户经理工号",
            "管户客户经理",
            "所属支行",
            "机构号",
            "贷款余额(元)",
            "五级分类",
            "客户类型",
            "家庭号",
            "管户日期",
            "锁定",
        ),
        strict=True,
    )
)

STATUS = {"en": ("active", "leave", "departed"), "zh": ("在岗", "休假", "调离")}
ACTIVE, LEAVE, DEPARTED = 0, 1, 2
RISK = {
    "en": ("normal", "special_mention", "substandard", "doubtful", "loss"),
    "zh": ("正常", "关注", "次级", "可疑", "损失"),
}
RISK_SHARES = (0.92, 0.05, 0.015, 0.01, 0.005)
SEGMENT = {
    "en": ("farmer", "sole_trader", "small_business"),
    "zh": ("农户", "个体工商户", "小微企业"),
}
SEGMENT_SHARES = (0.62, 0.28, 0.10)
# log-normal balance per segment: (median yuan, sigma)
SEGMENT_BALANCE = ((60_000.0, 0.8), (180_000.0, 0.85), (1_200_000.0, 0.9))
GRADES = ("初级", "中级", "高级", "资深")
GRADE_SHARES = (0.2, 0.4, 0.3, 0.1)
# pinned: 1 = 是/true, 0 = 否/false, -1 = blank (false in English exports)
PINNED_SHARE, BLANK_PIN_SHARE = 0.003, 0.15

# --------------------------------------------------------------------------------------------
# Personal-data vocabularies (synthetic).

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
)
SURNAME_WEIGHTS = np.linspace(3.0, 0.3, len(SURNAMES))
GIVEN = list(
    dict.fromkeys(
        "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红鹏飞建国建华志强海燕春梅晓东"
        "文斌永福德胜金凤秀兰桂芳成林小红子涵浩宇梓轩雨欣佳怡俊杰思远海波新民长青玉兰春生立新"
        "宏伟家豪振华国庆丰收桃花荣贵满仓月娥翠萍宝山淑珍凤英"
    )
)
# Resident ID region codes (Xuzhou counties, Jiangsu) and mobile prefixes.
REGION_CODES = np.array([320321, 320322, 320324, 320381, 320382, 320305, 320311], np.int64)
MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "157",
    "158",
    "159",
    "177",
    "180",
    "181",
    "182",
    "187",
    "188",
    "189",
    "198",
    "199",
]
FIRM_PLACES = ["城关", "城东", "河口", "石桥", "新店", "永丰", "桃园", "王集", "双沟", "高庄"]
FIRM_WORDS = [
    "鑫源",
    "恒达",
    "宏福",
    "金穗",
    "丰收",
    "兴旺",
    "绿源",
    "华泰",
    "顺发",
    "众诚",
    "益民",
    "瑞丰",
]
FIRM_KINDS = [
    "商贸有限公司",
    "农业发展有限公司",
    "建材有限公司",
    "食品有限公司",
    "农机专业合作社",
    "家庭农场",
    "养殖专业合作社",
    "物流有限公司",
]
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], np.int64)
PLACE_FIRST = list(
    "东西南北新老大小上下前后高王李张刘陈杨黄赵周吴孙马朱胡郭何罗梁宋唐韩冯曹彭田董潘蒋"
)
PLACE_SECOND = list("桥河口庄集镇店坝湾岗坪营铺寨屯沟塘湖山埠圩楼港台林园")


# --------------------------------------------------------------------------------------------
# Building blocks (all vectorised).


def pick(rng: np.random.Generator, words: list[str], n: int, p=None) -> pl.Series:
    """n words drawn from a small list, as a polars Series (gather, no Python loop)."""
    if p is not None:
        p = np.asarray(p, float) / np.sum(p)
    idx = rng.choice(len(words), size=n, p=p)
    return pl.Series(words).gather(idx)


def person_names(rng: np.random.Generator, n: int, surname_idx=None) -> pl.Series:
    """Surname + one or two given characters."""
    if surname_idx is None:
        surname_idx = rng.choice(len(SURNAMES), size=n, p=SURNAME_WEIGHTS / SURNAME_WEIGHTS.sum())
    g1 = rng.integers(0, len(GIVEN), n)
    g2 = rng.integers(0, len(GIVEN), n)
    two = rng.random(n) < 0.65
    given = pl.Series(GIVEN)
    frame = pl.DataFrame(
        {
            "s": pl.Series(SURNAMES).gather(surname_idx),
            "a": given.gather(g1),
            "b": given.gather(g2),
            "two": two,
        }
    )
    return frame.select(
        pl.concat_str("s", "a", pl.when("two").then("b").otherwise(pl.lit(""))).alias("name")
    ).to_series()


def firm_names(rng: np.random.Generator, n: int) -> pl.Series:
    frame = pl.DataFrame(
        {
            "p": pick(rng, FIRM_PLACES, n),
            "w": pick(rng, FIRM_WORDS, n),
            "k": pick(rng, FIRM_KINDS, n),
        }
    )
    return frame.select(pl.concat_str("p", "w", "k").alias("name")).to_series()


def _weighted_digits(values: np.ndarray, width: int, first: int) -> np.ndarray:
    """Sum of the digits of zero-padded `values`, weighted from ID_WEIGHTS[first:]."""
    total = np.zeros(len(values), np.int32)
    for k in range(width):  # loop over digit positions, not clients
        total += (values // 10 ** (width - 1 - k)) % 10 * ID_WEIGHTS[first + k]
    return total


def id_numbers(rng: np.random.Generator, n: int) -> pl.Series:
    """18-char resident ID numbers: region code, birth date, sequence, ISO 7064 MOD 11-2 check."""
    region_idx = rng.integers(0, len(REGION_CODES), n)
    y = rng.integers(1956, 2005, n, dtype=np.int32)  # aged about 22 to 70 at the export
    m = rng.integers(1, 13, n, dtype=np.int32)
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    month_days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], np.int32)[m - 1]
    month_days = month_days + ((m == 2) & leap)
    d = 1 + (rng.random(n) * month_days).astype(np.int32)
    seq = rng.integers(1, 1000, n, dtype=np.int32)
    total = (
        _weighted_digits(REGION_CODES.astype(np.int32), 6, 0)[region_idx]
        + _weighted_digits(y, 4, 6)
        + _weighted_digits(m, 2, 10)
        + _weighted_digits(d, 2, 12)
        + _weighted_digits(seq, 3, 14)
    )
    check = (12 - total % 11) % 11  # the MOD 11-2 check value; 10 is written X
    body = (
        REGION_CODES[region_idx] * 10**11 + (y.astype(np.int64) * 10000 + m * 100 + d) * 1000 + seq
    )  # 17 digits
    check_chars = pl.Series(list("0123456789X")).gather(check)
    return (
        pl.DataFrame({"b": pl.Series(body).cast(pl.String), "c": check_chars})
        .select(pl.concat_str("b", "c").alias("id"))
        .to_series()
    )


def phones(rng: np.random.Generator, n: int) -> pl.Series:
    frame = pl.DataFrame(
        {
            "p": pick(rng, MOBILE_PREFIXES, n),
            "r": pl.Series(rng.integers(0, 10**8, n)).cast(pl.String).str.zfill(8),
        }
    )
    return frame.select(pl.concat_str("p", "r").alias("phone")).to_series()


def numbered(prefix: str, numbers: np.ndarray, width: int) -> pl.Series:
    s = pl.Series(numbers.astype(np.int64)).cast(pl.String).str.zfill(width)
    return (prefix + s) if prefix else s


def increasing_ids(rng: np.random.Generator, n: int, start: int) -> np.ndarray:
    """Ascending unique numbers with small random gaps (closed accounts leave holes)."""
    return start + np.cumsum(rng.integers(1, 4, n, dtype=np.int64))


def thousands(cents: pl.Expr) -> pl.Expr:
    """Format integer cents as 1,234,567.89 (up to 999 billion yuan)."""
    yuan = cents // 100
    frac = (cents % 100).cast(pl.String).str.zfill(2)

    def part(div: int) -> pl.Expr:
        return ((yuan // div) % 1000).cast(pl.String)

    def part0(div: int) -> pl.Expr:
        return part(div).str.zfill(3)

    integer = (
        pl.when(yuan >= 10**9)
        .then(
            pl.concat_str(
                part(10**9),
                pl.lit(","),
                part0(10**6),
                pl.lit(","),
                part0(1000),
                pl.lit(","),
                part0(1),
            )
        )
        .when(yuan >= 10**6)
        .then(pl.concat_str(part(10**6), pl.lit(","), part0(1000), pl.lit(","), part0(1)))
        .when(yuan >= 1000)
        .then(pl.concat_str(part(1000), pl.lit(","), part0(1)))
        .otherwise(part(1))
    )
    return pl.concat_str(integer, pl.lit("."), frac)


def plain_money(cents: pl.Expr) -> pl.Expr:
    return pl.concat_str(
        (cents // 100).cast(pl.String), pl.lit("."), (cents % 100).cast(pl.String).str.zfill(2)
    )


# --------------------------------------------------------------------------------------------
# The bank: officers with their planned book sizes, then the clients.


@dataclass
class Bank:
    officers: pl.DataFrame  # canonical, typed (status code, capacity Int32, start date)
    clients: pl.DataFrame  # canonical, typed (cents, risk/segment codes, Date, pinned code)


@dataclass
class Extra:
    """Clients whose officer id is blank or not on the roster."""

    officer_id: str | None
    officer_name: str | None
    branch_idx: np.ndarray  # one entry per client: index into the branch table


def make_clients(
    rng: np.random.Generator,
    officers: pl.DataFrame,
    counts: np.ndarray,
    branches: pl.DataFrame,
    extras: list[Extra],
    id_prefix: str,
    id_start: int,
    id_width: int,
) -> pl.DataFrame:
    """Clients for officers (counts[i] each) plus extras, sorted by client number."""
    n_off = officers.height
    # Pseudo-officers: one per Extra group, carrying the branch per client separately.
    owner = np.repeat(np.arange(n_off, dtype=np.int64), counts)
    extra_owner = [np.full(len(e.branch_idx), n_off + k, np.int64) for k, e in enumerate(extras)]
    owner = np.concatenate([owner, *extra_owner])
    n = len(owner)
    blank_block = np.array([e.officer_id is None for e in extras], bool)

    branch_of_officer = officers["branch_idx"].to_numpy()
    branch_idx = np.concatenate(
        [branch_of_officer[owner[: counts.sum()]], *[e.branch_idx for e in extras]]
    ).astype(np.int64)
    start_of_officer = officers["start"].to_numpy().astype("datetime64[D]")
    start = np.concatenate([start_of_officer, np.full(len(extras), EARLIEST_DATE, "datetime64[D]")])

    # Households: runs of 2-4 consecutive clients of the same officer (owner is sorted).
    p_group = 0.2 / 2.6  # share of units that are households, so that ~20% of clients are
    size = np.where(rng.random(n) < p_group, rng.integers(2, 5, n), 1)
    unit = np.searchsorted(np.cumsum(size), np.arange(n), side="right")
    new = np.ones(n, bool)
    new[1:] = (unit[1:] != unit[:-1]) | (owner[1:] != owner[:-1])
    gid = np.cumsum(new) - 1  # one id per unit piece inside an officer's block
    gsize = np.bincount(gid)
    g_owner = owner[new]
    is_house = gsize >= 2
    if len(extras):
        is_house &= ~np.isin(g_owner, n_off + np.flatnonzero(blank_block))
    n_groups = gid[-1] + 1 if n else 0
    house_no = np.cumsum(is_house) - 1
    # An export is sorted by client number, officers interleaved: shuffle the rows now, while
    # they are integers, and draw every per-client column below in final order.
    perm = rng.permutation(n)
    owner, gid, branch_idx = owner[perm], gid[perm], branch_idx[perm]
    in_house = is_house[gid]

    # One draw per unit: surname, segment, date; members of a household share them.
    g_surname = rng.choice(len(SURNAMES), size=n_groups, p=SURNAME_WEIGHTS / SURNAME_WEIGHTS.sum())
    g_segment = rng.choice(3, size=n_groups, p=SEGMENT_SHARES)
    g_start = start[g_owner]
    g_start = np.maximum(g_start, EARLIEST_DATE)
    span = (EXPORT_DATE - g_start).astype(np.int64) + 1
    g_date = g_start + (rng.random(n_groups) * span).astype(np.int64).astype("timedelta64[D]")
    segment = g_segment[gid]

    medians = np.array([m for m, _ in SEGMENT_BALANCE])
    sigmas = np.array([s for _, s in SEGMENT_BALANCE])
    yuan = medians[segment] * np.exp(rng.standard_normal(n) * sigmas[segment])
    cents = np.round(yuan * 100).astype(np.int64)
    cents = np.where(rng.random(n) < 0.7, cents // 10000 * 10000, cents)  # many whole hundreds
    cents = np.where(rng.random(n) < 0.01, 0, cents)  # repaid, still managed
    risk = rng.choice(5, size=n, p=RISK_SHARES).astype(np.int8)
    u = rng.random(n)
    pinned = np.where(u < PINNED_SHARE, 1, np.where(u < PINNED_SHARE + BLANK_PIN_SHARE, -1, 0))

    names = person_names(rng, n, surname_idx=g_surname[gid])
    firms = firm_names(rng, n)
    client_name = (
        pl.DataFrame({"p": names, "f": firms, "s": segment})
        .select(pl.when(pl.col("s") == 2).then("f").otherwise("p"))
        .to_series()
    )

    ext_ids = officers["officer_id"].to_list()  # small: one per officer
    ext_names = officers["name"].to_list()
    ext_ids += [e.officer_id for e in extras]
    ext_names += [e.officer_name for e in extras]

    house_labels = numbered("H", house_no + 1, 7)
    frame = pl.DataFrame(
        {
            "client_name": client_name,
            "id_number": id_numbers(rng, n),
            "phone": phones(rng, n),
            "officer_id": pl.Series(ext_ids, dtype=pl.String).gather(owner),
            "officer_name": pl.Series(ext_names, dtype=pl.String).gather(owner),
            "branch": branches["branch"].gather(branch_idx),
            "branch_id": branches["branch_id"].gather(branch_idx),
            "balance_cents": cents,
            "risk": risk,
            "segment": segment.astype(np.int8),
            "group_id": house_labels.gather(gid),
            "in_house": in_house,
            "assigned_since": pl.Series(g_date[gid]).cast(pl.Date),
            "pinned": pinned.astype(np.int8),
        }
    )
    frame = frame.with_columns(
        pl.when("in_house").then("group_id").otherwise(None).alias("group_id")
    ).drop("in_house")
    ids = numbered(id_prefix, increasing_ids(rng, n, id_start), id_width)
    return frame.insert_column(0, ids.alias("client_id"))


def sample_bank(seed: int) -> Bank:
    """The committed sample: one county bank with every condition the check reports."""
    rng = np.random.default_rng(seed)
    branches = pl.DataFrame(
        {
            "branch": ["城关支行", "城东支行", "河口支行", "石桥支行", "新店支行"],
            "branch_id": ["3201001", "3201002", "3201003", "3201004", "3201005"],
            "region": ["城区片", "城区片", "东片", "西片", "西片"],
        }
    )
    # (clients, grade, status, capacity) per officer, branch by branch.
    # 城关支行 is the branch without room: mostly near/over plus a departed officer's book.
    plan = [
        [
            (362, "资深", ACTIVE, None),
            (345, "高级", ACTIVE, None),
            (301, "中级", ACTIVE, None),
            (300, "高级", ACTIVE, None),
            (291, "高级", ACTIVE, None),
            (278, "中级", ACTIVE, None),
            (248, "中级", ACTIVE, None),
            (120, "高级", DEPARTED, None),
        ],
        [
            (318, "高级", ACTIVE, None),
            (181, "中级", ACTIVE, None),
            (163, "中级", ACTIVE, None),
            (142, "中级", ACTIVE, None),
            (118, "初级", ACTIVE, None),
            (102, "初级", ACTIVE, None),
            (12, "初级", ACTIVE, 150),
            (0, "初级", ACTIVE, None),
        ],
        [
            (285, "高级", ACTIVE, None),
            (188, "中级", ACTIVE, None),
            (165, "中级", LEAVE, None),
            (139, "中级", ACTIVE, None),
            (121, "中级", ACTIVE, None),
            (112, "初级", ACTIVE, None),
            (104, "初级", ACTIVE, None),
            (8, "初级", ACTIVE, None),
        ],
        [
            (274, "中级", ACTIVE, None),
            (196, "高级", ACTIVE, None),
            (176, "中级", ACTIVE, None),
            (149, "中级", ACTIVE, None),
            (131, "中级", ACTIVE, None),
            (128, "中级", ACTIVE, None),
            (112, "初级", ACTIVE, None),
            (103, "初级", ACTIVE, None),
        ],
        [
            (271, "高级", ACTIVE, None),
            (204, "资深", ACTIVE, 350),
            (171, "中级", ACTIVE, None),
            (158, "中级", ACTIVE, None),
            (144, "中级", ACTIVE, None),
            (126, "初级", ACTIVE, None),
            (109, "初级", ACTIVE, None),
            (100, "初级", ACTIVE, None),
        ],
    ]
    rows = [(b, *spec) for b, officers in enumerate(plan) for spec in officers]
    n_off = len(rows)
    # Unique officer names (loop over officers is fine).
    names: list[str] = []
    while len(names) < n_off:
        for name in person_names(rng, n_off).to_list():
            if name not in names and len(names) < n_off:
                names.append(name)
    ids = rng.choice(np.arange(10, 9000), size=n_off, replace=False)
    counts = np.array([r[1] for r in rows], np.int64)
    # Start date on the books: officers with few clients are recent hires (recent handovers).
    start = EARLIEST_DATE + rng.integers(0, 6 * 365, n_off).astype("timedelta64[D]")
    recent = counts < 20
    start[recent] = EXPORT_DATE - rng.integers(20, 80, recent.sum()).astype("timedelta64[D]")
    officers = pl.DataFrame(
        {
            "officer_id": numbered("", ids, 5),
            "name": names,
            "branch_idx": np.array([r[0] for r in rows], np.int64),
            "status": np.array([r[3] for r in rows], np.int8),
            "grade": [r[2] for r in rows],
            "capacity": pl.Series([r[4] for r in rows], dtype=pl.Int32),
            "start": pl.Series(start).cast(pl.Date),
        }
    )
    officers = officers.with_columns(
        branches["branch"].gather(officers["branch_idx"]),
        branches["branch_id"].gather(officers["branch_idx"]),
        branches["region"].gather(officers["branch_idx"]),
    )
    extras = [
        Extra(None, None, rng.integers(0, len(branches), 15)),  # blank officer id
        Extra("09999", "周建国", np.full(10, 1, np.int64)),  # not on the roster (城东支行)
    ]
    clients = make_clients(rng, officers, counts, branches, extras, "", 1_200_000_000, 12)
    # One name with a character outside GBK (U+4DAE): only GB18030 can carry it.
    row = int(rng.integers(0, clients.height))
    clients = clients.with_columns(
        pl.when(pl.int_range(pl.len()) == row)
        .then(pl.lit("刘䶮"))
        .otherwise("client_name")
        .alias("client_name")
    )
    # Roster order: branch, then staff number.
    return Bank(officers.sort("branch_idx", "officer_id"), clients)


def scale_bank(seed: int, n_clients: int) -> Bank:
    """A large bank for benchmarks."""
    rng = np.random.default_rng(seed)
    n_off = max(1, round(n_clients / 160))
    n_branch = math.ceil(n_off / 15)
    n_region = math.ceil(n_branch / 20)
    region_of_branch = np.arange(n_branch) // 20
    slot = np.arange(n_branch) % 20
    k = 2 if n_branch <= len(PLACE_FIRST) * len(PLACE_SECOND) else 3
    combos = rng.permutation(len(PLACE_FIRST) * len(PLACE_SECOND) ** (k - 1))[:n_branch]
    if len(combos) < n_branch:
        raise SystemExit("too many branches for the name generator")
    first = pl.Series(PLACE_FIRST).gather(combos // len(PLACE_SECOND) ** (k - 1))
    second = pl.Series(PLACE_SECOND).gather(combos % len(PLACE_SECOND))
    names = first + second
    if k == 3:
        names = names + pl.Series(PLACE_SECOND).gather(
            combos // len(PLACE_SECOND) % len(PLACE_SECOND)
        )
    branches = pl.DataFrame(
        {
            "branch": names + "支行",
            "branch_id": (
                pl.Series(["32"] * n_branch)
                + numbered("", region_of_branch + 1, 3)
                + numbered("", slot + 1, 2)
            ),
            "region": pl.Series([f"第{r + 1}片区" for r in range(n_region)]).gather(
                region_of_branch
            ),
        }
    )

    width = max(5, len(str(n_off * 3)))
    ids = (
        rng.choice(10**width - 1, size=n_off, replace=False) + 1
        if width <= 7
        else np.arange(1, n_off + 1) * 3
    )
    status = rng.choice(3, size=n_off, p=(0.97, 0.02, 0.01)).astype(np.int8)
    branch_idx = np.minimum(np.arange(n_off) // 15, n_branch - 1)
    # Loads: lognormal around 160, a few new hires with small books.
    weight = rng.lognormal(math.log(160) - 0.45**2 / 2, 0.45, n_off)
    new_hire = rng.random(n_off) < 0.01
    weight[new_hire] *= 0.05
    n_blank = round(n_clients * 0.005)
    n_unknown = n_clients // 10_000
    n_assigned = max(0, n_clients - n_blank - n_unknown)
    counts = rng.multinomial(n_assigned, weight / weight.sum())
    start = EARLIEST_DATE + rng.integers(0, 8 * 365, n_off).astype("timedelta64[D]")
    start[new_hire] = EXPORT_DATE - rng.integers(10, 200, new_hire.sum()).astype("timedelta64[D]")
    grade_idx = rng.choice(len(GRADES), size=n_off, p=GRADE_SHARES)
    # ~1% carry their own 管户上限, set by grade ("管户对等"); the rest leave it blank.
    capacity = np.where(rng.random(n_off) < 0.01, np.array([150, 250, 300, 350])[grade_idx], 0)
    officers = pl.DataFrame(
        {
            "officer_id": numbered("", ids, width),
            "name": person_names(rng, n_off),
            "branch_idx": branch_idx.astype(np.int64),
            "status": status,
            "grade": pl.Series(GRADES).gather(grade_idx),
            "capacity": pl.Series(capacity).cast(pl.Int32).replace(0, None),
            "start": pl.Series(start).cast(pl.Date),
        }
    ).with_columns(
        branches["branch"].gather(branch_idx),
        branches["branch_id"].gather(branch_idx),
        branches["region"].gather(branch_idx),
    )
    known = set(ids.tolist())
    unknown_id = next(i for i in range(10**width - 1, 0, -1) if i not in known)
    extras = [Extra(None, None, rng.integers(0, n_branch, n_blank))]
    if n_unknown:
        extras.append(
            Extra(str(unknown_id).zfill(width), "周建国", rng.integers(0, n_branch, n_unknown))
        )
    clients = make_clients(rng, officers, counts, branches, extras, "C", 2_015_000_000, 10)
    return Bank(officers.sort("branch_idx", "officer_id"), clients)


# --------------------------------------------------------------------------------------------
# Export styles and writing.


def styled(bank: Bank, headers: str, typed: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Officers and clients in one export style: 'zh' (Chinese) or 'en' (English).

    typed=True keeps numbers, dates and booleans typed (parquet); otherwise every column is text
    formatted as that style's exports write it.
    """
    o, c = bank.officers, bank.clients
    status = pl.Series(STATUS[headers]).gather(o["status"])
    officers = pl.DataFrame(
        {
            "officer_id": o["officer_id"],
            "name": o["name"],
            "branch": o["branch"],
            "branch_id": o["branch_id"],
            "region": o["region"],
            "status": status,
            "grade": o["grade"],
            "capacity": o["capacity"] if typed else o["capacity"].cast(pl.String),
        }
    )
    if typed:
        balance = (pl.col("balance_cents") / 100).alias("balance")
        since = pl.col("assigned_since")
    else:
        money = thousands if headers == "zh" else plain_money
        balance = money(pl.col("balance_cents")).alias("balance")
        since = pl.col("assigned_since").dt.to_string("%Y-%m-%d")
    if headers == "zh":
        pinned = pl.col("pinned").replace_strict(
            {1: "是", 0: "否", -1: None}, return_dtype=pl.String
        )
    elif typed:
        pinned = pl.col("pinned") == 1
    else:
        pinned = pl.when(pl.col("pinned") == 1).then(pl.lit("true")).otherwise(pl.lit("false"))
    clients = c.select(
        "client_id",
        "client_name",
        "id_number",
        "phone",
        "officer_id",
        "officer_name",
        "branch",
        "branch_id",
        balance,
        pl.col("risk")
        .replace_strict(dict(enumerate(RISK[headers])), return_dtype=pl.String)
        .alias("risk_class"),
        pl.col("segment")
        .replace_strict(dict(enumerate(SEGMENT[headers])), return_dtype=pl.String)
        .alias("segment"),
        "group_id",
        since.alias("assigned_since"),
        pinned.alias("pinned"),
    )
    if headers == "zh":
        officers = officers.rename(ZH_OFFICER_HEADERS)
        clients = clients.rename(ZH_CLIENT_HEADERS)
    return officers, clients


def write_csv(
    frame: pl.DataFrame,
    path: Path,
    *,
    encoding: str,
    bom: bool,
    crlf: bool,
    title: str | None = None,
    total: bool = False,
    chunk_rows: int = 500_000,
) -> None:
    """Write text columns as CSV, in chunks so a large GB18030 file needs little memory."""
    nl = "\r\n" if crlf else "\n"
    codec = "gb18030" if encoding == "gb18030" else "utf-8"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        if bom and codec == "utf-8":
            out.write(b"\xef\xbb\xbf")
        if title:
            out.write((title + nl).encode(codec))
        for offset in range(0, max(frame.height, 1), chunk_rows):
            part = frame.slice(offset, chunk_rows)
            if codec == "utf-8":
                buf = io.BytesIO()
                part.write_csv(buf, include_header=offset == 0, line_terminator=nl)
                out.write(buf.getvalue())
            else:
                text = part.write_csv(include_header=offset == 0, line_terminator=nl)
                out.write(text.encode(codec))
        if total:
            cells = ["合计", str(frame.height)] + [""] * (frame.width - 2)
            out.write((",".join(cells) + nl).encode(codec))


def write_bank(
    bank: Bank, out: Path, *, headers: str, encoding: str, fmt: str, bom: bool | None = None
) -> list[tuple[Path, int]]:
    """Write officers.<ext> and clients.<ext>; Chinese style adds title/total lines and CRLF."""
    officers, clients = styled(bank, headers, typed=fmt == "parquet")
    out.mkdir(parents=True, exist_ok=True)
    files = [(out / f"officers.{fmt}", officers), (out / f"clients.{fmt}", clients)]
    if fmt == "parquet":
        for path, frame in files:
            frame.write_parquet(path, statistics=False)
    else:
        zh = headers == "zh"
        titles = (
            f"{BANK}客户经理名单（导出日期：{EXPORT_DATE}）",
            f"{BANK}管户客户清单（导出日期：{EXPORT_DATE}）",
        )
        for (path, frame), title, total in zip(files, titles, (False, True), strict=True):
            write_csv(
                frame,
                path,
                encoding=encoding,
                bom=bool(bom),
                crlf=zh,
                title=title if zh else None,
                total=zh and total,
            )
    return [(path, frame.height) for path, frame in files]


# --------------------------------------------------------------------------------------------
# Modes.


def describe_sample(bank: Bank, seed: int, limit: int = 300) -> str:
    """What the sample contains, computed from the data itself (written as ABOUT.md)."""
    o = bank.officers
    c = bank.clients
    loads = o.join(c.group_by("officer_id").len(), on="officer_id", how="left").with_columns(
        pl.col("len").fill_null(0).cast(pl.Int64).alias("clients"),
        pl.col("status").replace_strict(dict(enumerate(STATUS["en"])), return_dtype=pl.String),
    )
    active = loads.filter(pl.col("status") == "active")

    def ids(frame: pl.DataFrame) -> str:
        return ", ".join(f"{i} ({n})" for i, n in frame.select("officer_id", "clients").rows())

    near_from = math.ceil(limit * 0.9)
    roster = set(o["officer_id"].to_list())
    departed = loads.filter(pl.col("status") == "departed")["officer_id"].to_list()
    orphan = (
        pl.col("officer_id").is_null()
        | pl.col("officer_id").is_in(departed)
        | ~pl.col("officer_id").is_in(list(roster))
    )
    per_branch = (
        active.group_by("branch")
        .agg(
            (pl.col("clients") - limit).clip(0).sum().alias("excess"),
            (limit - pl.col("clients")).clip(0).sum().alias("room"),
        )
        .join(
            c.filter(orphan).group_by("branch").len().rename({"len": "orphans"}),
            on="branch",
            how="left",
        )
        .fill_null(0)
    )
    order = {b: i for i, b in enumerate(dict.fromkeys(o["branch"].to_list()))}
    rows = sorted(per_branch.rows(named=True), key=lambda r: order[r["branch"]])
    unknown = c.filter(
        pl.col("officer_id").is_not_null() & ~pl.col("officer_id").is_in(list(roster))
    )
    over = active.filter(pl.col("clients") > limit).sort("clients")
    near = active.filter(pl.col("clients").is_between(near_from, limit - 1)).sort("clients")
    few = loads.filter(pl.col("clients") < 20).sort("clients")
    own = ", ".join(
        f"{i} ({n}, 上限 {k})"
        for i, n, k in loads.filter(pl.col("capacity").is_not_null())
        .select("officer_id", "clients", "capacity")
        .rows()
    )
    lines = [
        "# Sample data (synthetic)",
        "",
        "Written by `python scripts/generate_data.py sample` (seed "
        f"{seed}); do not edit by hand. Every name, ID number and phone number is "
        "made up.",
        "",
        "- `officers.csv`, `clients.csv`: Chinese headers, GB18030, CRLF, a title line above "
        "the header, a `合计` line below the clients.",
        "- `en/officers.csv`, `en/clients.csv`: the same bank with English headers and words, "
        "UTF-8 with BOM, LF.",
        "",
        f"{o.height} officers, {c.height} clients, export date {EXPORT_DATE}. "
        f"With a limit of {limit} (near from {near_from}):",
        "",
        f"- over: {ids(over)}",
        f"- exactly at the limit: {ids(active.filter(pl.col('clients') == limit))}",
        f"- near: {ids(near)}",
        f"- on leave: {ids(loads.filter(pl.col('status') == 'leave'))}",
        f"- departed (clients orphaned): {ids(loads.filter(pl.col('status') == 'departed'))}",
        f"- fewer than 20 clients: {ids(few)}",
        f"- own 管户上限: {own}",
        f"- clients with a blank officer id: {c['officer_id'].is_null().sum()}",
        f"- clients whose officer id is not on the roster: "
        f"{', '.join(f'{i} ({n})' for i, n in unknown.group_by('officer_id').len().rows())}",
        f"- clients in households (家庭号): {c['group_id'].is_not_null().sum()}; "
        f"pinned (锁定=是): {(c['pinned'] == 1).sum()}; "
        f"non-performing: {(c['risk'] >= 2).sum()}",
        "- one client name holds 䶮 (U+4DAE), which GBK cannot encode: read as GB18030.",
        "",
        "| branch | over-limit excess | orphans | room below the limit |",
        "|---|---|---|---|",
        *[f"| {r['branch']} | {r['excess']} | {r['orphans']} | {r['room']} |" for r in rows],
        "",
    ]
    return "\n".join(lines)


def run_sample(args: argparse.Namespace) -> None:
    out = Path(args.out)
    bank = sample_bank(args.seed)
    written = write_bank(bank, out, headers="zh", encoding="gb18030", fmt="csv")
    written += write_bank(bank, out / "en", headers="en", encoding="utf8", fmt="csv", bom=True)
    (out / "ABOUT.md").write_text(describe_sample(bank, args.seed), encoding="utf-8")
    for path, rows in written:
        print(f"wrote {rows:>9,} rows  {path}")
    print(f"wrote {out / 'ABOUT.md'}")


def run_scale(args: argparse.Namespace) -> None:
    t0 = time.perf_counter()
    bank = scale_bank(args.seed, args.clients)
    t1 = time.perf_counter()
    written = write_bank(
        bank,
        Path(args.out),
        headers=args.headers,
        encoding=args.encoding,
        fmt=args.format,
        bom=args.bom,
    )
    t2 = time.perf_counter()
    for path, rows in written:
        print(f"wrote {rows:>11,} rows  {path}")
    print(f"generated in {t1 - t0:.1f}s, written in {t2 - t1:.1f}s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
    )
    sub = parser.add_subparsers(dest="mode")
    sample = sub.add_parser("sample", help="write the committed sample data")
    sample.add_argument("--out", default=None, help=f"output directory (default {SAMPLE_DIR})")
    sample.add_argument("--seed", type=int, default=argparse.SUPPRESS)
    scale = sub.add_parser("scale", help="write a large bank for benchmarks")
    scale.add_argument("--clients", type=int, default=1_000_000, help="number of clients")
    scale.add_argument("--out", required=True, help="output directory")
    scale.add_argument("--format", choices=("csv", "parquet"), default="csv")
    scale.add_argument("--encoding", choices=("utf8", "gb18030"), default="utf8")
    scale.add_argument(
        "--headers",
        choices=("en", "zh"),
        default="en",
        help="en: English headers and words, LF; zh: Chinese headers and words, "
        "1,234.56 balances, CRLF, title and 合计 lines (like the sample)",
    )
    scale.add_argument("--bom", action="store_true", help="UTF-8 byte-order mark")
    scale.add_argument("--seed", type=int, default=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.mode in (None, "sample"):
        if getattr(args, "out", None) is None:
            args.out = str(SAMPLE_DIR)
        run_sample(args)
    else:
        if args.clients < 1:
            parser.error("--clients must be positive")
        run_scale(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
