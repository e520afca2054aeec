"""Words people read in tables and reports, in English and Chinese. JSON keys stay English."""

from __future__ import annotations

from caseload.columns import ONE_BRANCH

LABELS: dict[str, dict[str, str]] = {
    "moves_written": {"en": "{n} client moves written to {target}",
                      "zh": "已写出 {n} 户调整建议：{target}"},
    "over_col": {"en": "Over", "zh": "超上限"},
    "near_col": {"en": "Near", "zh": "接近上限"},
    "orphaned_col": {"en": "Orphaned", "zh": "无人管户"},
    "moves_written_one": {"en": "1 client move written to {target}",
                          "zh": "已写出 1 户调整建议：{target}"},
    "applied_one": {"en": "1 client reassigned; written to {target}",
                    "zh": "已调整 1 户客户的管户客户经理：{target}"},
    "applied": {"en": "{n} clients reassigned; written to {target}",
                "zh": "已调整 {n} 户客户的管户客户经理：{target}"},
    "loads_title": {"en": "Loads of the officers involved", "zh": "涉及客户经理的管户数"},
    "no_weeks": {"en": "No weeks recorded yet.", "zh": "尚无周记录。"},
    "weeks_title": {"en": "Weeks recorded", "zh": "已记录的周"},
    "week": {"en": "Week", "zh": "周"},
    "branch_weeks_title": {"en": "Largest load per branch, by week", "zh": "各支行每周最大管户数"},
    "officer_weeks_title": {"en": "Officers over or near the limit this week, by week",
                            "zh": "本周超上限或接近上限的客户经理（每周管户数）"},
    "not_growing": {"en": "not growing", "zh": "未增长"},
    "more_rows": {"en": "… and {n} more rows (all of them in --format json/csv or --report)",
                  "zh": "……另有 {n} 行（完整内容见 --format json/csv 或 --report）"},
    "more_rows_plan": {"en": "… and {n} more rows (every move is in the plan file; "
                             "caseload check --report FILE.xlsx lists every transfer and branch)",
                       "zh": "……另有 {n} 行（每笔调整见计划文件；caseload check --report "
                             "FILE.xlsx 列出全部移交与支行）"},
    "title": {"en": "caseload check", "zh": "管户负荷检查"},
    "as_of": {"en": "as of", "zh": "截至"},
    "limit": {"en": "limit", "zh": "上限"},
    "limit_col": {"en": "Limit", "zh": "上限"},
    "summary": {"en": "Summary", "zh": "概况"},
    "clients": {"en": "Clients", "zh": "客户数"},
    "officers": {"en": "Officers on roster (active)", "zh": "客户经理（在岗）"},
    "roster_officers": {"en": "Officers on roster", "zh": "名单上的客户经理"},
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
    # --- report files (render/html.py, render/xlsx.py)
    "report_title": {"en": "Caseload report", "zh": "管户负荷报告"},
    "report_scope": {"en": "Scope", "zh": "调整范围"},
    "report_scope_branch": {"en": "within each branch", "zh": "支行内"},
    "report_scope_region": {"en": "within each region", "zh": "片区内"},
    "report_scope_all": {"en": "across the bank", "zh": "全行"},
    "report_near_from": {"en": "Near from", "zh": "接近上限起点"},
    "report_contents": {"en": "Contents", "zh": "目录"},
    "report_loads_title": {"en": "Each officer's load against their limit, by branch",
                           "zh": "各支行客户经理管户数与上限"},
    "report_no_branch": {"en": "(no branch)", "zh": "（无支行）"},
    "report_legend_over": {"en": "over the limit", "zh": "超上限"},
    "report_legend_near": {"en": "near the limit", "zh": "接近上限"},
    "report_legend_ok": {"en": "within the limit", "zh": "未超上限"},
    "report_legend_inactive": {"en": "on leave or departed", "zh": "休假或已调离"},
    "report_legend_after": {"en": "after the plan", "zh": "调整后"},
    "report_legend_limit": {"en": "the officer's limit", "zh": "该客户经理上限"},
    "report_chart_desc": {"en": "{n} officers; bars show accounts, the vertical line each officer's limit.",
                          "zh": "{n} 名客户经理；横条为管户数，竖线为各自上限。"},
    "report_of": {"en": "{a} of {c}", "zh": "{a} / 上限 {c}"},
    "status_active": {"en": "active", "zh": "在岗"},
    "status_leave": {"en": "on leave", "zh": "休假"},
    "status_departed": {"en": "departed", "zh": "已调离"},
    "not_on_roster": {"en": "not on the roster", "zh": "不在名单上"},
    "status": {"en": "Status", "zh": "状态"},
    "grade": {"en": "Grade", "zh": "等级"},
    "region": {"en": "Region", "zh": "片区"},
    "branch_id": {"en": "Branch code", "zh": "机构号"},
    "share": {"en": "Share of limit", "zh": "占上限"},
    "accounts_after": {"en": "After the plan", "zh": "调整后管户数"},
    "from_name": {"en": "From (name)", "zh": "移出人"},
    "to_name": {"en": "To (name)", "zh": "接收人"},
    "to_branch": {"en": "To branch", "zh": "接收支行"},
    "branches_title": {"en": "Branches before and after the plan", "zh": "各支行调整前后"},
    "active_officers": {"en": "Active officers", "zh": "在岗客户经理"},
    "largest": {"en": "Largest load", "zh": "最大管户数"},
    "average": {"en": "Average load", "zh": "平均管户数"},
    "spread": {"en": "Spread", "zh": "极差"},
    "over_count": {"en": "Officers over", "zh": "超上限人数"},
    "before": {"en": "before", "zh": "调整前"},
    "after": {"en": "after", "zh": "调整后"},
    "orphans_unplaced": {"en": "Orphans not placed", "zh": "未安置的无人管户客户"},
    "excess_unplaced": {"en": "Excess not moved", "zh": "未移出的超额客户"},
    "cannot_place_title": {"en": "What cannot be placed", "zh": "无法安置的客户"},
    "nothing_unplaced": {"en": "Every client is placed and every officer is within the limit after the plan.",
                         "zh": "调整后所有客户均已安置，无人超上限。"},
    "nothing_left_out": {"en": "No row was left out.", "zh": "所有行均已计入。"},
    "no_transfers": {"en": "No transfer is suggested.", "zh": "无建议移交。"},
    "nobody_over_near": {"en": "Nobody is over or near the limit.", "zh": "无人超上限或接近上限。"},
    "moves_title": {"en": "Client moves", "zh": "客户移交明细"},
    "moves_show": {"en": "Show {n} client moves", "zh": "展开 {n} 户移交明细"},
    "client_id": {"en": "Client no.", "zh": "客户号"},
    "client_name": {"en": "Client", "zh": "客户名称"},
    "group_id": {"en": "Group", "zh": "关联组号"},
    "risk_class": {"en": "Risk class", "zh": "五级分类"},
    "balance": {"en": "Balance (yuan)", "zh": "贷款余额（元）"},
    "assigned_since": {"en": "Assigned since", "zh": "管户日期"},
    "from_before": {"en": "From: before", "zh": "移出人调整前"},
    "from_after": {"en": "From: after", "zh": "移出人调整后"},
    "to_before": {"en": "To: before", "zh": "接收人调整前"},
    "to_after": {"en": "To: after", "zh": "接收人调整后"},
    "source_line": {"en": "Line in export", "zh": "导出文件行号"},
    "source_file": {"en": "Part of export", "zh": "导出分片文件"},
    "yes": {"en": "yes", "zh": "是"},
    "trend_title": {"en": "Trend by week", "zh": "每周趋势"},
    "trend_total": {"en": "Accounts in the branch", "zh": "支行管户总数"},
    "trend_max": {"en": "Largest load", "zh": "最大管户数"},
    "trend_desc": {"en": "{what}, {n} weeks from {first} to {last}: {values}.",
                   "zh": "{what}，{first} 至 {last} 共 {n} 周：{values}。"},
    "trend_none": {"en": "No weekly figures by branch yet.", "zh": "暂无各支行的每周数据。"},
    "persistent_title": {"en": "Over the limit several weeks running", "zh": "连续多周超上限"},
    "weeks_over": {"en": "Weeks over", "zh": "连续超限周数"},
    "crossing_title": {"en": "Near the limit, and when they would cross",
                       "zh": "接近上限及预计超限时间"},
    "growth_per_week": {"en": "Growth a week", "zh": "每周增长"},
    "expected": {"en": "Expected to cross", "zh": "预计超限日期"},
    "item": {"en": "Item", "zh": "项目"},
    "value": {"en": "Value", "zh": "数值"},
    "detail": {"en": "Detail", "zh": "说明"},
    "report_before_after": {"en": "Each figure: before → after the plan.", "zh": "各项数字：调整前 → 调整后。"},
    "trend_limit_dashed": {"en": "dashed line: limit {n}", "zh": "虚线：上限 {n}"},
    "report_flag": {"en": "Flag", "zh": "标记"},
    "crosses_col": {"en": "Crosses branch", "zh": "跨支行"},
    "footer": {"en": "Made by caseload from the exports listed above. No client personal data.",
               "zh": "由 caseload 根据上述导出文件生成，不含客户个人信息。"},
}


