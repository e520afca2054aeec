"""Canonical columns, the header names seen in real exports, and the vocabularies.

Everything a bank calls a column or a status by lives here, so that reading, checking and
planning speak one language. Header names are compared after `normalise_header`, vocabulary
words after `normalise_word`.

Header names come in tiers of specificity: when two headers of one file fit the same column,
the one in the more specific tier wins (``管户客户经理工号`` over ``客户经理工号``, ``贷款余额``
over ``余额``); two headers of the same tier are ambiguous and the user maps one with ``--map``.
"""

from __future__ import annotations

import re
import unicodedata

# The key of the one branch an export without branch columns describes (per bank, if any).
ONE_BRANCH = "(branch)"
ANY_BANK = "\x00any bank"  # the bank of a row that gives none (such a row is a problem)

Tiers = tuple[tuple[str, ...], ...]

# The bank (法人行社) in a province-wide export: staff and client numbers are unique only
# within one bank, so where both exports carry it, identities are read as ``bank/number``.
_BANK: Tiers = (("bank", "bank_code", "legal_entity", "法人行社", "法人机构", "所属行社",
                 "所属法人", "行社"),)

# canonical -> tiers of header names seen in exports, the most specific tier first.
OFFICER_HEADER_TIERS: dict[str, Tiers] = {
    "officer_id": (
        ("officer_id", "staff_id", "employee_id", "工号", "员工号", "员工编号",
         "客户经理工号", "客户经理编号", "客户经理号"),
    ),
    "name": (("name", "officer_name", "姓名", "客户经理姓名", "员工姓名"),),
    "branch": (
        ("branch", "branch_name", "所属支行", "所属机构", "机构名称"),
        ("支行", "营业网点", "网点"),
    ),
    "branch_id": (("branch_id", "branch_code", "机构号", "机构代码", "机构编号"),),
    "region": (("region", "area", "片区", "区域"),),
    "status": (("status", "岗位状态", "在岗状态", "员工状态"), ("状态",)),
    "grade": (("grade", "level", "客户经理等级", "等级", "职级", "星级"),),
    "capacity": (("capacity", "max_accounts", "管户上限"),),
    "bank": _BANK,
}

CLIENT_HEADER_TIERS: dict[str, Tiers] = {
    "client_id": (("client_id", "customer_id", "客户号", "客户编号", "客户代码", "客户编码"),),
    "client_name": (("client_name", "customer_name", "客户名称", "客户姓名"),),
    "id_number": (("id_number", "证件号码", "身份证号码", "身份证号"),),
    "phone": (("phone", "mobile", "手机号", "联系电话"),),
    "officer_id": (
        ("officer_id", "管户客户经理工号", "管户经理工号", "管户人工号"),
        ("客户经理工号", "客户经理编号"),
    ),
    "officer_name": (
        ("officer_name", "管户客户经理", "管户人"),
        ("客户经理姓名", "客户经理"),
    ),
    "branch": (
        ("branch", "branch_name", "管户机构"),
        ("所属支行", "所属机构", "机构名称"),
        ("开户机构", "支行", "营业网点", "网点"),
    ),
    "branch_id": (("branch_id", "branch_code", "机构号", "机构代码", "机构编号"),),
    "balance": (("balance", "loan_balance", "贷款余额(元)", "贷款余额"), ("余额",)),
    "risk_class": (("risk_class", "五级分类", "风险分类"),),
    "segment": (("segment", "客户类型", "客户类别"),),
    "group_id": (("group_id", "household_id", "关联组号", "家庭号", "关联客户组", "集团号"),),
    "assigned_since": (("assigned_since", "管户日期", "分配日期", "接管日期"),),
    "pinned": (("pinned", "locked", "锁定", "不可调整"),),
    "bank": _BANK,
}


def _flat(tiers: dict[str, Tiers]) -> dict[str, tuple[str, ...]]:
    return {c: tuple(name for tier in t for name in tier) for c, t in tiers.items()}


