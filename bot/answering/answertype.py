"""What kind of answer a question asks for (a duration, an amount, an owner, an office, a procedure,
a liability, a remedy, evidence, a permission) and whether a passage holds that kind of answer."""
from __future__ import annotations

import re

_NUM = r"(?:\d+|[一二两三四五六七八九十百]+)"
_EN_NUM = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|eighteen|twenty|thirty)"
# kind: (question pattern, passage pattern); zh and en question phrasings in one pattern
ANSWER_TYPES: dict[str, tuple[re.Pattern, re.Pattern]] = {
    "duration": (re.compile(r"多久|多少年|几年|多长时间|期限|有效期|多少天|几天|几个月|来得及|时效|过期|到期|截止|"
                            r"how long|how many (?:years|days|months)|deadline|time limit|expire|within|period", re.I),
                 re.compile(rf"{_NUM}\s*(?:年|日|个月|天|周)|期限|期间|届满|时效|有效期|"
                            rf"\b(?:\d+|{_EN_NUM})[ -](?:years?|months?|days?|weeks?)\b|time limit|deadline|\bexpir", re.I)),
    "amount": (re.compile(r"多少钱|费用|赔多少|赔偿多少|罚款|罚多少|数额|金额|收费|how much|fee|cost|damages|fine|amount", re.I),
               re.compile(rf"{_NUM}\s*(?:万)?元|费用|数额|罚款|倍以上|倍以下|\byuan\b|\bRMB\b|\bfees?\b|\bdamages\b|\bfines?\b|\d+\s*%", re.I)),
    "owner": (re.compile(r"归谁|属于谁|算谁|归属|谁的|归公司|归个人|who owns|belong|ownership|owner", re.I),
              re.compile(r"属于|归|享有|所有|权利人|\bbelongs? to\b|\bowns?\b|\bowner|\bvests?\b", re.I)),
    "office": (re.compile(r"哪里|哪个部门|找谁|向谁|到哪|哪儿|去哪|where|which (?:office|authority|department|court)", re.I),
               re.compile(r"部门|局|机关|人民法院|海关|登记|备案|主管|\boffice\b|CNIPA|\bcourts?\b|\bcustoms\b|\bauthorit|\bregist", re.I)),
    "procedure": (re.compile(r"怎么办|手续|流程|步骤|怎么申请|如何申请|怎么登记|怎么签|需要什么材料|"
                             r"how (?:do|to|can|should) (?:i|we|you)? ?(?:apply|register|file|record)|procedure|steps", re.I),
                  re.compile(r"申请|提交|提出|请求书|材料|手续|办理|\bappl(?:y|ication)\b|\bfil(?:e|ing)\b|\bsubmit|\brequest\b", re.I)),
    "liability": (re.compile(r"要赔|赔钱|承担|责任|处罚|后果|会怎样|会怎么样|担责|罚|liable|liability|penalt|consequence|punish", re.I),
                  re.compile(r"责任|赔偿|罚款|处罚|没收|停止侵害|\bliab|\bdamages\b|\bfines?\b|\bpenalt|\bconfiscat|\bcompensat", re.I)),
    "remedy": (re.compile(r"怎么办|能做什么|做点什么|怎么维权|如何维权|怎么处理|停下来|叫停|制止|拿回|讨回|"
                          r"what can (?:i|we) do|how (?:can|do) (?:i|we) (?:stop|respond)|remed", re.I),
               re.compile(r"可以(?:向人民法院)?(?:起诉|请求|申请|提起)|请求.{0,12}(?:处理|调解|停止)|停止侵害|责令|诉讼|"
                          r"\bmay (?:request|apply|sue|file)\b|\bcourt\b", re.I)),
    "evidence": (re.compile(r"当证据|做证据|作证据|取证|留证|evidence", re.I),
                 re.compile(r"证据|证明|公证|举证|\bevidence\b|\bprove\b", re.I)),
    "permission": (re.compile(r"能不能|可以吗|能否|是否可以|合法吗|违法吗|算侵权吗|侵权吗|可不可以|能先|还能|"
                              r"can (?:i|we)|may (?:i|we)|allowed|legal|infringe", re.I),
                   re.compile(r"不视为|不构成|可以|不得|应当|视为|属于|\bmay\b|\bmust\b|\bcannot\b|\bshall\b|\bnot an infringement\b", re.I)),
}


def asked_types(question: str) -> set[str]:
    """The kinds of answer the question asks for."""
    return {kind for kind, (asks, _) in ANSWER_TYPES.items() if asks.search(question)}


def type_match(asked: set[str], passage: str) -> float:
    """Share of the asked kinds that the passage can answer (0 when the question asks none)."""
    if not asked:
        return 0.0
    return sum(1 for kind in asked if ANSWER_TYPES[kind][1].search(passage)) / len(asked)


