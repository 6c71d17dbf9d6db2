// Turns the suite's checks into one row per (revision, scenario) with the classification of
// scenarios.json applied, and renders the rows as a console table or Markdown.

const MESSAGE_LIMIT = 400;

/**
 * @typedef {{ id: string, name?: string, status: string, errorMessage?: string }} Check
 * @typedef {{ id: string, name: string, status: string, message: string, excused?: string }} Finding
 * @typedef {{
 *   revision: string, scenario: string, suite: string, applicable: boolean | undefined,
 *   why: string, passed: number, failed: number, warnings: number, status: string, noResult?: string,
 *   findings: Finding[]
 * }} Row
 */

function oneLine(text, limit = MESSAGE_LIMIT) {
  const flat = String(text ?? "")
    .replace(/\s+/g, " ")
    .trim();
  return flat.length > limit ? `${flat.slice(0, limit - 1)}…` : flat;
}

/**
 * @param {{ revision: string, scenario: string, suite: string, checks: Check[] | undefined, noResult?: string }} run
 * @param {{ checks: Record<string, string>, scenarios: Record<string, any> }} classification
 * @returns {Row}
 */
export function classify(run, classification) {
  const entry = classification.scenarios[run.scenario];
  const checks = run.checks ?? [];
  const count = (status) => checks.filter((c) => c.status === status).length;
  const excusedChecks = { ...classification.checks, ...(entry?.notApplicableChecks ?? {}) };
  const findings = checks
    .filter((c) => c.status === "FAILURE" || c.status === "WARNING")
    .map((c) => ({
      id: c.id,
      name: c.name ?? c.id,
      status: c.status,
      message: oneLine(c.errorMessage),
      excused: entry?.applicable === false ? entry.reason : excusedChecks[c.id],
    }));
  let status;
  if (!entry) status = "UNCLASSIFIED";
  else if (!entry.applicable) status = "n/a";
  else if (run.checks === undefined) status = "NO RESULT";
  else if (findings.some((f) => f.status === "FAILURE" && !f.excused)) status = "FAIL";
  else status = "PASS";
  return {
    revision: run.revision,
    scenario: run.scenario,
    suite: run.suite,
    applicable: entry?.applicable,
    why: entry
      ? entry.applicable
        ? (entry.note ?? "")
        : entry.reason
      : "not in scenarios.json: classify it (applicable, or not with a reason)",
    passed: count("SUCCESS"),
    failed: count("FAILURE"),
    warnings: count("WARNING"),
    status,
    noResult: run.noResult,
    findings,
  };
}

/** Rows that fail the run: applicable scenarios that failed or produced nothing, and unclassified ones. */
export function failingRows(rows) {
  return rows.filter((r) => r.status === "FAIL" || r.status === "NO RESULT" || r.status === "UNCLASSIFIED");
}

function applicableLabel(row) {
  if (row.applicable === undefined) return "?";
  return row.applicable ? "yes" : "no";
}

function columns(row) {
  return [
    row.revision,
    row.scenario,
    applicableLabel(row),
    row.suite,
    `${row.passed}/${row.failed}/${row.warnings}`,
    row.status,
  ];
}

const HEADER = ["revision", "scenario", "applicable", "suite", "pass/fail/warn", "status"];

/** The console table, then the findings of every applicable scenario. */
export function renderText(rows) {
  const table = [HEADER, ...rows.map(columns)];
  const widths = HEADER.map((_, i) => Math.max(...table.map((cells) => cells[i].length)));
  const line = (cells) => cells.map((cell, i) => cell.padEnd(widths[i])).join("  ");
  const out = [
    line(HEADER),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...rows.map((r) => line(columns(r))),
  ];

  const detailed = rows.filter(
    (r) => r.applicable !== false && (r.findings.length > 0 || r.status !== "PASS"),
  );
  if (detailed.length > 0)
    out.push("", "Findings in applicable scenarios (FAILURE counts unless marked n/a):");
  for (const row of detailed) {
    out.push(`  ${row.revision} ${row.scenario}: ${row.status}`);
    if (row.status === "UNCLASSIFIED") out.push(`    ${row.why}`);
    if (row.status === "NO RESULT")
      out.push(`    ${row.noResult ?? "the suite wrote no checks.json for it"}`);
    for (const f of row.findings) {
      const mark = f.status === "FAILURE" ? (f.excused ? "n/a " : "FAIL") : "warn";
      out.push(`    ${mark} ${f.id}: ${f.message || "(no message)"}`);
      if (f.excused && f.status === "FAILURE") out.push(`         (not applicable: ${f.excused})`);
    }
  }
  return `${out.join("\n")}\n`;
}

function md(text) {
  return String(text).replaceAll("|", "\\|").replaceAll("\n", " ");
}

/** The same as Markdown: the table, the reasons of the not-applicable scenarios, the findings. */
export function renderMarkdown(rows, meta) {
  const out = [
    `Conformance: ${meta.suite} against ${meta.server} (${meta.date}).`,
    `Status: PASS / FAIL for applicable scenarios, n/a for scenarios a ClickHouse server cannot pass.`,
    "",
    `| ${HEADER.join(" | ")} |`,
    `| ${HEADER.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${columns(r).map(md).join(" | ")} |`),
  ];
  const notApplicable = new Map();
  for (const r of rows) if (r.applicable === false) notApplicable.set(r.scenario, r.why);
  if (notApplicable.size > 0) {
    out.push("", "Not applicable:", "");
    for (const [scenario, why] of notApplicable) out.push(`- \`${scenario}\`: ${md(why)}`);
  }
  const detailed = rows.filter((r) => r.applicable !== false && r.findings.length > 0);
  if (detailed.length > 0) {
    out.push("", "Findings in applicable scenarios:", "");
    for (const row of detailed) {
      for (const f of row.findings) {
        const mark = f.status === "FAILURE" ? (f.excused ? "n/a" : "FAIL") : "warn";
        out.push(
          `- ${row.revision} \`${row.scenario}\` ${mark} \`${f.id}\`: ${md(f.message || "(no message)")}`,
        );
      }
    }
  }
  return `${out.join("\n")}\n`;
}