# canonical -> every header name, most specific first (the flat view of the tiers).
OFFICER_HEADERS: dict[str, tuple[str, ...]] = _flat(OFFICER_HEADER_TIERS)
CLIENT_HEADERS: dict[str, tuple[str, ...]] = _flat(CLIENT_HEADER_TIERS)

OFFICER_REQUIRED = ("officer_id",)
CLIENT_REQUIRED = ("client_id", "officer_id")

# Columns that hold client personal financial information: never in messages, masked in reports.
PERSONAL_COLUMNS = ("client_name", "id_number", "phone")

STATUS_WORDS: dict[str, str] = {
    **dict.fromkeys(("active", "在岗", "在职", "正常"), "active"),
    **dict.fromkeys(("leave", "on leave", "休假", "请假", "病假", "产假", "借调"), "leave"),
    **dict.fromkeys(("departed", "调离", "离职", "退休", "停岗"), "departed"),
}

RISK_WORDS: dict[str, str] = {
    **dict.fromkeys(("normal", "正常", "正常类"), "normal"),
    **dict.fromkeys(("special mention", "关注", "关注类"), "special_mention"),
    **dict.fromkeys(("substandard", "次级", "次级类"), "substandard"),
    **dict.fromkeys(("doubtful", "可疑", "可疑类"), "doubtful"),
    **dict.fromkeys(("loss", "损失", "损失类"), "loss"),
}
NON_PERFORMING = ("substandard", "doubtful", "loss")
# The five classes as a Chinese branch head reads them (a plan or report in --lang zh).
RISK_NAMES_ZH = {"normal": "正常", "special_mention": "关注", "substandard": "次级",
                 "doubtful": "可疑", "loss": "损失"}

TRUE_WORDS = ("1", "y", "yes", "true", "t", "是", "锁定", "不可调整", "√", "✓")
FALSE_WORDS = ("0", "n", "no", "false", "f", "否", "可调整", "")
# Household numbers (家庭号) that say "no household": each such client is a household of one.
NO_HOUSEHOLD = ("0", "-", "--", "—", "/", "无", "空", "N/A", "n/a", "NULL", "null")

# A line whose first non-blank cell starts with one of these is a total, not a record ...
TOTAL_LINE_WORDS = ("合计", "总计", "小计", "共计")
# ... or is one of these as a word of its own: `Total`, `TOTAL:`, `Sum (yuan)`, `Total 1,234`,
# but not a name or number that begins with it (`Sumner Li`, `TotalEnergies`, `SUM0001`).
TOTAL_LINE_ENGLISH = ("total", "sum")

_SPACES = re.compile(r"\s+")
_WORD_GAPS = re.compile(r"[\s_\-]+")


def normalise_header(header: str) -> str:
    """Fold width (（）→()), case and spaces so that header spellings compare equal."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", header)).lower()


def normalise_word(word: str) -> str:
    """Vocabulary words compare ignoring case, width, spaces, ``_`` and ``-``.

    ``Special Mention``, ``special_mention`` and ``SPECIAL-MENTION`` are one word, as are
    ``在 岗`` and ``在岗``.
    """
    return _WORD_GAPS.sub("", unicodedata.normalize("NFKC", word)).lower()


def vocabulary(words: dict[str, str]) -> dict[str, str]:
    """A vocabulary keyed by `normalise_word`, for lookups of normalised cells."""
    return {normalise_word(k): v for k, v in words.items()}


def header_lookup(tiers: dict[str, Tiers]) -> dict[str, list[tuple[str, int]]]:
    """Normalised header -> [(canonical, tier)]; tier 0 is the most specific."""
    lookup: dict[str, list[tuple[str, int]]] = {}
    for canonical, levels in tiers.items():
        for tier, names in enumerate(levels):
            for name in names:
                lookup.setdefault(normalise_header(name), []).append((canonical, tier))
    return lookup
