# Two commands: `make run` (set up and serve) and `make test` (set up and test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA_DIR ?= var
CORPUS ?= ../shared/corpus

.PHONY: run test install browser postgres bench lock clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/ipbot serve --data-dir $(DATA_DIR)

# Debian's chromium for the browser tests (Playwright never downloads a browser here), and axe-core's axe.min.js
# (the npm package, pinned by version and checksum; npm pack, or the registry tarball without npm) for the accessibility checks.
AXE_VERSION := 4.14.1
AXE_SHA256 := 29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c
AXE := $(VENV)/axe-core-$(AXE_VERSION)/axe.min.js
AXE_URL := https://registry.npmjs.org/axe-core/-/axe-core-$(AXE_VERSION).tgz  # fetched directly where npm is not installed

browser: $(AXE)
	@{ test -x /usr/bin/chromium && fc-list :lang=zh 2>/dev/null | grep -q . ; } || \
	  { (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk) || \
	    echo "warning: could not install chromium; browser tests will be skipped"; }

$(AXE):
	@mkdir -p $(dir $(AXE)) && cd $(dir $(AXE)) && \
	  { { command -v npm >/dev/null && npm pack axe-core@$(AXE_VERSION) --silent >/dev/null; } || \
	    $(PYTHON) -c "import urllib.request as u; u.urlretrieve('$(AXE_URL)', 'axe-core-$(AXE_VERSION).tgz')"; } && \
	  tar -xzf axe-core-$(AXE_VERSION).tgz --strip-components=1 package/axe.min.js && rm -f axe-core-$(AXE_VERSION).tgz && \
	  echo "$(AXE_SHA256)  axe.min.js" | sha256sum -c --quiet - || \
	  { rm -f axe.min.js axe-core-$(AXE_VERSION).tgz; \
	    echo "warning: could not fetch axe-core $(AXE_VERSION); accessibility checks fail under CI=1 and are skipped otherwise"; }

# Debian's PostgreSQL server programs for the app-database tests (each test run starts a throwaway cluster of its own).
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  { (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) || \
	    echo "warning: could not install postgresql; the PostgreSQL tests fail under CI=1 and are skipped otherwise"; }

test: install browser postgres
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/ipbot bench structure --corpus $(CORPUS)
	$(BIN)/ipbot bench pdf
	$(BIN)/ipbot bench ocr --corpus $(CORPUS)
	$(BIN)/ipbot bench refs --corpus $(CORPUS)
	$(BIN)/ipbot bench starter
	$(BIN)/ipbot bench ingest --corpus $(CORPUS)
	$(BIN)/ipbot bench query --corpus $(CORPUS)
	$(BIN)/ipbot eval retrieval --corpus $(CORPUS) --qa ../shared/eval/dev_retrieval.jsonl \
	  --qa benchmarks/qa_lookup.jsonl --qa benchmarks/qa_plain_zh.jsonl --qa benchmarks/qa_english.jsonl --qa benchmarks/qa_mixed_topics.jsonl
	$(BIN)/ipbot eval retrieval --corpus $(CORPUS) --report benchmarks/out/heldout.json --qa benchmarks/heldout/plain_zh.jsonl \
	  --qa benchmarks/heldout/english.jsonl --qa benchmarks/heldout/mixed.jsonl --qa benchmarks/heldout/final_plain_zh.jsonl --qa benchmarks/heldout/final_english.jsonl \
	  --qa benchmarks/heldout/long_cases.jsonl
	$(BIN)/ipbot eval answers --corpus $(CORPUS) --qa ../shared/eval/dev_retrieval.jsonl
	$(BIN)/ipbot eval answers --corpus $(CORPUS) --qa ../shared/eval/dev_retrieval.jsonl --out-of-scope benchmarks/out_of_scope_hard.jsonl \
	  --report benchmarks/out/answers_hard.json

lock:
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^ipbot' > requirements.lock

clean:
	rm -rf $(VENV) $(DATA_DIR) .pytest_cache
