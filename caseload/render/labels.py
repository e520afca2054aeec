"""Words people read in tables and reports, in English and Chinese. JSON keys stay English."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "title": {"en": "caseload check", "zh": "管户负荷检查"},
    "as_of": {"en": "as of", "zh": "截至"},
    "limit": {"en": "limit", "zh": "上限"},
    "limit_col": {"en": "Limit", "zh": "上限"},
    "summary": {"en": "Summary", "zh": "概况"},
    "clients": {"en": "Clients", "zh": "客户数"},
    "officers": {"en": "Officers on roster (active)", "zh": "客户经理（在岗）"},
    "over": {"en": "Over the limit", "zh": "超上限"},
    "near": {"en": "Near the limit", "zh": "接近上限"},
    "orphaned": {"en": "Orphaned clients", "zh": "无人管户客户"},
    "orphan_detail": {
        "en": "blank {u} · not on roster {k} · departed {d}",
        "zh": "未分配 {u} · 不在名单 {k} · 已调离 {d}",
    },
    "moves": {"en": "Suggested moves", "zh": "建议调整户数"},
    "cannot_place": {"en": "Cannot be placed", "zh": "无法安置"},
    "over_after": {"en": "Still over after the plan", "zh": "调整后仍超上限"},
    "over_near_title": {"en": "Officers over and near the limit", "zh": "超上限及接近上限的客户经理"},
    "staff": {"en": "Staff no.", "zh": "工号"},
    "name": {"en": "Name", "zh": "姓名"},
    "branch": {"en": "Branch", "zh": "支行"},
    "accounts": {"en": "Accounts", "zh": "管户数"},
    "load": {"en": "Load", "zh": "负荷"},
    "flag": {"en": "", "zh": ""},
    "flag_over": {"en": "OVER", "zh": "超"},
    "flag_near": {"en": "near", "zh": "接近"},
    "transfers_title": {"en": "Suggested transfers", "zh": "建议移交"},
    "from": {"en": "From", "zh": "移出"},
    "to": {"en": "To", "zh": "接收"},
    "no_officer": {"en": "(no officer on roster)", "zh": "（名单外/未分配）"},
    "crosses": {"en": "crosses branch", "zh": "跨支行"},
    "shortfall_title": {"en": "Branches without enough room", "zh": "容量不足的支行"},
    "officers_needed": {"en": "Officers needed", "zh": "需增客户经理"},
    "still_over_title": {"en": "Officers still over after the plan", "zh": "调整后仍超上限"},
    "excess_left": {"en": "Excess left", "zh": "仍超户数"},
    "why": {"en": "Why", "zh": "原因"},
    "inputs_title": {"en": "Rows left out or folded", "zh": "未计入或合并的行"},
    "file": {"en": "File", "zh": "文件"},
    "problem": {"en": "Problem", "zh": "问题"},
    "rows": {"en": "Rows", "zh": "行数"},
    "lines": {"en": "Lines", "zh": "行号"},
    "total_lines": {"en": "total line (not a client)", "zh": "合计行（非客户）"},
    "nothing": {"en": "Nobody is over the limit and no client is orphaned.",
                "zh": "无人超上限，无无人管户客户。"},
}


def label(key: str, lang: str) -> str:
    return LABELS[key].get(lang, LABELS[key]["en"])
