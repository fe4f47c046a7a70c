"""The HTTP API, the OpenAI-compatible facade and the embeddable chat (issue 18), over real HTTP against a running
``ipbot serve``, with keys made by ``ipbot keys``; the facade is driven by the ``openai`` SDK, the whole API by
schemathesis against its own OpenAPI document."""
from __future__ import annotations

import json
import re
import sqlite3

import httpx
import hypothesis
import openai
import pytest
import schemathesis

from browser import serving
from conftest import FAKE_LAW, GUIDE, run_cli

pytestmark = pytest.mark.slow
ORIGIN = "https://centre.example"


def make_key(data, name: str, role: str) -> str:
    made = run_cli("keys", "create", name, "--role", role, "--data-dir", str(data))
    assert made.returncode == 0, made.stderr
    return re.search(r"^(ipb_\S+)$", made.stdout, re.M).group(1)


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    root = tmp_path_factory.mktemp("api")
    docs = root / "docs"
    docs.mkdir()
    (docs / "example-law.md").write_text(FAKE_LAW, encoding="utf-8")
    (docs / "windmill-guide.md").write_text(GUIDE, encoding="utf-8")
    data = root / "var"
    assert run_cli("ingest", str(docs), "--data-dir", str(data)).returncode == 0
    keys = {role: make_key(data, f"{role}-system", role) for role in ("public", "staff", "editor")}
    keys["other"] = make_key(data, "other-site", "public")
    keys["limited"] = make_key(data, "busy-bot", "public")
    keys["revoked"] = make_key(data, "old-bot", "public")
    assert run_cli("keys", "revoke", "old-bot", "--data-dir", str(data)).returncode == 0
    env = {"IPBOT_API_RATE_LIMIT": "1000", "IPBOT_EMBED_ORIGINS": ORIGIN, "IPBOT_CHAT_RATE_LIMIT": "0"}
    with serving(data, env) as (url, _):
        yield {"url": url, "data": data, "keys": keys, "root": root}


def client(api, key: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=api["url"], headers=headers, timeout=120)


def is_problem(response: httpx.Response, status: int, code: str) -> bool:
    body = response.json()
    return (response.status_code == status and response.headers["content-type"].startswith("application/problem+json")
            and body["code"] == code and body["status"] == status and body["detail"] and body["type"].endswith(code))


def test_ask_answers_with_checked_citations_and_follows_the_conversation(api):
    with client(api, api["keys"]["public"]) as c:
        first = c.post("/api/v1/ask", json={"question": "示例权的期限是多久？"}).json()
        assert not first["abstained"] and "十二年" in first["body"] and first["citations"]
        assert all("/" not in cite["file"] and cite["file"] for cite in first["citations"]), "no server path is shown"
        assert any(cite["article_label"] == "第三条" for cite in first["citations"])
        followed = c.post("/api/v1/ask", json={"question": "那年费呢？", "history": ["示例权的期限是多久？"]}).json()
        assert "三百元" in followed["body"]
        english = c.post("/api/v1/ask", json={"question": "How long does the example right last?", "language": "en"}).json()
        assert english["language"] == "en"
        outside = c.post("/api/v1/ask", json={"question": "明天上海会下雨吗？"}).json()
        assert outside["abstained"] and not outside["citations"]


def test_ask_streams_deltas_then_the_answer(api):
    with client(api, api["keys"]["staff"]) as c:
        with c.stream("POST", "/api/v1/ask", json={"question": "小型企业年费可以减缴多少？", "stream": True}) as r:
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
            events = [(block.split("\n")[0][7:], json.loads(block.split("\n")[1][6:]))
                      for block in r.read().decode().strip().split("\n\n")]
    assert events[-1][0] == "answer" and "百分之八十五" in events[-1][1]["body"] and events[-1][1]["exchange_id"] > 0
    assert {name for name, _ in events[:-1]} <= {"delta"}


