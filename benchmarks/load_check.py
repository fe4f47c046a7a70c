"""``ipbot bench load``: the HTTP API under load on loopback — concurrent users asking everyday questions through
POST /api/v1/ask for a fixed time while an editor uploads a PDF through the API, against one ``ipbot serve`` and against
several sharing one data dir and one app database (PostgreSQL, a throwaway cluster, with --postgres).

With --shared-registry the document registry is in PostgreSQL too, as on several hosts; --pdf-copies makes a synthetic long
upload (the PDF repeated). Prints, per setup: requests, error rate, p50 / p95 seconds, answers per second (all, and while the upload runs), peak
RSS per server process, the upload's seconds, and how long until the new document is listed by every replica.

    python benchmarks/load_check.py --data-dir var/facts --users 50 --seconds 120 --replicas 1 2 --postgres
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
IPBOT = Path(sys.executable).with_name("ipbot")

from conftest import free_port  # noqa: E402


def run(args: list[str], env: dict) -> str:
    done = subprocess.run([str(IPBOT), *args], env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        sys.exit(f"ipbot {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


@contextmanager
def server(data: Path, env: dict, log_dir: Path):
    port = free_port()
    log = open(log_dir / f"serve-{port}.log", "w")
    proc = subprocess.Popen([str(IPBOT), "serve", "--data-dir", str(data), "--host", "127.0.0.1", "--port", str(port), "--no-init"],
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.time() + 180
        while time.time() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
            if proc.poll() is not None:
                sys.exit(f"ipbot serve exited: see {log.name}")
        yield f"http://127.0.0.1:{port}", proc
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def rss_mb(pid: int) -> float:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    m = re.search(r"VmRSS:\s+(\d+) kB", text)
    return int(m.group(1)) / 1024 if m else 0.0


def questions() -> list[str]:
    out = []
    for name in ("zh_dev", "zh_dev2", "en_dev", "en_dev2"):
        path = ROOT / "benchmarks" / "facts" / f"{name}.jsonl"
        out += [json.loads(line)["query"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return out


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def long_pdf(pdf: Path, copies: int, work: Path) -> Path:
    """A synthetic long upload: ``pdf`` repeated ``copies`` times (pypdf), page after page."""
    from pypdf import PdfReader, PdfWriter

    writer, reader = PdfWriter(), PdfReader(pdf)
    for _ in range(copies):
        for page in reader.pages:
            writer.add_page(page)
    target = work / f"{pdf.stem}-x{copies}.pdf"
    with open(target, "wb") as out:
        writer.write(out)
    return target


def shared_registry(data: Path, database_url: str) -> None:
    """Copy the data dir's registry into the database (IPBOT_REGISTRY_URL), as replicas on several hosts would share it."""
    from knowledge.registry import Registry, registry_url

    source, target = Registry(registry_url(data)), Registry(database_url)
    source.copy_to(target)
    source.close()
    target.close()


