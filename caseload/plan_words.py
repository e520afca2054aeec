"""The planner's sentences (each move's reason, why an officer stays over), English and Chinese.

Placeholders `{}` are filled in order by `pl.format` in plan.py; keep their count when editing.
"""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "then": "; ",
        "household": "; household of {} moves together",
        "departed": "officer {} has departed",
        "unknown": "officer {} is not on the roster",
        "unassigned": "client has no managing officer",
        "recent": "{} is over the limit ({}/{}); handed over within {} days, moved because "
                  "nothing else could",
        "shed": "{} is over the limit ({}/{}); among the shortest relationships and smallest "
                "balances of the movable clients",
        "kept_together": "household kept together in branch {}: {} was the least loaded there "
                         "for its limit",
        "in_branch": "{} was the least loaded in the branch for its limit",
        "no_branch": "no branch recorded for the client: {} was the least loaded for its limit",
        "in_region": "no room in branch {}: {} was the least loaded in the same region for its "
                     "limit",
        "anywhere": "no room in branch {} or its region: {} was the least loaded for its limit",
        "stays": "pinned or non-performing clients stay",
        "no_room": "no receiver with room within the allowed scope",
        "both": "{} ({}); {} ({})",
    },
    "zh": {
        "then": "；",
        "household": "；同一家庭 {} 户一并移交",
        "departed": "客户经理 {} 已调离",
        "unknown": "工号 {} 不在客户经理名单中",
        "unassigned": "客户未分配管户客户经理",
        "recent": "{} 超上限（{}/{}）；该客户 {} 天内刚移交，因无其他可调客户而调整",
        "shed": "{} 超上限（{}/{}）；在可调客户中管户时间最短、余额最小",
        "kept_together": "家庭成员一并留在 {}：{} 负荷率（管户数/上限）最低",
        "in_branch": "{} 在本支行负荷率（管户数/上限）最低",
        "no_branch": "客户无所属支行记录：{} 负荷率（管户数/上限）最低",
        "in_region": "{} 已无空余：同片区的 {} 负荷率（管户数/上限）最低",
        "anywhere": "{} 及其片区均无空余：{} 负荷率（管户数/上限）最低",
        "stays": "不良或锁定客户不调整",
        "no_room": "可调整范围内没有空余的接收人",
        "both": "{}（{}）；{}（{}）",
    },
}


def words(lang: str) -> dict[str, str]:
    return WORDS.get(lang, WORDS["en"])