def test_keys_roles_limits_and_errors_are_problem_details(api):
    keys = api["keys"]
    with client(api) as c:
        assert is_problem(c.post("/api/v1/ask", json={"question": "年费多少？"}), 401, "missing_key")
    for bad in ("ipb_nothere1_" + "x" * 43, keys["public"][:-1] + ("A" if keys["public"][-1] != "A" else "B"), keys["revoked"], "Bearer"):
        with client(api, bad) as c:
            assert is_problem(c.get("/api/v1/documents"), 401, "bad_key"), bad
    with client(api, keys["public"]) as c:
        assert is_problem(c.post("/api/v1/documents", files={"file": ("x.md", b"# x\n")}), 403, "forbidden")
        assert is_problem(c.post("/api/v1/ask", json={"question": "年费多少？", "unknown": 1}), 422, "invalid_request")
        assert is_problem(c.post("/api/v1/ask", content=b"{not json", headers={"content-type": "application/json"}), 422, "invalid_request")
        assert is_problem(c.post("/api/v1/ask", json={"question": "年" * 3000}), 413, "too_long")
        assert is_problem(c.post("/api/v1/ask", json={"question": "   "}), 422, "invalid_question")
        assert is_problem(c.post("/api/v1/ask", json={"question": "(?"}), 422, "invalid_question")
        assert is_problem(c.post("/api/v1/search", json={"query": "("}), 422, "invalid_question"), "found by schemathesis: was a 500"
        assert is_problem(c.get("/api/v1/documents/no-such-doc"), 404, "not_found")
        assert is_problem(c.get("/api/v1/documents/..%2F..%2Fetc"), 404, "not_found") or c.get("/api/v1/documents/..%2F..%2Fetc").status_code == 422
        assert is_problem(c.post("/api/v1/ask", content=b"x" * 300_000, headers={"content-type": "application/json"}), 413, "too_large")
        assert is_problem(c.get("/api/v1/nothing"), 404, "not_found")
    with client(api, keys["limited"]) as c:
        statuses = [c.get("/v1/models").status_code for _ in range(3)]
        assert statuses == [200, 200, 200]


def test_search_and_documents_for_public_and_editor_keys(api):
    keys = api["keys"]
    with client(api, keys["public"]) as c:
        hits = c.post("/api/v1/search", json={"query": "示例权年费", "k": 3}).json()["results"]
        assert [h["rank"] for h in hits] == [1, 2, 3] and any("三百元" in h["text"] for h in hits)
        listed = {d["doc_id"]: d for d in c.get("/api/v1/documents").json()}
        assert "example-law" in listed and "/" not in listed["example-law"]["file"]
        chunks = c.get("/api/v1/documents/example-law/chunks").json()
        assert [x["ordinal"] for x in chunks] == sorted(x["ordinal"] for x in chunks) and any(x["article_label"] == "第四条" for x in chunks)
    new_guide = "# 紫色水车示例办理须知\n\n> 类型：指南 | 适用范围：全国 | 状态：现行\n\n紫色水车示例权的登记费为每件九十九元。\n"
    with client(api, keys["editor"]) as editor, client(api, keys["public"]) as public:
        made = editor.post("/api/v1/documents", files={"file": ("purple-guide.md", new_guide.encode())}, data={"jurisdiction": "上海市"})
        assert made.status_code == 201, made.text
        doc_id = made.json()["doc_id"]
        assert made.json()["status"] == "indexed" and made.json()["chunks"] >= 1
        assert editor.get(f"/api/v1/documents/{doc_id}").json()["status"] == "draft"
        assert is_problem(public.get(f"/api/v1/documents/{doc_id}"), 404, "not_found"), "a draft is not public"
        assert "九十九" not in public.post("/api/v1/ask", json={"question": "紫色水车示例权登记费多少？"}).json()["body"]
        assert editor.post(f"/api/v1/documents/{doc_id}/publish").json()["status"] == "in_force"
        assert "九十九" in public.post("/api/v1/ask", json={"question": "紫色水车示例权登记费多少？"}).json()["body"]
        failed = editor.post("/api/v1/documents", files={"file": ("evil.exe", b"MZ\x90\x00")})
        assert is_problem(failed, 422, "invalid_request") or is_problem(failed, 422, "failed")
        assert editor.post(f"/api/v1/documents/{doc_id}/retire").json()["status"] == "repealed"
        assert editor.delete(f"/api/v1/documents/{doc_id}").json()["status"] == "deleted"
        assert is_problem(editor.get(f"/api/v1/documents/{doc_id}"), 404, "not_found")
    audit = sqlite3.connect(api["data"] / "app.sqlite3").execute("SELECT actor, action, target FROM audit WHERE actor LIKE 'key:%'").fetchall()
    assert {a for _, a, t in audit if t == doc_id} >= {"document.upload", "document.publish", "document.retire", "document.delete"}
    assert {actor for actor, _, _ in audit} == {"key:editor-system"}


def test_feedback_only_on_answers_the_key_asked_for(api):
    with client(api, api["keys"]["public"]) as mine, client(api, api["keys"]["other"]) as other:
        exchange = mine.post("/api/v1/ask", json={"question": "示例权的期限是多久？"}).json()["exchange_id"]
        assert mine.post("/api/v1/feedback", json={"exchange_id": exchange, "rating": -1, "comment": "太简略"}).json() == {"ok": True}
        assert is_problem(other.post("/api/v1/feedback", json={"exchange_id": exchange, "rating": 1}), 404, "not_found")
        assert is_problem(mine.post("/api/v1/feedback", json={"exchange_id": exchange, "rating": 5}), 422, "invalid_request")
    row = sqlite3.connect(api["data"] / "app.sqlite3").execute("SELECT rating, comment FROM feedback WHERE exchange_id=?", (exchange,)).fetchone()
    assert row == (-1, "太简略")


