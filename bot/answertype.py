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