def label(key: str, lang: str) -> str:
    return LABELS[key].get(lang, LABELS[key]["en"])


def branch_label(branch: dict, lang: str) -> str:
    """A row of the branches table as people name it: its name, else its code, else
    "(no branch)" for the clients and officers without one."""
    key = branch["branch_key"]
    if branch["branch"]:
        return branch["branch"]
    if key and key != ONE_BRANCH and not key.endswith("/" + ONE_BRANCH):
        return key  # (a branch exported by its code alone)
    if key and key.endswith("/" + ONE_BRANCH):  # a province's bank without branches: its name
        return f"{key.removesuffix('/' + ONE_BRANCH)} {label('report_no_branch', lang)}"
    return label("report_no_branch", lang)  # (none, or a roster without branches)


def branches_crossed(transfer: dict, lang: str) -> str:
    """A transfer that crosses branches, as text: ``城关支行 → 河口支行 (crosses branch)``."""
    none = label("report_no_branch", lang)
    return (f"{transfer['branch'] or none} → {transfer['to_branch'] or none} "
            f"({label('crosses', lang)})")


def number(value) -> str:
    """A count or load as every output writes it: 1,250; an average with one decimal only where
    it has one (303.6, 1,175)."""
    if isinstance(value, float):
        return f"{value:,.1f}" if not value.is_integer() else f"{int(value):,}"
    return f"{value:,}"