def one_setup(source: Path, replicas: int, users: int, seconds: float, pdf: Path, database_url: str | None, work: Path,
              with_worker: bool = False, registry_in_database: bool = False, follow_upload_s: float = 900) -> dict:
    data = work / f"data-{replicas}{'w' if with_worker else ''}"
    shutil.copytree(source, data, ignore=shutil.ignore_patterns("app.sqlite3*", "tmp", "write.lock"))
    env = {**os.environ, "IPBOT_API_RATE_LIMIT": "0", "IPBOT_CHAT_RATE_LIMIT": "0"}
    env.pop("IPBOT_LLM_BASE_URL", None)
    if database_url:
        env["IPBOT_DATABASE_URL"] = database_url
    if database_url and registry_in_database:
        shared_registry(data, database_url)
        env["IPBOT_REGISTRY_URL"] = database_url
    if with_worker:
        env["IPBOT_INDEX_IN_WORKER"] = "1"
    public = re.search(r"^(ipb_\S+)$", run(["keys", "create", f"load{replicas}", "--role", "public", "--data-dir", str(data)], env), re.M).group(1)
    editor = re.search(r"^(ipb_\S+)$", run(["keys", "create", f"editor{replicas}", "--role", "editor", "--data-dir", str(data)], env), re.M).group(1)
    asked = questions()
    with ExitStack() as stack:
        servers = [stack.enter_context(server(data, env, work)) for _ in range(replicas)]
        urls = [u for u, _ in servers]
        if with_worker:
            log = stack.enter_context(open(work / f"worker-{replicas}.log", "w"))
            worker = subprocess.Popen([str(IPBOT), "worker", "--data-dir", str(data)], stdout=log, stderr=subprocess.STDOUT, env=env)
            stack.callback(lambda: (worker.terminate(), worker.wait(30)))
        for url in urls:  # one warm-up answer each, as a deployment would have had
            httpx.post(url + "/api/v1/ask", json={"question": "发明专利保护多少年？"}, headers={"Authorization": f"Bearer {public}"}, timeout=120)
        results: list[tuple[float, float, int]] = []
        upload: dict = {}
        peak = {proc.pid: 0.0 for _, proc in servers}
        stop = threading.Event()
        start = time.time()
        deadline = start + seconds

        def user(n: int) -> None:
            rng = random.Random(n)
            with httpx.Client(base_url=urls[n % len(urls)], headers={"Authorization": f"Bearer {public}"}, timeout=300) as c:
                while time.time() < deadline:
                    t = time.time()
                    try:
                        status = c.post("/api/v1/ask", json={"question": rng.choice(asked)}).status_code
                    except httpx.HTTPError:
                        status = 0
                    results.append((t - start, time.time() - t, status))

        def editor_upload() -> None:
            time.sleep(min(15.0, seconds / 4))
            upload["started"] = time.time() - start
            with httpx.Client(base_url=urls[0], headers={"Authorization": f"Bearer {editor}"}, timeout=seconds + follow_upload_s) as c:
                try:
                    response = c.post("/api/v1/documents", files={"file": (pdf.name, pdf.read_bytes(), "application/pdf")})
                except httpx.TimeoutException:
                    upload["status"] = "still indexing when the run ended"
                    return
            upload["seconds"] = round(time.time() - start - upload["started"], 1)
            upload["status"] = response.status_code
            upload["ended"] = time.time() - start
            if response.status_code == 202:  # queued for the worker: follow the job
                job = response.json()["job_id"]
                with httpx.Client(base_url=urls[0], headers={"Authorization": f"Bearer {editor}"}, timeout=60) as c:
                    while (state := c.get(f"/api/v1/jobs/{job}").json())["status"] in ("queued", "running"):
                        if time.time() > deadline + follow_upload_s:
                            progress = state.get("progress") or {}
                            upload["job"] = f"still {state['status']} when the run ended {progress}".strip()
                            upload["ended"] = time.time() - start
                            return
                        time.sleep(0.5)
                upload["seconds"] = round(time.time() - start - upload["started"], 1)
                upload["ended"] = time.time() - start
                upload["job"] = state["status"]
                response = httpx.Response(201 if state["status"] == "done" else 422, json=state.get("result") or {})
            doc_id = response.json().get("doc_id") if response.status_code == 201 else None
            upload["doc_id"] = doc_id
            if doc_id:
                t = time.time()
                while time.time() - t < 60:
                    if all(httpx.get(u + f"/api/v1/documents/{doc_id}", headers={"Authorization": f"Bearer {editor}"}, timeout=30).status_code == 200
                           for u in urls):
                        upload["listed_everywhere_after_s"] = round(time.time() - t, 2)
                        break
                    time.sleep(0.2)

        def sample() -> None:
            while not stop.is_set():
                for _, proc in servers:
                    peak[proc.pid] = max(peak[proc.pid], rss_mb(proc.pid))
                stop.wait(2)

        threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
        threads += [threading.Thread(target=editor_upload), threading.Thread(target=sample)]
        for t in threads:
            t.start()
        for t in threads[:-1]:
            t.join()
        stop.set()
        threads[-1].join()
    latencies = [lat for _, lat, status in results if status == 200]
    window_end = min(upload.get("ended", seconds), seconds)  # the users stop at the deadline; the upload may go on
    during = [lat for t, lat, status in results if status == 200 and upload.get("started", 1e9) <= t <= window_end]
    span = window_end - upload.get("started", 0)
    return {
        "replicas": replicas, "worker": with_worker, "users": users, "seconds": seconds, "requests": len(results),
        "errors": sum(1 for _, _, s in results if s != 200), "error_rate": round(sum(1 for _, _, s in results if s != 200) / max(1, len(results)), 4),
        "p50_s": round(percentile(latencies, 0.5), 2), "p95_s": round(percentile(latencies, 0.95), 2),
        "answers_per_s": round(len(latencies) / seconds, 2),
        "during_upload": {"answers": len(during), "answers_per_s": round(len(during) / span, 2) if span > 0 else None,
                          "p95_s": round(percentile(during, 0.95), 2)},
        "peak_rss_mb": [round(v) for v in peak.values()], "upload": upload,
        "mean_answer_s": round(statistics.mean(latencies), 2) if latencies else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var" / "facts", help="A built knowledge base (copied, never changed).")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--replicas", nargs="+", default=["1", "2", "2w"], help="Setups: a number of replicas, 'w' for a worker too.")
    parser.add_argument("--pdf", type=Path, default=ROOT.parent / "shared" / "pdf" / "lawyer-llama-technical-report-2023.pdf")
    parser.add_argument("--postgres", action="store_true", help="Share the app database through a throwaway PostgreSQL cluster.")
    parser.add_argument("--shared-registry", action="store_true", help="With --postgres: the document registry in PostgreSQL too (IPBOT_REGISTRY_URL), as on several hosts.")
    parser.add_argument("--pdf-copies", type=int, default=1, help="Upload the PDF repeated this many times (a synthetic long document).")
    parser.add_argument("--follow-upload-s", type=float, default=900, help="How long after the users stop to wait for the upload to finish.")
    parser.add_argument("--report", type=Path, default=ROOT / "benchmarks" / "out" / "load.json")
    args = parser.parse_args()
    if not (args.data_dir / "registry.sqlite3").exists():
        sys.exit(f"no knowledge base in {args.data_dir}: build one first (ipbot eval answers --facts … builds var/facts)")
    if not args.pdf.exists():
        sys.exit(f"no PDF to upload at {args.pdf}")
    report = []
    with tempfile.TemporaryDirectory(prefix="ipbot-load-") as tmp, ExitStack() as stack:
        base = None
        if args.postgres:
            from postgres import create_database, postgres_cluster

            base = stack.enter_context(postgres_cluster())
        pdf = long_pdf(args.pdf, args.pdf_copies, Path(tmp)) if args.pdf_copies > 1 else args.pdf
        for setup in args.replicas:
            n, with_worker = int(setup.rstrip("w")), setup.endswith("w")
            url = create_database(base, f"load{setup}") if base else None
            figures = one_setup(args.data_dir, n, args.users, args.seconds, pdf, url, Path(tmp), with_worker, args.shared_registry,
                                args.follow_upload_s)
            report.append(figures)
            print(f"{n} replica(s){' + worker' if with_worker else ''}, {args.users} users, {args.seconds:.0f} s: {figures['requests']} requests, error rate "
                  f"{figures['error_rate']:.4f}, p50 {figures['p50_s']} s, p95 {figures['p95_s']} s, {figures['answers_per_s']} answers/s; "
                  f"during the upload {figures['during_upload']['answers_per_s']} answers/s (p95 {figures['during_upload']['p95_s']} s); "
                  f"upload {figures['upload'].get('seconds')} s (HTTP {figures['upload'].get('status')}), listed by every replica after "
                  f"{figures['upload'].get('listed_everywhere_after_s')} s; peak RSS {figures['peak_rss_mb']} MB", flush=True)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"report written to {args.report}")


if __name__ == "__main__":
    main()