def test_the_openai_sdk_connects_with_no_code(api):
    sdk = openai.OpenAI(base_url=api["url"] + "/v1", api_key=api["keys"]["public"], max_retries=0)
    assert [m.id for m in sdk.models.list()] == ["ipbot"]
    messages = [{"role": "system", "content": "You are helpful."}, {"role": "user", "content": "示例权的期限是多久？"},
                {"role": "assistant", "content": "十二年。"}, {"role": "user", "content": "那年费呢？"}]
    done = sdk.chat.completions.create(model="ipbot", messages=messages)
    text = done.choices[0].message.content
    assert "三百元" in text and re.search(r"\[\d\]", text) and done.model_extra["citations"]
    streamed = sdk.chat.completions.create(model="ipbot", messages=messages, stream=True)
    pieces, last = [], None
    for chunk in streamed:
        pieces.append(chunk.choices[0].delta.content or "")
        last = chunk
    assert "".join(pieces) == text and last.choices[0].finish_reason == "stop" and last.model_extra["citations"]
    with pytest.raises(openai.NotFoundError):
        sdk.chat.completions.create(model="gpt-4o", messages=messages)
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=api["url"] + "/v1", api_key="sk-wrong", max_retries=0).models.list()
    with pytest.raises(openai.UnprocessableEntityError):
        sdk.chat.completions.create(model="ipbot", messages=[{"role": "system", "content": "only a system message"}])


def test_the_embed_page_is_framed_only_by_configured_sites(api):
    with client(api) as c:
        page = c.get("/embed")
        assert page.status_code == 200 and "/api/v1/ask" in page.text
        policy = page.headers["content-security-policy"]
        assert f"frame-ancestors 'self' {ORIGIN}" in policy and "connect-src 'self'" in policy
        assert "data-key" in c.get("/embed.js").text
        preflight = c.options("/api/v1/ask", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
        assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == ORIGIN
        assert c.options("/api/v1/ask", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}).status_code == 403
    with client(api, api["keys"]["public"]) as c:
        allowed = c.post("/api/v1/ask", json={"question": "年费多少？"}, headers={"Origin": ORIGIN})
        assert allowed.headers["access-control-allow-origin"] == ORIGIN
        elsewhere = c.post("/api/v1/ask", json={"question": "年费多少？"}, headers={"Origin": "https://evil.example"})
        assert elsewhere.status_code == 200 and "access-control-allow-origin" not in elsewhere.headers
        cookie_only = httpx.post(api["url"] + "/api/v1/ask", json={"question": "年费多少？"}, cookies={"ipbot_session": "x"})
        assert cookie_only.status_code == 401, "a cookie is never a key"


def test_the_reference_page_and_the_spec_are_served(api):
    with client(api) as c:
        spec = c.get("/api/openapi.json").json()
        assert {"/api/v1/ask", "/api/v1/search", "/api/v1/documents", "/api/v1/documents/{doc_id}", "/api/v1/documents/{doc_id}/chunks",
                "/api/v1/feedback", "/v1/chat/completions", "/v1/models"} <= set(spec["paths"])
        assert not [p for p in spec["paths"] if not p.startswith(("/api/", "/v1/"))]
        page = c.get("/api/docs").text
        assert "/api/v1/ask" in page and "<script" not in page


def test_a_rate_limit_per_key(tmp_path):
    data = tmp_path / "var"
    assert run_cli("kb", "init", "--data-dir", str(data)).returncode == 0
    key, other = make_key(data, "bot", "public"), make_key(data, "bot2", "public")
    with serving(data, {"IPBOT_API_RATE_LIMIT": "3"}) as (url, _):
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}) as c:
            statuses = [c.get("/v1/models").status_code for _ in range(4)]
            refused = c.get("/api/v1/documents")
        assert statuses == [200, 200, 200, 429] and is_problem(refused, 429, "rate_limited") and int(refused.headers["retry-after"]) >= 1
        assert httpx.get(url + "/v1/models", headers={"Authorization": f"Bearer {other}"}).status_code == 200, "the limit is per key"


def test_schemathesis_finds_no_server_error_and_every_response_matches_the_spec(api):
    from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance, status_code_conformance

    schema = schemathesis.openapi.from_url(api["url"] + "/api/openapi.json")
    headers = {"Authorization": f"Bearer {api['keys']['public']}"}
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    failures, calls = [], []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10

    for operation in operations:
        @hypothesis.settings(max_examples=8, deadline=None, suppress_health_check=list(hypothesis.HealthCheck), database=None,
                             phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate])
        @hypothesis.given(case=operation.as_strategy())
        def run(case):
            response = case.call(headers=headers, timeout=60)
            calls.append(response.status_code)
            try:
                case.validate_response(response, checks=checks)
            except Exception as exc:  # collected, so that one report names every operation that failed
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {str(exc)[:400]}")

        run()
    assert len(calls) >= 40 and not failures, "\n".join(failures[:8])
