"""Colloquial phrasing expanded with the legal terms a statute uses (抢注 → 恶意注册, 在先使用)."""
from __future__ import annotations

import functools
import re

from knowledge import COLLOQUIAL_FILE


@functools.lru_cache(maxsize=1)
def _table() -> list[tuple[str, str]]:
    rows = []
    for line in COLLOQUIAL_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#") and "\t" in line:
            phrase, terms = line.split("\t", 1)
            rows.append((phrase.strip(), terms.strip()))
    return sorted(rows, key=lambda r: -len(r[0]))


def legal_terms_for(question: str) -> str:
    """Space-separated legal terms for the colloquial phrases found in the question ('' when none)."""
    lowered = question.lower()
    seen: list[str] = []
    for phrase, terms in _table():
        if phrase.lower() in lowered:
            seen.extend(t for t in terms.split() if t not in seen and t not in question)
    return " ".join(seen)


_EN_QUESTION_TERMS = {
    "how long": "期限", "last": "期限", "duration": "期限", "term": "期限", "expire": "届满", "deadline": "期限 期间",
    "how much": "费用 数额", "fee": "费用", "cost": "费用", "damages": "赔偿 数额", "compensation": "赔偿",
    "who owns": "归属 属于", "belong": "归属 属于", "employee": "职务 单位", "employer": "单位",
    "register": "注册 登记", "apply": "申请", "renew": "续展", "transfer": "转让", "license": "许可", "licence": "许可",
    "infringe": "侵犯 侵权", "copy": "复制", "fake": "假冒", "counterfeit": "假冒", "export": "出口 海关", "import": "进口 海关",
    "customs": "海关", "online": "网络 电子商务", "platform": "平台", "evidence": "证据", "injunction": "行为保全 停止",
    "secret": "商业秘密", "software": "软件", "pledge": "质押 出质", "loan": "质押 融资", "court": "人民法院 诉讼",
    "punitive": "惩罚性赔偿", "well-known": "驰名商标", "opposition": "异议", "invalid": "无效宣告",
    "cancel": "撤销", "revoke": "撤销", "not use": "连续三年不使用 撤销", "non-use": "连续三年不使用 撤销", "don't use": "连续三年不使用 撤销",
    "intentional": "故意", "wilful": "故意", "willful": "故意", "deliberate": "故意", "negligen": "过失",
    "knowingly": "明知", "knew": "明知 知道", "aware": "知道 明知", "consider": "考虑 考量 因素", "factor": "考虑 因素",
    "enforceable": "有效 无效", "void": "无效", "forbid": "限制 禁止", "prohibit": "禁止 不得", "restrict": "限制",
    "appeal": "复审 上诉", "reject": "驳回", "refuse": "驳回", "joint": "共有 共同", "co-own": "共有",
    "confiscat": "没收", "criminal": "刑事 犯罪", "extend": "延长", "extension": "延长", "disclose": "公开 披露",
    "leak": "披露 泄露", "resign": "离职", "competitor": "经营者 竞争", "misleading": "虚假 引人误解", "false": "虚假",
    "domain": "域名", "resale": "售出 使用 销售", "inherit": "继承",
    "bad faith": "恶意 不正当手段", "packaging": "包装 装潢", "get-up": "包装 装潢", "burden of proof": "举证 证明",
    "trade fair": "展览会 首次展出", "exhibition": "展览会 首次展出", "sound": "声音", "three-dimensional": "三维标志",
    "shape": "形状", "famous": "驰名商标", "reward": "奖励", "remuneration": "报酬", "research": "科学研究 实验",
    "retailer": "销售", "sell": "销售", "sold": "销售", "without knowing": "不知道", "not knowing": "不知道",
    "collateral": "质押 出质", "recorded": "备案", "record": "备案", "foreign": "外国", "abroad": "外国 向外国申请",
    "security review": "保密审查", "confidentiality": "保密审查 保密", "valid": "有效期", "validity": "有效期",
    "backup": "备份", "modify": "修改", "study": "学习 研究", "reverse": "反向工程", "seed": "繁殖材料 自繁自用",
    "farmer": "农民 自繁自用", "commissioned": "委托", "notice": "通知", "takedown": "删除 屏蔽 断开链接",
    "taken down": "删除 屏蔽 断开链接", "restore": "恢复 终止所采取的措施", "liable": "连带责任 责任",
    "liability": "责任", "bond": "担保", "detain": "扣留", "layout design": "布图设计 集成电路", "design patent": "外观设计", "statutory damages": "赔偿 五百万元",
    "improve": "改进", "exclusive": "独占 排他", "prior use": "先用权 在先使用", "first to file": "先申请",
    "priority": "优先权", "grace period": "宽展期 宽限期", "examination": "审查", "invention": "发明",
    "utility model": "实用新型", "design": "外观设计", "author": "作者", "moral right": "署名权 修改权",
}


def english_question_terms(question: str) -> list[str]:
    """Chinese statute words for the everyday English words of a question (how long → 期限)."""
    lowered = question.lower()
    out: list[str] = []
    for phrase in sorted(_EN_QUESTION_TERMS, key=len, reverse=True):
        pattern = rf"\b{re.escape(phrase)}"
        if re.search(pattern, lowered):
            lowered = re.sub(pattern, " ", lowered)
            out.extend(t for t in _EN_QUESTION_TERMS[phrase].split() if t not in out)
    return out


_TOPIC_WORDS = {
    "patent": "专利 发明 实用新型 外观设计 patent invention utility",
    "trademark": "商标 品牌 logo 商品名称 trademark brand",
    "copyright": "著作权 版权 作品 盗版 转载 抄袭 copyright work author",
    "software": "软件 程序 源代码 app software",
    "competition": "商业秘密 不正当竞争 仿冒 包装 装潢 虚假宣传 诋毁 刷单 客户名单 配方 secret unfair packaging",
    "ecommerce": "网店 电商 电子商务 平台 淘宝 下架 链接 online platform marketplace e-commerce",
    "customs": "海关 出口 进口 扣货 customs export import",
    "pledge": "质押 贷款 融资 出质 pledge loan collateral",
    "contract": "技术合同 技术转让 技术开发 委托开发 合作开发 技术秘密 licence license",
    "plant": "植物新品种 品种 种子 plant variety seed",
    "ic": "集成电路 布图设计 芯片 layout integrated",
    "sme": "中小企业 小微 sme",
}
_TITLE_TOPICS = {"专利": "patent", "商标": "trademark", "著作权": "copyright", "软件": "software copyright",
                 "反不正当竞争": "competition", "电子商务": "ecommerce", "海关": "customs", "质权": "pledge",
                 "技术合同": "contract", "科技成果转化": "contract", "植物新品种": "plant", "集成电路": "ic", "中小企业": "sme",
                 "patent": "patent", "trademark": "trademark", "copyright": "copyright", "software": "software copyright",
                 "unfair competition": "competition", "e-commerce": "ecommerce", "customs": "customs", "pledge": "pledge"}


def question_topics(question: str) -> set[str]:
    """The IP fields a question is about (patent, trademark, copyright …), from its words."""
    lowered = question.lower()
    return {topic for topic, words in _TOPIC_WORDS.items()
            if any((re.search(rf"(?<![a-z]){re.escape(w)}(?:s|es)?(?![a-z])", lowered) if w.isascii() else w in lowered) for w in words.split())}


@functools.lru_cache(maxsize=256)
def title_topics(title: str) -> frozenset[str]:
    """The IP fields a document covers, from its title."""
    lowered = title.lower()
    return frozenset(t for key, topics in _TITLE_TOPICS.items() if key in lowered for t in topics.split())
