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
        "kept_together": "household kept together in branch {}: {} had the most room there",
        "in_branch": "{} had the most room in the branch",
        "no_branch": "no branch recorded for the client: {} had the most room",
        "in_region": "no room in branch {}: {} in the same region had the most room",
        "anywhere": "no room in branch {} or its region: {} had the most room",
        "stays": "pinned or non-performing clients stay",
        "no_room": "no receiver with room within the allowed scope",
    },
    "zh": {
        "then": "；",
        "household": "；同一家庭 {} 户一并移交",
        "departed": "客户经理 {} 已调离",
        "unknown": "工号 {} 不在客户经理名单中",
        "unassigned": "客户未分配管户客户经理",
        "recent": "{} 超上限（{}/{}）；该客户 {} 天内刚移交，因无其他可调客户而调整",
        "shed": "{} 超上限（{}/{}）；在可调客户中管户时间最短、余额最小",
        "kept_together": "家庭成员一并留在 {} 支行：{} 空余最多",
        "in_branch": "{} 在本支行空余最多",
        "no_branch": "客户无所属支行记录：{} 空余最多",
        "in_region": "{} 支行已无空余：同片区的 {} 空余最多",
        "anywhere": "{} 支行及其片区均无空余：{} 空余最多",
        "stays": "不良或锁定客户不调整",
        "no_room": "可调整范围内没有空余的接收人",
    },
}


def words(lang: str) -> dict[str, str]:
    return WORDS.get(lang, WORDS["en"])