_TIME = r"(?:\d+|[一二两三四五六七八九十百]+)\s*(?:个工作日|工作日|个月|年|日|天|周)"
_EN_TIME = rf"\b(?:\d+|{_EN_NUM})[ -](?:years?|months?|days?|weeks?|working days?)\b"
# (kind, what the question says when it asks for it, what a sentence says when it states it), most specific first
ASKED_FIRST: list[tuple[str, re.Pattern, re.Pattern]] = [
    ("amount", re.compile(r"多少钱|多少费用|费用是多少|交多少|赔多少|罚多少|能赔|赔偿.{0,4}多少|多少.{0,3}(?:赔偿|罚款|费)|减多少|减免多少|"
                          r"几倍|多少倍|比例|百分之几|收费标准|how much|what (?:fee|fine)|how many times", re.I),
     re.compile(r"(?:\d+(?:\.\d+)?|[一二两三四五六七八九十百千万]+)\s*(?:万元|元|倍)|\d+\s*%|百分之|\byuan\b|\bRMB\b|\d+\s*per ?cent|"
                r"\b(?:one|two|three|four|five|ten)\s+times\b", re.I)),
    ("deadline", re.compile(r"什么时候|何时|最晚|最迟|多久之内|多久内|几天内|多长时间内|期限内|截止|来得及|之前要|前要|提前多久|"
                            r"\bwhen\b|by when|deadline|how soon|time limit|within how", re.I),
     re.compile(rf"{_TIME}|届满前|期满前|之日起|以前|之前|\d+\s*日内|{_EN_TIME}|\bbefore\b|\bwithin\b", re.I)),
    ("duration", re.compile(r"多久|多少年|几年|多长时间|多长|有效期|保护期|期限|管多少年|how long|how many (?:years|months|days)|term|valid for|last", re.I),
     re.compile(rf"{_TIME}|永久|不受限制|{_EN_TIME}|indefinite|unlimited", re.I)),
    ("owner", re.compile(r"归谁|属于谁|算谁|归属|谁的|归公司|归个人|谁享有|谁是.{0,4}权利人|who owns|belongs? to|owner", re.I),
     re.compile(r"属于|归|享有|为.{0,6}(?:权利人|著作权人|专利权人)|\bbelongs? to\b|\bowns?\b|\bowner\b|\bvests?\b", re.I)),
    ("office", re.compile(r"哪里|哪个部门|找谁|向谁|到哪|哪儿|去哪|哪家|where|which (?:office|authority|department|court)", re.I),
     re.compile(r"国务院.{0,6}部门|知识产权局|行政部门|人民法院|海关|管理部门|工作的部门|主管部门|监督管理|仲裁|\boffice\b|CNIPA|\bcourts?\b|\bcustoms\b|\bauthorit", re.I)),
    ("conditions", re.compile(r"条件|要求|什么情况下|哪些情形|符合什么|需要满足|具备什么|which cases|what conditions|requirements?", re.I),
     re.compile(r"应当具备|具备|符合|下列|条件|情形之一|\bmust\b|\bshall\b|\bif\b|conditions?", re.I)),
    ("definition", re.compile(r"什么是|是什么|指什么|什么叫|何为|啥是|是啥|what is an?\b|what are|what does .* mean|define", re.I),
     re.compile(r"是指|所称|指的是|称为|\bmeans\b|\brefers to\b|\bis an?\b", re.I)),
    ("procedure", re.compile(r"怎么办|手续|流程|步骤|怎么申请|如何申请|怎么登记|怎么续|怎么办理|如何办理|怎么弄|怎么做|需要什么材料|要准备|"
                             r"how (?:do|to|can|should) (?:i|we|you)? ?(?:apply|register|file|record|renew)|procedure|steps", re.I),
     re.compile(r"申请|提交|提出|请求|办理|登记|备案|续展|\bappl(?:y|ication)\b|\bfil(?:e|ing)\b|\bsubmit|\brequest\b|\brenew", re.I)),
    ("yesno", re.compile(r"能不能|可以吗|可不可以|能否|是否|行不行|算不算|合法吗|违法吗|侵权吗|吗[？?。]?$|有没有|要不要|需不需要|"
                         r"^(?:can|may|is|are|do|does|must|should|will)\b", re.I),
     re.compile(r"不视为|不构成|可以|不得|视为|无需|不需要|必须|有权|禁止|不能|不包括|不计入|不承担|不适用|除外|"
                r"\bmay\b|\bmust\b|\bcannot\b|\bnot\b|\bexcept\b", re.I)),
]
FIGURE_KINDS = frozenset({"amount", "deadline", "duration"})


def asked_kind(question: str) -> str | None:
    """The one kind of fact a question asks for first (duration, amount, deadline, owner, office, conditions, definition,
    procedure, yes/no), or None."""
    return next((kind for kind, asks, _ in ASKED_FIRST if asks.search(question)), None)


def states_kind(kind: str | None, sentence: str) -> bool:
    """Whether a sentence states the asked kind of fact (for duration, amount and deadline: with its figure)."""
    if kind is None:
        return False
    return bool(next(states for k, _, states in ASKED_FIRST if k == kind).search(sentence))
